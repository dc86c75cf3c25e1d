import asyncio
import base64
import dataclasses
import json
import logging
import secrets
import sqlite3
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import func, select

from app.core.config import AppEnv, Settings
from app.core.db import Database
from app.main import create_app
from app.stripe import service as stripe_service
from app.stripe import sync
from app.stripe.config import SANDBOX_PATH, sandbox_config, stripe_config, uses_sandbox
from app.stripe.models import StripeEvent, StripeSyncCursor
from stripe_sandbox import SandboxConfig, advance, merchant_account_id
from stripe_sandbox import connect_merchant as sandbox_connect
from stripe_sandbox import create_app as create_sandbox_app
from tests.conftest import Account
from tests.servers import serve_in_thread
from tests.stripe.conftest import (
    _TABLES,
    connect_merchant,
    db_totals,
    expected_totals,
    forget_sync,
    make_sandbox_config,
    redirect_query,
    serve_vaultra,
    signup,
    stripe_settings,
    table_dump,
    wait_for_sync,
)


async def _link(db: Database, business_id: str, sandbox: SandboxConfig, merchant: str) -> str:
    """Connect without the browser: the sandbox's side, then Vaultra's (no backfill queued)."""
    account_id = sandbox_connect(sandbox, merchant)
    async with db.session() as session:
        await stripe_service.link_account(
            session,
            uuid.UUID(business_id),
            stripe_user_id=account_id,
            livemode=False,
            scope="read_only",
        )
    return account_id


