"""The sample merchants, connected and synced end to end, rank as a lender would rank them."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from stripe_sandbox import SandboxConfig
from stripe_sandbox import create_app as create_sandbox_app
from tests.conftest import Account
from tests.servers import serve_in_thread
from tests.stripe.conftest import (
    connect_merchant,
    make_sandbox_config,
    stripe_settings,
    wait_for_sync,
)

MERCHANTS = ("healthy_saas", "seasonal_retail", "high_dispute", "new_store")


@pytest.fixture
def sandbox_config(tmp_path: Path) -> SandboxConfig:
    # The sandbox's history ends now, so trailing windows see each merchant as it is today.
    now = datetime.now(UTC).replace(microsecond=0)
    return make_sandbox_config(tmp_path / "sandbox.db", seed=7, start=now, size=None)


@pytest.fixture
def sandbox_url(sandbox_config: SandboxConfig) -> Iterator[str]:
    with serve_in_thread(create_sandbox_app(sandbox_config)) as url:
        yield url


@pytest.fixture
def settings(settings: Settings, sandbox_config: SandboxConfig, sandbox_url: str) -> Settings:
    return stripe_settings(settings, sandbox_config, sandbox_url)


async def test_sample_merchants_rank_like_a_lender(
    app: FastAPI, client: httpx.AsyncClient, make_account
) -> None:
    account: Account = await make_account()
    readiness = {}
    for merchant in MERCHANTS:
        business = await account.create_business(merchant)
        await connect_merchant(client, account, business["id"], merchant)
        status = await wait_for_sync(client, account, business["id"], limit=300)
        assert status["sync"]["state"] == "succeeded", status
        # The sync enqueued `refresh_business`; wait for it (and anything it started).
        await app.state.queue.join()
        response = await client.get(
            "/api/v1/readiness", params={"business_id": business["id"]}, headers=account.headers
        )
        assert response.status_code == 200, response.text
        readiness[merchant] = response.json()
        assert readiness[merchant]["stored"] is True

    scores = {merchant: body["score"] for merchant, body in readiness.items()}
    tiers = {merchant: body["tier"] for merchant, body in readiness.items()}
    assert scores["healthy_saas"] > scores["seasonal_retail"] > scores["high_dispute"], scores
    assert tiers["new_store"] == "insufficient_data", tiers
    assert readiness["high_dispute"]["capped_by"] == "disputes", readiness["high_dispute"]
    assert tiers["healthy_saas"] in ("ready", "strong"), scores
