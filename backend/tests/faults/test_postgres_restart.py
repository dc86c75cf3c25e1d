"""PostgreSQL crashes and restarts while Stripe delivers webhooks.

Senders behave as Stripe does: an event answered 2xx is done, any other answer is delivered
again later. So an event acknowledged but not stored would be missing at the end, and one
stored twice would be counted twice.
"""

import asyncio
import json
import time
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.core import migrations
from app.core.config import Settings
from app.main import create_app
from app.stripe.config import stripe_config
from app.stripe.models import StripeEvent
from tests.conftest import TEST_DB
from tests.servers import PrivatePostgres, private_postgres
from tests.stripe.conftest import sign

pytestmark = pytest.mark.skipif(TEST_DB == "sqlite", reason="crashes a PostgreSQL server")

EVENTS = 300
SENDERS = 8
OUTAGE_SECONDS = 1.0
WEBHOOKS = "/api/v1/webhooks/stripe"


def _event(index: int) -> dict[str, Any]:
    return {
        "id": f"evt_fault_{index:05d}_{uuid.uuid4().hex[:8]}",
        "object": "event",
        "type": "charge.succeeded",
        "account": "acct_not_connected",
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": {"id": f"ch_fault_{index}", "object": "charge", "amount": 100}},
    }


class Stripe:
    """Delivers each event until it is answered 2xx, as Stripe retries a failed delivery."""

    def __init__(self, client: httpx.AsyncClient, secret: str, events: list[dict[str, Any]]):
        self.client = client
        self.secret = secret
        self.events = events
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for event in events:
            self.queue.put_nowait(event)
        self.acknowledged: Counter[str] = Counter()
        self.failures: list[httpx.Response] = []
        self.a_third_acknowledged = asyncio.Event()

    async def post(self, event: dict[str, Any]) -> httpx.Response:
        body = json.dumps(event)
        return await self.client.post(
            WEBHOOKS, content=body, headers={"Stripe-Signature": sign(body, self.secret)}
        )

    async def deliver(self) -> None:
        while self.acknowledged.total() < len(self.events):
            try:
                event = self.queue.get_nowait()
            except asyncio.QueueEmpty:
                await asyncio.sleep(0.01)
                continue
            response = await self.post(event)
            if response.is_success:
                self.acknowledged[event["id"]] += 1
                if self.acknowledged.total() >= len(self.events) // 3:
                    self.a_third_acknowledged.set()
            else:
                self.failures.append(response)
                await asyncio.sleep(0.05)
                self.queue.put_nowait(event)


async def test_a_postgres_crash_mid_stream_loses_and_duplicates_no_event(
    settings: Settings,
) -> None:
    with private_postgres() as server:
        await asyncio.to_thread(migrations.upgrade, server.url())
        app = create_app(settings.model_copy(update={"database_url": server.url()}))
        secret = stripe_config(app.state.settings).webhook_secrets[0]
        events = [_event(index) for index in range(EVENTS)]
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                stripe = Stripe(client, secret, events)
                outage = asyncio.create_task(_crash_and_restart(server, stripe, client))
                await asyncio.wait_for(
                    asyncio.gather(*(stripe.deliver() for _ in range(SENDERS))), 60
                )
                ready_during_outage = await outage
                # Stripe may deliver any event again: each is already stored, once.
                again = [await stripe.post(event) for event in events[:: EVENTS // 30]]
            async with app.state.db.session() as session:
                stored, distinct = (
                    await session.execute(
                        select(func.count(), func.count(func.distinct(StripeEvent.event_id)))
                    )
                ).one()

    assert stored == distinct == EVENTS
    assert set(stripe.acknowledged) == {event["id"] for event in events}
    assert all(r.status_code == 200 and r.json()["duplicate"] for r in again)
    # The outage hit the stream, and every delivery it refused was told to retry.
    assert stripe.failures
    for response in stripe.failures:
        assert response.status_code == 503, response.text
        assert response.json()["code"] == "database_unavailable"
        assert response.headers["retry-after"] == "5"
    assert ready_during_outage.status_code == 503
    assert ready_during_outage.json()["checks"]["database"].startswith("error")


async def _crash_and_restart(
    server: PrivatePostgres, stripe: Stripe, client: httpx.AsyncClient
) -> httpx.Response:
    """A third of the way into the stream, kill PostgreSQL, then start it again a second later
    (it recovers from its write-ahead log). Returns /health/ready's answer during the outage."""
    await stripe.a_third_acknowledged.wait()
    await asyncio.to_thread(server.stop, "immediate")
    ready = await client.get("/health/ready")
    await asyncio.sleep(OUTAGE_SECONDS)
    await asyncio.to_thread(server.start)
    return ready
