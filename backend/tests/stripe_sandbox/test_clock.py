"""The clock: advance generates activity, records events and delivers signed webhooks."""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta

import httpx
import pytest
import stripe
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stripe_sandbox import (
    SandboxConfig,
    advance,
    connect_merchant,
    create_app,
    sandbox_now,
    totals,
    webhooks,
)
from stripe_sandbox.store import connect
from tests.servers import serve_in_thread
from tests.stripe_sandbox.conftest import START


@dataclass
class Receiver:
    """A webhook endpoint that records what it gets and can fail the first few attempts."""

    url: str = ""
    fail_first: int = 0
    always_fail: bool = False
    attempts: int = 0
    received: list[tuple[str, bytes]] = field(default_factory=list)

    async def hook(self, request: Request) -> Response:
        self.attempts += 1
        if self.always_fail or self.attempts <= self.fail_first:
            return Response("nope", 500)
        self.received.append((request.headers["stripe-signature"], await request.body()))
        return Response("ok")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    with serve_in_thread(Starlette(routes=[Route("/hook", state.hook, methods=["POST"])])) as url:
        state.url = f"{url}/hook"
        yield state


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhooks, "BACKOFF_S", 0.0)


def stored(config: SandboxConfig, account: str, obj_type: str) -> list[dict[str, object]]:
    conn = connect(config.db_path)
    try:
        rows = conn.execute(
            "SELECT data FROM objects WHERE account = ? AND type = ? ORDER BY created, id",
            (account, obj_type),
        ).fetchall()
    finally:
        conn.close()
    return [json.loads(r[0]) for r in rows]


async def test_advance_moves_the_clock_and_delivers_verifiable_events(
    fresh_config: SandboxConfig, receiver: Receiver
) -> None:
    config = replace(fresh_config, webhook_url=receiver.url)
    account = connect_merchant(config, "new_store")
    before = totals(config, account)["charge"]["count"]

    result = await advance(config, 3)

    assert result.now == START + timedelta(days=3) == sandbox_now(config)
    after = totals(config, account)["charge"]["count"]
    assert result.objects_created["charge"] == after - before > 0
    assert result.events_created > 0
    assert result.delivered == result.events_created
    assert result.failed == 0
    assert len(receiver.received) == result.delivered
    types = set()
    for signature, body in receiver.received:
        event = stripe.Webhook.construct_event(body, signature, config.webhook_secret)
        assert event.account == account
        assert event.id.startswith("evt_")
        assert START.timestamp() < event.created <= result.now.timestamp()
        types.add(event.type)
    assert {"charge.succeeded", "customer.created", "payout.created", "payout.paid"} <= types
    signature, body = receiver.received[0]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, signature, "whsec_someone_else")


async def test_events_are_listed_and_retrievable(fresh_config: SandboxConfig) -> None:
    account = connect_merchant(fresh_config, "high_dispute")
    result = await advance(fresh_config, 45)
    assert result.delivered == result.failed == 0  # no webhook URL configured
    headers = {"Authorization": f"Bearer {fresh_config.secret_key}", "Stripe-Account": account}
    with serve_in_thread(create_app(fresh_config)) as url:
        async with httpx.AsyncClient(base_url=url, headers=headers) as client:
            events = []
            params: dict[str, str | int] = {"limit": 100}
            while True:
                page = (await client.get("/v1/events", params=params)).json()
                events += page["data"]
                if not page["has_more"]:
                    break
                params["starting_after"] = page["data"][-1]["id"]
            assert len(events) == result.events_created
            types = {e["type"] for e in events}
            assert {
                "charge.succeeded",
                "charge.refunded",
                "refund.created",
                "charge.dispute.created",
                "charge.dispute.closed",
                "payout.created",
                "payout.paid",
                "customer.created",
            } <= types
            # Events sharing a second (a dispute's created + funds_withdrawn) sort by id, desc.
            keys = [(e["created"], e["id"]) for e in events]
            assert keys == sorted(keys, reverse=True)
            assert len({e["created"] for e in events}) < len(events)

            closed = next(e for e in events if e["type"] == "charge.dispute.closed")
            assert closed["data"]["object"]["status"] in {"won", "lost", "warning_closed"}
            assert closed["data"]["previous_attributes"]["status"] in {
                "needs_response",
                "under_review",
                "warning_needs_response",
                "warning_under_review",
            }
            again = (await client.get(f"/v1/events/{closed['id']}")).json()
            assert again == closed
            disputes_only = (
                await client.get("/v1/events", params={"type": "charge.dispute.*"})
            ).json()
            assert {e["type"].rsplit(".", 1)[0] for e in disputes_only["data"]} == {
                "charge.dispute"
            }
            typed = await client.get(
                "/v1/events", params={"types[]": ["payout.paid", "payout.failed"]}
            )
            assert {e["type"] for e in typed.json()["data"]} <= {"payout.paid", "payout.failed"}


