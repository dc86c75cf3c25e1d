"""Stripe tests run against the real sandbox served over HTTP (tests/servers.py).

Each test gets its own small sandbox file, whose clock starts 60 days in the past so that the
sandbox's event times stay behind the real clock (as Stripe's do).
"""

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import func, select, text, update

from app.core.config import Settings
from app.core.db import Database
from app.main import create_app
from app.stripe import service as stripe_service
from app.stripe.config import CALLBACK_PATH
from app.stripe.models import (
    IntegrationAccount,
    StripeBalanceTransaction,
    StripeCharge,
    StripeCustomer,
    StripeDispute,
    StripePayout,
    StripeRefund,
    StripeSubscription,
)
from stripe_sandbox import SandboxConfig
from stripe_sandbox import create_app as create_sandbox_app
from stripe_sandbox import totals as sandbox_totals
from tests.conftest import TEST_PASSWORD, Account, _clean
from tests.servers import free_port, serve_in_thread

SANDBOX_SIZE = 150


def make_sandbox_config(path: Path, **changes: Any) -> SandboxConfig:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=60)
    options: dict[str, Any] = {
        "seed": 11,
        "size": SANDBOX_SIZE,
        "start": start,
        # The app's callback, as the `settings` fixture's APP_BASE_URL makes it.
        "redirect_uris": ("http://testserver" + CALLBACK_PATH,),
    } | changes
    return SandboxConfig(db_path=str(path), **options)


@pytest.fixture
def sandbox_config(tmp_path: Path) -> SandboxConfig:
    return make_sandbox_config(tmp_path / "stripe_sandbox.db")


@pytest.fixture
def sandbox_url(sandbox_config: SandboxConfig) -> Iterator[str]:
    with serve_in_thread(create_sandbox_app(sandbox_config)) as url:
        yield url


@pytest.fixture
async def app(app: FastAPI) -> AsyncIterator[FastAPI]:
    """The root `app`, whose background jobs (a backfill, event processing) end before it does."""
    yield app
    await app.state.queue.join()


def stripe_settings(base: Settings, sandbox: SandboxConfig, url: str, **changes: Any) -> Settings:
    """Settings that talk to a sandbox served at `url`, as they would to Stripe."""
    return base.model_copy(
        update={
            "stripe_secret_key": SecretStr(sandbox.secret_key),
            "stripe_connect_client_id": sandbox.client_id,
            "stripe_webhook_secret": SecretStr(sandbox.webhook_secret),
            "stripe_api_base": url,
            "stripe_connect_base": url,
            "stripe_max_rps": 200.0,
            "jobs_retry_base_seconds": 0.05,
            **changes,
        }
    )


@pytest.fixture
def settings(settings: Settings, sandbox_config: SandboxConfig, sandbox_url: str) -> Settings:
    return stripe_settings(settings, sandbox_config, sandbox_url)


def sign(payload: bytes | str, secret: str, timestamp: int | None = None) -> str:
    """A Stripe-Signature header, computed as Stripe documents it."""
    body = payload.decode() if isinstance(payload, bytes) else payload
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


async def post_event(
    client: httpx.AsyncClient, event: dict[str, Any], secret: str
) -> httpx.Response:
    body = json.dumps(event)
    return await client.post(
        "/api/v1/webhooks/stripe",
        content=body,
        headers={"Stripe-Signature": sign(body, secret), "Content-Type": "application/json"},
    )


async def connect_merchant(
    client: httpx.AsyncClient,
    account: Account,
    business_id: str,
    merchant: str,
    *,
    deny: bool = False,
) -> httpx.Response:
    """The browser's way: authorize URL → the sandbox's page → pick a merchant → callback."""
    response = await client.get(
        "/api/v1/integrations/stripe/connect",
        params={"business_id": business_id},
        headers=account.headers,
    )
    assert response.status_code == 200, response.text
    authorize_url = response.json()["url"]
    async with httpx.AsyncClient() as browser:
        page = await browser.get(authorize_url)
        assert page.status_code == 200, page.text
        link_id = "deny" if deny else merchant
        href = page.text.split(f'id="{link_id}" href="', 1)[1].split('"', 1)[0]
        href = href.replace("&amp;", "&")
        parts = urlsplit(authorize_url)
        choice = await browser.get(f"{parts.scheme}://{parts.netloc}{href}")
    assert choice.status_code == 302, choice.text
    callback = urlsplit(choice.headers["location"])
    return await client.get(f"{callback.path}?{callback.query}")


