"""The Stripe side of the metrics port: a connection's sync, webhook deliveries (one a
duplicate) and their processing, and the gauges an operator alerts on (deploy/README.md)."""

import asyncio
import time
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.core.db import utcnow
from app.stripe import service
from app.stripe.models import IntegrationAccount, StripeEvent
from app.stripe.webhooks import MAX_ATTEMPTS
from stripe_sandbox import SandboxConfig, merchant_account_id
from tests.core.test_observability import free_port, scrape, value
from tests.stripe.conftest import connect_merchant, post_event, wait_for_sync


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"metrics_port": free_port(), "metrics_refresh_seconds": 0.05}
    )


def total(samples: dict[Any, float], name: str, **labels: str) -> float:
    """A counter summed over the labels not given."""
    wanted = set(labels.items())
    return sum(v for (n, sample), v in samples.items() if n == name and wanted <= set(sample))


async def test_sync_and_webhooks_show_on_the_metrics_port(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: Any,
    settings: Settings,
    sandbox_config: SandboxConfig,
) -> None:
    port = settings.metrics_port
    assert port is not None
    before = await asyncio.to_thread(scrape, port)
    account = await make_account()
    business = await account.create_business()
    response = await connect_merchant(client, account, business["id"], "new_store")
    assert response.status_code == 302
    assert (await wait_for_sync(client, account, business["id"]))["sync"]["state"] == "succeeded"

    account_id = merchant_account_id(sandbox_config, "new_store")
    event = {
        "id": f"evt_test_{uuid.uuid4().hex[:20]}",
        "object": "event",
        "account": account_id,
        "created": int(time.time()),
        "data": {"object": {"object": "balance", "available": []}},
        "livemode": False,
        "type": "balance.available",
    }
    for _ in range(2):  # Stripe retries a delivery it thinks failed
        assert (await post_event(client, event, sandbox_config.webhook_secret)).status_code == 200
    await app.state.queue.join()

    deadline = time.monotonic() + 10
    while True:
        after = await asyncio.to_thread(scrape, port)
        if value(after, "vaultra_sync_businesses", state="succeeded") == 1:
            break
        assert time.monotonic() < deadline, "the gauges were not refreshed"
        await asyncio.sleep(0.05)

    def delta(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    assert delta("vaultra_sync_runs_total", outcome="succeeded") == 1
    assert delta("vaultra_sync_objects_total") > 0
    assert delta("vaultra_sync_objects_total", resource="charges") > 0
    assert delta("vaultra_job_runs_total", job="stripe_sync_business", status="succeeded") == 1
    assert delta("vaultra_webhook_events_received_total") == 2
    assert delta("vaultra_webhook_events_duplicate_total") == 1
    assert delta("vaultra_webhook_processing_lag_seconds_count") == 1
    assert value(after, "vaultra_webhook_oldest_unprocessed_age_seconds") == 0
    assert value(after, "vaultra_sync_stale_businesses") == 0
    assert (
        delta("vaultra_http_request_duration_seconds_count", route="/api/v1/webhooks/stripe") == 2
    )
    # Counts only: no business, account or event id is a label.
    labels = repr(list(after))
    for identifier in (business["id"], account_id, event["id"]):
        assert identifier not in labels


async def test_gauges_count_waiting_events_and_stale_syncs(
    app: FastAPI, client: httpx.AsyncClient, make_account: Any
) -> None:
    account = await make_account()
    business = await account.create_business()
    now = utcnow()
    async with app.state.db.session() as session:
        session.add(
            IntegrationAccount(
                business_id=uuid.UUID(business["id"]),
                stripe_user_id=f"acct_{uuid.uuid4().hex[:16]}",
                connected_at=now - timedelta(hours=3),
                last_synced_at=now - timedelta(hours=2),
                sync_state="failed",
            )
        )
        for age, attempts in ((timedelta(minutes=20), 0), (timedelta(days=2), MAX_ATTEMPTS)):
            session.add(
                StripeEvent(
                    event_id=f"evt_{uuid.uuid4().hex[:20]}",
                    type="charge.updated",
                    created=now - age,
                    payload={},
                    received_at=now - age,
                    attempts=attempts,
                )
            )
    async with app.state.db.session() as session:
        state = await service.operational_state(session, max_attempts=MAX_ATTEMPTS)
    # The event that used up its attempts no longer counts as waiting.
    assert 20 * 60 <= state.oldest_unprocessed_event_seconds < 21 * 60
    assert state.businesses_by_sync_state == {"failed": 1}
    assert state.stale_businesses == 1
    assert 2 * 3600 <= state.oldest_success_age_seconds < 2 * 3600 + 60
