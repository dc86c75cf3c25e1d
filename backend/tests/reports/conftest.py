"""Report tests: a business connected to a sandbox merchant (over HTTP, as in tests/stripe),
synced and scored, so a share freezes real figures."""

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.core.db import utcnow
from app.reports import pdf, ratelimit, service
from app.users import service as users_service
from app.users.models import Role
from tests.conftest import Account
from tests.stripe import conftest as stripe_fixtures
from tests.stripe.conftest import connect_merchant, redirect_query, wait_for_sync

# The Stripe tests' sandbox, served over HTTP, and settings that use it.
sandbox_config = stripe_fixtures.sandbox_config
sandbox_url = stripe_fixtures.sandbox_url
settings = stripe_fixtures.settings
app = stripe_fixtures.app

ALL_SECTIONS = ["score", "metrics", "revenue", "disputes", "funding"]


class Clock:
    """The report module's clock, moved by tests (expiry, the one-minute refresh window)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@pytest.fixture(autouse=True)
def clock() -> Iterator[Clock]:
    moved = Clock()
    service.set_clock(moved)
    ratelimit.reset()
    pdf.clear_cache()
    yield moved
    service.set_clock(None)
    ratelimit.reset()


async def wait_for_score(client: httpx.AsyncClient, account: Account, business_id: str) -> None:
    deadline = time.monotonic() + 90
    while True:
        response = await client.get(
            "/api/v1/readiness", params={"business_id": business_id}, headers=account.headers
        )
        if response.status_code == 200:
            return
        assert time.monotonic() < deadline, response.text
        await asyncio.sleep(0.2)


async def connected_business(
    client: httpx.AsyncClient, account: Account, merchant: str, name: str
) -> dict[str, Any]:
    business = await account.create_business(name)
    response = await connect_merchant(client, account, business["id"], merchant)
    assert redirect_query(response)["stripe"] == "connected"
    status = await wait_for_sync(client, account, business["id"])
    assert status["sync"]["state"] == "succeeded", status
    await wait_for_score(client, account, business["id"])
    return business


@pytest.fixture
async def owner(make_account: Any) -> Account:
    account: Account = await make_account(name="Fiona Founder")
    return account


@pytest.fixture
async def business(client: httpx.AsyncClient, owner: Account) -> dict[str, Any]:
    return await connected_business(client, owner, "healthy_saas", "Fern & Fig Software")


async def create_share(
    client: httpx.AsyncClient, account: Account, business_id: str, **fields: Any
) -> httpx.Response:
    body = {"business_id": business_id, "label": "Northwind Capital", **fields}
    return await client.post("/api/v1/reports/shares", json=body, headers=account.headers)


async def shared(
    client: httpx.AsyncClient, account: Account, business_id: str, **fields: Any
) -> dict[str, Any]:
    response = await create_share(client, account, business_id, **fields)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def page_path(share: dict[str, Any]) -> str:
    """The link's path (the link itself is on FRONTEND_URL, the same app in production)."""
    return "/r/" + share["url"].rsplit("/r/", 1)[1]


async def add_member(app: FastAPI, business_id: str, account: Account, role: Role) -> None:
    import uuid

    async with app.state.db.session() as session:
        await users_service.add_member(session, uuid.UUID(business_id), uuid.UUID(account.id), role)


@pytest.fixture
async def other_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A second visitor, from another address."""
    transport = httpx.ASGITransport(
        app=app, client=("198.51.100.7", 40000), raise_app_exceptions=False
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