async def test_lifecycles_play_out_as_the_clock_moves(fresh_config: SandboxConfig) -> None:
    account = connect_merchant(fresh_config, "high_dispute")
    open_disputes = [
        d
        for d in stored(fresh_config, account, "dispute")
        if d["status"] in ("needs_response", "under_review")
    ]
    pending_payouts = [
        p
        for p in stored(fresh_config, account, "payout")
        if p["status"] in ("pending", "in_transit")
    ]
    assert open_disputes
    assert pending_payouts
    await advance(fresh_config, 90)
    now_disputes = {d["id"]: d for d in stored(fresh_config, account, "dispute")}
    now_payouts = {p["id"]: p for p in stored(fresh_config, account, "payout")}
    for dispute in open_disputes:
        assert now_disputes[str(dispute["id"])]["status"] in ("won", "lost")
    for payout in pending_payouts:
        assert now_payouts[str(payout["id"])]["status"] in ("paid", "failed")
    # Pending balance transactions became available.
    now = sandbox_now(fresh_config).timestamp()
    for txn in stored(fresh_config, account, "balance_transaction"):
        assert (txn["status"] == "available") == (txn["available_on"] <= now)  # type: ignore[operator]


async def test_delivery_retries_then_counts_failures(
    fresh_config: SandboxConfig, receiver: Receiver, no_backoff: None
) -> None:
    config = replace(fresh_config, webhook_url=receiver.url)
    connect_merchant(config, "new_store")
    receiver.fail_first = 2  # the first event needs three attempts
    result = await advance(config, 1)
    assert result.failed == 0
    assert result.delivered == result.events_created > 0
    assert receiver.attempts == result.delivered + 2

    receiver.always_fail = True
    attempts_before = receiver.attempts
    result = await advance(config, 1)
    assert result.delivered == 0
    assert result.failed == result.events_created > 0
    assert receiver.attempts - attempts_before == result.failed * webhooks.ATTEMPTS


async def test_only_connected_accounts_get_webhooks(
    fresh_config: SandboxConfig, receiver: Receiver
) -> None:
    config = replace(fresh_config, webhook_url=receiver.url)
    kept = connect_merchant(config, "new_store")
    dropped = connect_merchant(config, "healthy_saas")
    with serve_in_thread(create_app(config)) as url:
        async with httpx.AsyncClient() as client:
            response = await client.post(
                f"{url}/oauth/deauthorize",
                data={"client_id": config.client_id, "stripe_user_id": dropped},
                headers={"Authorization": f"Bearer {config.secret_key}"},
            )
        assert response.status_code == 200
    result = await advance(config, 2)
    accounts = {json.loads(body)["account"] for _sig, body in receiver.received}
    assert accounts == {kept}
    assert result.events_created > result.delivered  # the deauthorized account's are recorded
    assert stored(config, dropped, "event")


async def test_advance_rejects_going_back(fresh_config: SandboxConfig) -> None:
    with pytest.raises(ValueError, match="forward"):
        await advance(fresh_config, -1)