async def _snapshot(db: Database, business_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored row, without `version_at` (when it was read)."""
    out = {}
    async with db.session() as session:
        for name, model in _TABLES.items():
            table = model.__table__
            columns = [c for c in table.c if c.name != "version_at"]
            rows = await session.execute(
                select(*columns)
                .where(table.c.business_id == uuid.UUID(business_id))
                .order_by(table.c.stripe_id)
            )
            out[name] = [tuple(row) for row in rows]
    return out


async def test_backfill_stores_what_the_sandbox_generated(
    app: FastAPI, client: httpx.AsyncClient, make_account: Any, sandbox_config: SandboxConfig
) -> None:
    account: Account = await make_account()
    business = await account.create_business("VoltEdge")
    response = await connect_merchant(client, account, business["id"], "high_dispute")
    assert redirect_query(response) == {"business_id": business["id"], "stripe": "connected"}

    status = await wait_for_sync(client, account, business["id"])
    assert status["sync"]["state"] == "succeeded", status
    assert status["sync"]["full"] is True
    acct = merchant_account_id(sandbox_config, "high_dispute")
    assert status["connected"] is True
    assert status["account_id"] == acct
    assert status["last_synced_at"] is not None
    expected = expected_totals(sandbox_config, acct)
    assert expected["dispute"]["count"] > 0
    assert expected["refund"]["count"] > 0
    assert await db_totals(app.state.db, business["id"]) == expected
    assert status["sync"]["objects_synced"] == sum(
        expected[name]["count"] for name in _TABLES if name != "balance_transaction"
    )


async def test_incremental_sync_catches_new_objects_and_status_changes(
    app: FastAPI, client: httpx.AsyncClient, make_account: Any, tmp_path: Path
) -> None:
    # The sandbox clock starts 5 days ago and moves 3 days: new objects stay in the past.
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=5)
    sandbox = make_sandbox_config(tmp_path / "recent.db", start=start, size=300)
    account: Account = await make_account()
    business = await account.create_business()
    with serve_in_thread(create_sandbox_app(sandbox)) as url:
        config = stripe_config(stripe_settings(app.state.settings, sandbox, url))
        acct = await _link(app.state.db, business["id"], sandbox, "new_store")
        backfill = await sync.sync_business(app.state.db, config, uuid.UUID(business["id"]))
        assert backfill.state == "succeeded"
        before = expected_totals(sandbox, acct)
        moved = await advance(sandbox, 3)  # no webhooks: only the sync can see the changes
        assert moved.objects_created.get("charge", 0) > 0
        after = expected_totals(sandbox, acct)
        assert after != before
        result = await sync.sync_business(app.state.db, config, uuid.UUID(business["id"]))
    assert result.state == "succeeded"
    assert await db_totals(app.state.db, business["id"]) == after


async def test_a_crashed_backfill_resumes_without_duplicates_or_gaps(
    app: FastAPI, client: httpx.AsyncClient, make_account: Any, tmp_path: Path
) -> None:
    sandbox = make_sandbox_config(tmp_path / "big.db", size=3000, latency_ms=5)
    account: Account = await make_account()
    business = await account.create_business()
    business_id = uuid.UUID(business["id"])
    db: Database = app.state.db
    with serve_in_thread(create_sandbox_app(sandbox)) as url:
        config = stripe_config(stripe_settings(app.state.settings, sandbox, url))
        await _link(db, business["id"], sandbox, "seasonal_retail")
        uninterrupted = await sync.sync_business(db, config, business_id)
        reference = await _snapshot(db, business["id"])
        assert sum(len(rows) for rows in reference.values()) > 5000

        # Forget everything, then crash the backfill a few pages in.
        await forget_sync(db, business_id)
        task = asyncio.create_task(sync.sync_business(db, config, business_id))
        while True:
            async with db.session() as session:
                stored = (
                    await session.execute(select(func.sum(StripeSyncCursor.objects_synced)))
                ).scalar_one()
            if (stored or 0) >= 1500:
                break
            assert not task.done()
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with db.session() as session:
            crashed = await stripe_service.get_account(session, business_id)
            cursors = await stripe_service.list_cursors(session, business_id)
        assert crashed is not None
        assert (crashed.sync_state, crashed.sync_error) == ("failed", "interrupted")
        # Dense ranges were split so that several workers page them at once.
        assert len(cursors) > len(sync.RESOURCES)
        assert not all(c.done for c in cursors)
        stored_before = crashed.sync_objects
        assert 1500 <= stored_before < uninterrupted.objects

        resumed = await sync.sync_business(db, config, business_id)
    assert resumed.state == "succeeded"
    assert resumed.resumed is True
    # Each object was read exactly once across the crashed and the resumed run.
    assert stored_before + resumed.objects == uninterrupted.objects
    assert await _snapshot(db, business["id"]) == reference


async def test_a_rate_limited_sync_still_completes(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: Any,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sandbox = make_sandbox_config(tmp_path / "limited.db", rate_limit=5)
    account: Account = await make_account()
    business = await account.create_business()
    with serve_in_thread(create_sandbox_app(sandbox)) as url:
        # Vaultra's own limiter is set far above the sandbox's 5 requests/s: Stripe says 429.
        config = stripe_config(
            stripe_settings(app.state.settings, sandbox, url, stripe_max_rps=50.0)
        )
        acct = await _link(app.state.db, business["id"], sandbox, "high_dispute")
        with caplog.at_level(logging.DEBUG, logger="vaultra.stripe"):
            result = await sync.sync_business(app.state.db, config, uuid.UUID(business["id"]))
    assert result.state == "succeeded"
    assert any(r.getMessage() == "stripe rate limited" for r in caplog.records)
    assert await db_totals(app.state.db, business["id"]) == expected_totals(sandbox, acct)


async def test_a_dead_runs_lease_is_taken_over_a_live_runs_is_not(
    app: FastAPI, client: httpx.AsyncClient, make_account: Any, sandbox_config: SandboxConfig
) -> None:
    """A retried job must not give up as `busy` because its dead attempt still holds the lease;
    a second sync while one is alive must."""
    account: Account = await make_account()
    business = await account.create_business()
    business_id = uuid.UUID(business["id"])
    db: Database = app.state.db
    await _link(db, business["id"], sandbox_config, "new_store")
    config = stripe_config(app.state.settings.model_copy(update={"jobs_lease_seconds": 0.6}))

    async def hold(run_id: str) -> None:
        async with db.session() as session:
            assert await stripe_service.claim_sync(
                session, business_id, run_id, lease=config.sync_lease
            )

    await hold("a run that died")
    assert (await sync.sync_business(db, config, business_id)).state == "succeeded"

    await hold("a live run")

    async def keep_renewing() -> None:
        while True:
            async with db.session() as session:
                await stripe_service.renew_sync_lease(
                    session, business_id, "a live run", lease=config.sync_lease
                )
            await asyncio.sleep(0.1)

    alive = asyncio.create_task(keep_renewing())
    try:
        assert (await sync.sync_business(db, config, business_id)).state == "busy"
    finally:
        alive.cancel()
        await asyncio.gather(alive, return_exceptions=True)


@pytest.mark.parametrize(
    ("status", "retry_log"),
    [(500, "stripe request failed, retrying"), (429, "stripe rate limited")],
)
async def test_a_stripe_error_storm_during_a_backfill_changes_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: Any,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    status: int,
    retry_log: str,
) -> None:
    """Of every 8 requests, 3 in a row fail: the sync backs off, retries, and stores the same
    rows as a clean run."""
    clean = make_sandbox_config(tmp_path / "storm.db")
    stormy = dataclasses.replace(clean, error_status=status, error_burst=3, error_period=8)
    account: Account = await make_account()
    business = await account.create_business()
    business_id = uuid.UUID(business["id"])
    db: Database = app.state.db
    with serve_in_thread(create_sandbox_app(clean)) as clean_url:
        acct = await _link(db, business["id"], clean, "high_dispute")
        config = stripe_config(stripe_settings(app.state.settings, clean, clean_url))
        assert (await sync.sync_business(db, config, business_id)).state == "succeeded"
    reference = await _snapshot(db, business["id"])
    await forget_sync(db, business_id)

    with serve_in_thread(create_sandbox_app(stormy)) as stormy_url:
        config = stripe_config(stripe_settings(app.state.settings, stormy, stormy_url))
        with caplog.at_level(logging.DEBUG, logger="vaultra.stripe"):
            result = await sync.sync_business(db, config, business_id)
    assert result.state == "succeeded"
    assert sum(record.getMessage() == retry_log for record in caplog.records) >= 3
    assert await _snapshot(db, business["id"]) == reference
    assert await db_totals(db, business["id"]) == expected_totals(clean, acct)


async def test_development_default_runs_against_the_mounted_sandbox(
    settings: Settings,
) -> None:
    """`make run` without a Stripe key: connect, backfill, advance the sandbox, webhooks."""
    plain = settings.model_copy(
        update={
            "stripe_secret_key": None,
            "stripe_connect_client_id": None,
            "stripe_webhook_secret": None,
        }
    )
    assert uses_sandbox(plain)
    async with serve_vaultra(plain) as vaultra:
        config = stripe_config(vaultra.settings)
        assert config.api_base == f"{vaultra.url}{SANDBOX_PATH}"
        sandbox = sandbox_config(vaultra.settings)
        assert config.sandbox == sandbox
        assert sandbox.webhook_url == f"{vaultra.url}/api/v1/webhooks/stripe"

        owner = await signup(vaultra.client)
        business = await owner.create_business("Fern & Fig")
        response = await connect_merchant(vaultra.client, owner, business["id"], "new_store")
        assert redirect_query(response)["stripe"] == "connected"
        status = await wait_for_sync(vaultra.client, owner, business["id"])
        assert status["sync"]["state"] == "succeeded", status
        acct = merchant_account_id(sandbox, "new_store")
        assert await db_totals(vaultra.db, business["id"]) == expected_totals(sandbox, acct)

        moved = await advance(sandbox, 3)
        assert moved.delivered == moved.events_created > 0
        assert moved.failed == 0
        await _until_events_processed(vaultra.db, moved.events_created)
        stored = await db_totals(vaultra.db, business["id"])
        expected = expected_totals(sandbox, acct)
        # Webhooks name a payout's balance transaction by id only: those arrive with the sync.
        for totals in (stored, expected):
            totals.pop("balance_transaction")
        assert stored == expected

        await _assert_no_pii(vaultra.db, sandbox, acct)


async def _until_events_processed(db: Database, count: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        async with db.session() as session:
            done = (
                await session.execute(
                    select(func.count()).where(StripeEvent.processed_at.is_not(None))
                )
            ).scalar_one()
        if done >= count:
            return
        assert time.monotonic() < deadline, f"{done} of {count} events processed"
        await asyncio.sleep(0.1)


async def _assert_no_pii(db: Database, sandbox: SandboxConfig, account_id: str) -> None:
    """Names, emails, phones, addresses, descriptions, metadata values and card fingerprints of
    every object the sandbox made for the account appear nowhere in Vaultra's tables."""
    pii: set[str] = set()
    connection = sqlite3.connect(sandbox.db_path)
    try:
        for (data,) in connection.execute(
            "SELECT data FROM objects WHERE account = ? AND type IN ('charge', 'customer')",
            (account_id,),
        ):
            _collect_pii(json.loads(data), pii)
    finally:
        connection.close()
    assert len(pii) > 50
    dump = await table_dump(db)
    assert "fingerprint" not in dump
    assert "last4" not in dump
    # Digits alone (an order number in metadata, say) can't be told apart from the amounts and
    # microseconds Vaultra keeps; the other values prove metadata is dropped.
    leaked = sorted(value for value in pii if not value.isdigit() and value in dump)
    assert leaked == []


def _collect_pii(obj: dict[str, Any], into: set[str]) -> None:
    for holder in (obj.get("billing_details"), obj, (obj.get("shipping") or {})):
        if not isinstance(holder, dict):
            continue
        for key in ("name", "email", "phone", "receipt_email", "description"):
            if isinstance(holder.get(key), str) and len(holder[key]) > 3:
                into.add(holder[key])
        address = holder.get("address") or {}
        for key in ("line1", "line2", "city"):
            if isinstance(address.get(key), str):
                into.add(address[key])
    metadata = (obj.get("metadata") or {}).values()
    into.update(v for v in metadata if isinstance(v, str) and len(v) > 3)
    card = (obj.get("payment_method_details") or {}).get("card") or {}
    if card.get("fingerprint"):
        into.add(card["fingerprint"])


def test_production_never_mounts_the_sandbox(settings: Settings) -> None:
    production = Settings(
        _env_file=None,  # type: ignore[call-arg]
        app_env=AppEnv.production,
        database_url=settings.database_url,
        data_dir=settings.data_dir,
        jwt_secret=SecretStr(secrets.token_urlsafe(48)),
        stripe_secret_key=SecretStr("sk_live_vaultra_example_key"),
        stripe_webhook_secret=SecretStr("whsec_live_example"),
        stripe_connect_client_id="ca_live_example",
        report_signing_key=SecretStr(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()),
    )
    assert not uses_sandbox(production)
    config = stripe_config(production)
    assert config.sandbox is None
    assert config.api_base == "https://api.stripe.com"
    # Even a production deployment that forgot its key never falls back to the sandbox.
    assert not uses_sandbox(production.model_copy(update={"stripe_secret_key": None}))
    app = create_app(production)
    assert all(getattr(route, "path", "") != SANDBOX_PATH for route in app.routes)

    development = settings.model_copy(update={"stripe_secret_key": None})
    mounted = create_app(development)
    assert any(getattr(route, "path", "") == SANDBOX_PATH for route in mounted.routes)
