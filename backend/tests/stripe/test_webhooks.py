import asyncio
import copy
import hashlib
import hmac
import json
import time
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import func, select, text

from app.core.config import Settings
from app.core.db import Database
from app.jobs.queue import DroppingQueue, get_queue, set_queue
from app.main import create_app
from app.stripe import webhooks
from app.stripe.models import (
    IntegrationAccount,
    StripeCharge,
    StripeEvent,
    StripePayout,
    StripeRefund,
)
from stripe_sandbox import SandboxConfig
from tests.conftest import TEST_DB, Account
from tests.stripe.conftest import connect_merchant, post_event, sign, wait_for_sync

pytestmark = pytest.mark.usefixtures("app")


async def _connected(
    app: FastAPI, client: httpx.AsyncClient, make_account: Any, merchant: str = "new_store"
) -> tuple[str, str]:
    """A business connected to a sandbox merchant and synced: (business id, Stripe account id)."""
    account: Account = await make_account()
    business = await account.create_business("Shop")
    await connect_merchant(client, account, business["id"], merchant)
    status = await wait_for_sync(client, account, business["id"])
    assert status["sync"]["state"] == "succeeded"
    async with app.state.db.session() as session:
        account_id: str = (
            await session.execute(select(IntegrationAccount.stripe_user_id))
        ).scalar_one()
    return business["id"], account_id


async def _sandbox_object(
    sandbox_url: str, sandbox: SandboxConfig, account_id: str, resource: str, **params: Any
) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=sandbox_url) as http:
        response = await http.get(
            f"/v1/{resource}",
            params={"limit": 1, **params},
            headers={
                "Authorization": f"Bearer {sandbox.secret_key}",
                "Stripe-Account": account_id,
            },
        )
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()["data"][0]
    return found


