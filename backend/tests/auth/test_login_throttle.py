import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from tests.conftest import REDIS_URL, TEST_PASSWORD

LOGIN = "/api/v1/auth/login"
LIMIT = 3


@pytest.fixture(params=["database", "redis"])
def settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "login_max_failures": LIMIT,
            "login_window_seconds": 2,
            "redis_url": REDIS_URL if request.param == "redis" else None,
        }
    )


ClientFor = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def client_from(app: FastAPI) -> ClientFor:
    @asynccontextmanager
    async def make(ip: str) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http

    return make


async def _login(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await http.post(LOGIN, json={"email": email, "password": password})


async def test_failures_per_email_are_throttled_then_released(
    make_account: Any, client_from: ClientFor
) -> None:
    email = f"victim-{uuid.uuid4().hex[:8]}@example.com"
    await make_account(email=email)
    # Failures from different IPs still count against the email.
    for index in range(LIMIT):
        async with client_from(f"192.0.2.{index + 1}") as http:
            assert (await _login(http, email, "wrong password")).status_code == 401
    async with client_from("192.0.2.200") as http:
        blocked = await _login(http, email, TEST_PASSWORD)
        assert blocked.status_code == 429
        assert blocked.json()["code"] == "too_many_login_attempts"
        assert 1 <= int(blocked.headers["retry-after"]) <= 2
        await asyncio.sleep(2.1)  # the window slides past the failures
        assert (await _login(http, email, TEST_PASSWORD)).status_code == 200


async def test_failures_per_ip_are_throttled(make_account: Any, client_from: ClientFor) -> None:
    ip = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    account_email = f"bystander-{uuid.uuid4().hex[:8]}@example.com"
    await make_account(email=account_email)
    async with client_from(ip) as http:
        for index in range(LIMIT):
            response = await _login(http, f"guess-{index}-{uuid.uuid4().hex[:6]}@example.com", "x")
            assert response.status_code == 401
        assert (await _login(http, account_email, TEST_PASSWORD)).status_code == 429
    # The same account from another address is not locked out.
    async with client_from("203.0.113.99") as http:
        assert (await _login(http, account_email, TEST_PASSWORD)).status_code == 200


async def test_success_resets_the_email_counter(make_account: Any, client_from: ClientFor) -> None:
    email = f"forgetful-{uuid.uuid4().hex[:8]}@example.com"
    await make_account(email=email)
    for round_number in range(2):
        async with client_from(f"192.0.2.{50 + round_number}") as http:
            for _ in range(LIMIT - 1):
                assert (await _login(http, email, "wrong password")).status_code == 401
            assert (await _login(http, email, TEST_PASSWORD)).status_code == 200