def redirect_query(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    assert location.path == "/dashboard"
    return {key: values[0] for key, values in parse_qs(location.query).items()}


async def wait_for_sync(
    client: httpx.AsyncClient, account: Account, business_id: str, *, limit: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + limit
    while True:
        response = await client.get(
            "/api/v1/integrations/stripe/status",
            params={"business_id": business_id},
            headers=account.headers,
        )
        body: dict[str, Any] = response.json()
        if body["sync"]["state"] in ("succeeded", "failed"):
            return body
        assert time.monotonic() < deadline, body
        await asyncio.sleep(0.1)


_TABLES = {
    "charge": StripeCharge,
    "refund": StripeRefund,
    "dispute": StripeDispute,
    "payout": StripePayout,
    "customer": StripeCustomer,
    "subscription": StripeSubscription,
    "balance_transaction": StripeBalanceTransaction,
}


async def db_totals(db: Database, business_id: str | uuid.UUID) -> dict[str, dict[str, Any]]:
    """The same figures as the sandbox's `totals`, computed from Vaultra's tables."""
    out: dict[str, dict[str, Any]] = {}
    key = uuid.UUID(str(business_id))
    async with db.session() as session:
        for name, model in _TABLES.items():
            table = model.__table__
            where = table.c.business_id == key
            count = (await session.execute(select(func.count()).where(where))).scalar_one()
            entry: dict[str, Any] = {"count": count}
            if "amount" in table.c:
                amount = select(func.coalesce(func.sum(table.c.amount), 0)).where(where)
                entry["amount"] = int((await session.execute(amount)).scalar_one())
            if "status" in table.c and name != "balance_transaction":
                rows = await session.execute(
                    select(table.c.status, func.count(), func.sum(table.c.amount))
                    .where(where)
                    .group_by(table.c.status)
                    if "amount" in table.c
                    else select(table.c.status, func.count(), func.count())
                    .where(where)
                    .group_by(table.c.status)
                )
                entry["by_status"] = {status: (n, int(s or 0)) for status, n, s in rows}
            if name == "charge":
                refunded = select(func.sum(table.c.amount_refunded)).where(where)
                entry["amount_refunded"] = int((await session.execute(refunded)).scalar_one() or 0)
            if name == "balance_transaction":
                sums = select(func.sum(table.c.fee), func.sum(table.c.net)).where(where)
                fee, net = (await session.execute(sums)).one()
                entry["fee"], entry["net"] = int(fee or 0), int(net or 0)
            out[name] = entry
    return out


def expected_totals(sandbox: SandboxConfig, account_id: str) -> dict[str, dict[str, Any]]:
    """The sandbox's `totals`, shaped like `db_totals`."""
    raw = sandbox_totals(sandbox, account_id)
    out: dict[str, dict[str, Any]] = {}
    for name, model in _TABLES.items():
        entry = raw.get(name, {"count": 0, "amount": 0, "by_status": {}})
        table = model.__table__
        expected: dict[str, Any] = {"count": entry["count"]}
        if "amount" in table.c:
            expected["amount"] = entry["amount"]
        if "status" in table.c and name != "balance_transaction":
            by_status = entry.get("by_status", {})
            expected["by_status"] = {
                status: (
                    bucket["count"],
                    bucket["amount"] if "amount" in table.c else bucket["count"],
                )
                for status, bucket in by_status.items()
            }
        if name == "charge":
            expected["amount_refunded"] = entry.get("amount_refunded", 0)
        if name == "balance_transaction":
            expected["fee"], expected["net"] = entry.get("fee", 0), entry.get("net", 0)
        out[name] = expected
    return out


async def forget_sync(db: Database, business_id: uuid.UUID) -> None:
    """Back to a connected account never synced: no rows, no cursors, the next pass a backfill."""
    async with db.session() as session:
        await stripe_service.delete_synced_data(session, business_id)
        await session.execute(
            update(IntegrationAccount)
            .where(IntegrationAccount.business_id == business_id)
            .values(synced_through=None)
        )


async def signup(client: httpx.AsyncClient, name: str = "Founder") -> Account:
    email = f"founder-{uuid.uuid4().hex[:10]}@example.com"
    response = await client.post(
        "/api/v1/auth/signup", json={"email": email, "password": TEST_PASSWORD, "name": name}
    )
    assert response.status_code == 201, response.text
    return Account(client, response.json())


class ServedVaultra:
    """Vaultra on a real port (so the sandbox can deliver webhooks to it)."""

    def __init__(self, url: str, settings: Settings, client: httpx.AsyncClient, db: Database):
        self.url = url
        self.settings = settings
        self.client = client
        self.db = db


@asynccontextmanager
async def serve_vaultra(
    settings: Settings, *, port: int | None = None
) -> AsyncIterator[ServedVaultra]:
    """Vaultra on a real port (`port`, or a free one). Use instead of the ASGI `app`/`client`
    fixtures, not with them."""
    port = port or free_port()
    served_settings = settings.model_copy(update={"app_base_url": f"http://127.0.0.1:{port}"})
    application = create_app(served_settings)
    db = Database(served_settings.database_url)
    try:
        with serve_in_thread(application, port=port) as url:
            async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                yield ServedVaultra(url, served_settings, client, db)
    finally:
        await _clean(db)
        await db.dispose()


async def table_dump(db: Database) -> str:
    """Every row of every Stripe table and the event payloads, as one text."""
    names = [*(model.__tablename__ for model in _TABLES.values()), "stripe_events",
             "integration_accounts", "stripe_sync_cursors"]  # fmt: skip
    chunks: list[str] = []
    async with db.session() as session:
        for name in names:
            rows = await session.execute(text(f'SELECT * FROM "{name}"'))
            chunks.extend(json.dumps([str(v) for v in row]) for row in rows)
    return "\n".join(chunks)