def _event(
    obj: dict[str, Any], event_type: str, account_id: str | None, created: int
) -> dict[str, Any]:
    return {
        "id": f"evt_test_{uuid.uuid4().hex[:20]}",
        "object": "event",
        "account": account_id,
        "api_version": "2026-10-28.endive",
        "created": created,
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


async def _count(db: Database, model: Any) -> int:
    async with db.session() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_rejected_webhooks_store_nothing(
    client: httpx.AsyncClient, db: Database, sandbox_config: SandboxConfig
) -> None:
    secret = sandbox_config.webhook_secret
    event = _event({"id": "ch_x", "object": "charge"}, "charge.updated", None, int(time.time()))
    body = json.dumps(event)
    stale = int(time.time()) - 301
    cases = {
        "bad signature": (body, sign(body, secret)[:-4] + "beef"),
        "stale timestamp": (body, sign(body, secret, timestamp=stale)),
        "wrong secret": (body, sign(body, "whsec_someone_else")),
        "tampered body": (body.replace("charge.updated", "charge.refunded"), sign(body, secret)),
        "malformed header": (body, "v1=abc"),
        "malformed JSON": ("{not json", sign("{not json", secret)),
        "not an event": ("[1, 2]", sign("[1, 2]", secret)),
        "missing header": (body, None),
    }
    for name, (payload, signature) in cases.items():
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["Stripe-Signature"] = signature
        response = await client.post("/api/v1/webhooks/stripe", content=payload, headers=headers)
        assert response.status_code == 400, name
        assert response.json()["code"] in ("invalid_signature", "invalid_payload"), name
    assert await _count(db, StripeEvent) == 0


def _sign_bytes(body: bytes, secret: str) -> str:
    """A signature over the raw bytes, as a sender that does not check its encoding makes it."""
    t = int(time.time())
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


async def test_any_malformed_body_or_signature_header_gets_400_with_a_code(
    client: httpx.AsyncClient, db: Database, sandbox_config: SandboxConfig
) -> None:
    secret = sandbox_config.webhook_secret
    event = _event({"id": "ch_x", "object": "charge"}, "charge.updated", None, int(time.time()))
    body = json.dumps(event).encode()
    not_utf8 = body.replace(b"ch_x", b"ch_\xff\xfe")
    valid = sign(body, secret).encode()
    cases: dict[str, tuple[bytes, bytes]] = {
        "body not UTF-8, signed over its bytes": (not_utf8, _sign_bytes(not_utf8, secret).encode()),
        "body not UTF-8, any header": (b"\xff" * 64, b"t=1,v1=abc"),
        "header not ASCII": (body, b"t=1,v1=\xe9\xe9"),
        "signature not ASCII": (body, valid[:-2] + b"\xe9\xe9"),
        "timestamp not a number": (body, b"t=soon,v1=abc"),
        "timestamp absurd": (body, b"t=" + b"9" * 400 + b",v1=abc"),
        "no timestamp": (body, valid.split(b",", 1)[1]),
        "only separators": (body, b",,,==,"),
        "empty pairs": (body, b"t=,v1="),
        "empty body": (b"", sign(b"", secret).encode()),
        "JSON null": (b"null", sign(b"null", secret).encode()),
        "data not an object": (
            json.dumps(event | {"data": []}).encode(),
            sign(json.dumps(event | {"data": []}), secret).encode(),
        ),
        "number out of range": (
            body.replace(b'"created": ', b'"huge": 1e400, "created": '),
            sign(body.replace(b'"created": ', b'"huge": 1e400, "created": '), secret).encode(),
        ),
    }
    for name, (payload, signature) in cases.items():
        response = await client.post(
            "/api/v1/webhooks/stripe", content=payload, headers={"Stripe-Signature": signature}
        )
        assert response.status_code == 400, (name, response.text)
        assert response.json()["code"] in ("invalid_signature", "invalid_payload"), name
    assert await _count(db, StripeEvent) == 0


async def test_signed_events_that_cannot_be_stored_get_400_and_nothing_is_stored(
    client: httpx.AsyncClient, db: Database, sandbox_config: SandboxConfig
) -> None:
    secret = sandbox_config.webhook_secret
    charge = {"id": "ch_x", "object": "charge", "amount": 500, "created": 1_700_000_000}
    now = int(time.time())
    cases: dict[str, dict[str, Any]] = {
        "id of 200 characters": {"id": "evt_" + "a" * 196},
        "id with a NUL": {"id": "evt_test_nul\u0000"},
        "id with a newline": {"id": "evt_test\nnext"},
        "id empty": {"id": ""},
        "id not an event's": {"id": "ch_123"},
        "id a number": {"id": 12345},
        "type with a NUL": {"type": "charge.\u0000succeeded"},
        "type of 200 characters": {"type": "charge." + "x" * 193},
        "type missing": {"type": None},
        "account with a NUL": {"account": "acct_\u0000"},
        "account of 100 characters": {"account": "acct_" + "a" * 95},
        "account a list": {"account": ["acct_1"]},
        "created absurd": {"created": 10**20},
        "created negative": {"created": -1},
        "created before Stripe": {"created": 0},
        "created in 2200": {"created": 7_258_118_400},
        "created a float": {"created": float(now)},
        "created a string": {"created": str(now)},
        "created a boolean": {"created": True},
        "livemode a string": {"livemode": "yes"},
        "object holding a NUL": {"data": {"object": charge | {"status": "succ\u0000eeded"}}},
    }
    for name, change in cases.items():
        event = _event(charge, "charge.succeeded", "acct_nobody_connected", now) | change
        response = await post_event(client, event, secret)
        assert response.status_code == 400, (name, response.text)
        assert response.json()["code"] == "invalid_event", name
    assert await _count(db, StripeEvent) == 0
    # The limits hold what Stripe sends: its longest ids and types, and a year-old event.
    event = _event(
        charge, "charge.dispute.funds_reinstated", "acct_1" + "Ab9" * 19, now - 366 * 86400
    )
    event["id"] = "evt_" + "3PZ" * 20
    response = await post_event(client, event, secret)
    assert response.status_code == 200, response.text
    assert await _count(db, StripeEvent) == 1


async def test_both_secrets_verify_during_rotation(settings: Settings) -> None:
    rotating = settings.model_copy(
        update={"stripe_webhook_secret": SecretStr("whsec_old_secret, whsec_new_secret")}
    )
    application = create_app(rotating)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            for secret in ("whsec_old_secret", "whsec_new_secret"):
                event = _event({"object": "balance"}, "balance.available", None, int(time.time()))
                response = await post_event(http, event, secret)
                assert response.status_code == 200, response.text
                assert response.json() == {"received": True, "duplicate": False}
            event = _event({"object": "balance"}, "balance.available", None, int(time.time()))
            assert (await post_event(http, event, "whsec_retired")).status_code == 400
    assert await _count(application.state.db, StripeEvent) == 2


async def test_unknown_account_events_are_stored_and_acknowledged(
    app: FastAPI, client: httpx.AsyncClient, sandbox_config: SandboxConfig
) -> None:
    charge = {"id": "ch_unknown", "object": "charge", "amount": 500, "created": 1_700_000_000}
    event = _event(charge, "charge.succeeded", "acct_nobody_connected", int(time.time()))
    response = await post_event(client, event, sandbox_config.webhook_secret)
    assert response.status_code == 200
    async with app.state.db.session() as session:
        stored = (await session.execute(select(StripeEvent))).scalar_one()
    assert stored.event_id == event["id"]
    assert stored.account_id == "acct_nobody_connected"
    assert stored.business_id is None
    assert stored.processed_at is not None  # nothing to do: a backfill reads the API anyway
    assert await _count(app.state.db, StripeCharge) == 0


async def test_duplicate_deliveries_store_one_event_and_one_state(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: Any,
    sandbox_config: SandboxConfig,
    sandbox_url: str,
) -> None:
    business_id, account_id = await _connected(app, client, make_account)
    charge = await _sandbox_object(sandbox_url, sandbox_config, account_id, "charges")
    charge["status"], charge["amount_refunded"] = "succeeded", 1
    event = _event(charge, "charge.updated", account_id, int(time.time()) + 60)
    for _ in range(10):
        response = await post_event(client, event, sandbox_config.webhook_secret)
        assert response.status_code == 200
    await app.state.queue.join()

    async with app.state.db.session() as session:
        events = (await session.execute(select(StripeEvent))).scalars().all()
        stored = await session.get(StripeCharge, (uuid.UUID(business_id), charge["id"]))
    assert len(events) == 1
    assert events[0].processed_at is not None
    assert stored is not None
    assert stored.amount_refunded == 1
    assert int(stored.version_at.timestamp()) == event["created"]


async def test_events_delivered_in_reverse_order_converge(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: Any,
    sandbox_config: SandboxConfig,
    sandbox_url: str,
) -> None:
    business_id, account_id = await _connected(app, client, make_account)
    charge = await _sandbox_object(sandbox_url, sandbox_config, account_id, "charges")
    base = int(time.time()) + 60
    history = []
    for step, (status, refunded) in enumerate(
        [("pending", 0), ("succeeded", 0), ("succeeded", 100), ("succeeded", charge["amount"])]
    ):
        version = copy.deepcopy(charge)
        version["status"], version["amount_refunded"] = status, refunded
        version["refunded"] = refunded == charge["amount"]
        kind = "charge.refunded" if refunded else "charge.succeeded"
        history.append(_event(version, kind, account_id, base + step))
    for event in reversed(history):
        assert (await post_event(client, event, sandbox_config.webhook_secret)).status_code == 200
        await app.state.queue.join()

    async with app.state.db.session() as session:
        stored = await session.get(StripeCharge, (uuid.UUID(business_id), charge["id"]))
    assert stored is not None
    assert (stored.status, stored.amount_refunded, stored.refunded) == (
        "succeeded",
        charge["amount"],
        True,
    )
    assert int(stored.version_at.timestamp()) == base + 3


async def test_charge_refunded_upserts_its_embedded_refunds_and_settled_amounts(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: Any,
    sandbox_config: SandboxConfig,
    sandbox_url: str,
) -> None:
    business_id, account_id = await _connected(app, client, make_account)
    charge = await _sandbox_object(sandbox_url, sandbox_config, account_id, "charges")
    refund = {
        "id": "re_test_embedded",
        "object": "refund",
        "amount": 250,
        "charge": charge["id"],
        "created": charge["created"] + 3600,
        "currency": charge["currency"],
        "status": "succeeded",
        "reason": "requested_by_customer",
        "balance_transaction": None,
        "metadata": {"note": "call Jane at +1 512-555-0100"},
    }
    charge.update(amount_refunded=250, refunds={"object": "list", "data": [refund]})
    event = _event(charge, "charge.refunded", account_id, int(time.time()) + 60)
    assert (await post_event(client, event, sandbox_config.webhook_secret)).status_code == 200
    await app.state.queue.join()

    async with app.state.db.session() as session:
        stored_refund = await session.get(StripeRefund, (uuid.UUID(business_id), refund["id"]))
        stored_charge = await session.get(StripeCharge, (uuid.UUID(business_id), charge["id"]))
    assert stored_refund is not None
    assert (stored_refund.charge_id, stored_refund.amount) == (charge["id"], 250)
    assert stored_charge is not None
    assert stored_charge.amount_refunded == 250
    # The event names the balance transaction by id only; processing read it from Stripe.
    assert stored_charge.balance_transaction_id == charge["balance_transaction"]
    assert stored_charge.fee is not None
    assert stored_charge.settled_amount is not None


async def test_the_sweeper_processes_events_no_job_handled(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: Any,
    settings: Settings,
    sandbox_config: SandboxConfig,
    sandbox_url: str,
) -> None:
    business_id, account_id = await _connected(app, client, make_account)
    payout = await _sandbox_object(sandbox_url, sandbox_config, account_id, "payouts")
    payout["status"] = "failed"
    payout["failure_code"] = "account_closed"
    event = _event(payout, "payout.failed", account_id, int(time.time()) + 60)

    queue = get_queue()
    set_queue(DroppingQueue())  # the job system is down: the event is stored, not processed
    try:
        assert (await post_event(client, event, sandbox_config.webhook_secret)).status_code == 200
    finally:
        set_queue(queue)
    async with app.state.db.session() as session:
        stored = (
            await session.execute(select(StripeEvent).where(StripeEvent.event_id == event["id"]))
        ).scalar_one()
    assert stored.processed_at is None

    processed = await webhooks.process_pending_events(
        app.state.db, app.state.stripe_config, min_age=timedelta(0)
    )
    assert processed == 1
    async with app.state.db.session() as session:
        row = await session.get(StripePayout, (uuid.UUID(business_id), payout["id"]))
        stored = (
            await session.execute(select(StripeEvent).where(StripeEvent.event_id == event["id"]))
        ).scalar_one()
    assert row is not None
    assert (row.status, row.failure_code) == ("failed", "account_closed")
    assert stored.processed_at is not None


async def test_concurrent_deliveries_are_each_stored_once_and_processed(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: Any,
    sandbox_config: SandboxConfig,
    sandbox_url: str,
) -> None:
    """A burst shares transactions (group commit); each event is still stored and acknowledged
    once, and its second delivery, arriving at the same moment, is reported as a duplicate."""
    business_id, account_id = await _connected(app, client, make_account)
    charge = await _sandbox_object(sandbox_url, sandbox_config, account_id, "charges")
    events_before = await _count(app.state.db, StripeEvent)
    now = int(time.time())
    events = [
        _event({**charge, "id": f"ch_burst{index:04d}"}, "charge.succeeded", account_id, now)
        for index in range(40)
    ]
    deliveries = events + events[:10]
    responses = await asyncio.gather(
        *(post_event(client, event, sandbox_config.webhook_secret) for event in deliveries)
    )
    assert [response.status_code for response in responses] == [200] * len(deliveries)
    answers: dict[str, list[bool]] = {}
    for event, response in zip(deliveries, responses, strict=True):
        answers.setdefault(event["id"], []).append(response.json()["duplicate"])
    assert all(sorted(flags) == [False, *[True] * (len(flags) - 1)] for flags in answers.values())
    assert await _count(app.state.db, StripeEvent) == events_before + 40

    await app.state.queue.join()
    async with app.state.db.session() as session:
        burst = (
            await session.execute(
                select(func.count())
                .select_from(StripeCharge)
                .where(
                    StripeCharge.business_id == uuid.UUID(business_id),
                    StripeCharge.stripe_id.like("ch_burst%"),
                )
            )
        ).scalar_one()
        pending = (
            await session.execute(
                select(func.count())
                .select_from(StripeEvent)
                .where(StripeEvent.processed_at.is_(None))
            )
        ).scalar_one()
    assert burst == 40
    assert pending == 0


@pytest.mark.skipif(TEST_DB != "postgres", reason="SQLite cannot add a constraint to a table")
async def test_an_event_the_database_refuses_fails_alone(
    app: FastAPI, client: httpx.AsyncClient, sandbox_config: SandboxConfig
) -> None:
    charge = {"id": "ch_unknown", "object": "charge", "amount": 500, "created": 1_700_000_000}
    now = int(time.time())
    good = [_event(charge, "charge.succeeded", "acct_nobody_connected", now) for _ in range(6)]
    refused = _event(charge, "charge.succeeded", "acct_nobody_connected", now)
    # Valid, but the database refuses it (as it would a value no check foresaw).
    refuse = f"CHECK (event_id <> '{refused['id']}')"
    async with app.state.db.engine.begin() as connection:
        await connection.execute(
            text(f"ALTER TABLE stripe_events ADD CONSTRAINT refuse_for_test {refuse}")
        )
    try:
        responses = await asyncio.gather(
            *(
                post_event(client, event, sandbox_config.webhook_secret)
                for event in [*good[:3], refused, *good[3:]]
            )
        )
    finally:
        async with app.state.db.engine.begin() as connection:
            await connection.execute(
                text("ALTER TABLE stripe_events DROP CONSTRAINT refuse_for_test")
            )
    statuses = [response.status_code for response in responses]
    # Not acknowledged, so Stripe retries it; the events around it are stored and answered.
    assert statuses == [200, 200, 200, 500, 200, 200, 200]
    async with app.state.db.session() as session:
        stored = set((await session.execute(select(StripeEvent.event_id))).scalars())
    assert stored == {event["id"] for event in good}
