"""Each calibration merchant connects through the sandbox's OAuth page, syncs in full, and its
shape survives the trip: Vaultra's own metrics show what the sandbox generated.

The sandbox's history ends now (as in tests/metrics/test_sandbox_ranking.py), so Vaultra's
trailing windows see each merchant as it is today; a different seed from the shared sandbox's
shows the shapes do not hang on one draw.
"""

import math
import statistics
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from stripe_sandbox import SandboxConfig, merchant_account_id
from stripe_sandbox import create_app as create_sandbox_app
from tests.conftest import Account
from tests.servers import serve_in_thread
from tests.stripe.conftest import (
    connect_merchant,
    db_totals,
    expected_totals,
    make_sandbox_config,
    redirect_query,
    stripe_settings,
    wait_for_sync,
)
from tests.stripe_sandbox.test_calibration_merchants import CALIBRATION, log_trend, rolling


@pytest.fixture
def sandbox_config(tmp_path: Path) -> SandboxConfig:
    now = datetime.now(UTC).replace(microsecond=0)
    return make_sandbox_config(tmp_path / "sandbox.db", seed=7, start=now, size=None)


@pytest.fixture
def sandbox_url(sandbox_config: SandboxConfig) -> Iterator[str]:
    with serve_in_thread(create_sandbox_app(sandbox_config)) as url:
        yield url


@pytest.fixture
def settings(settings: Settings, sandbox_config: SandboxConfig, sandbox_url: str) -> Settings:
    return stripe_settings(settings, sandbox_config, sandbox_url)


async def get(client: httpx.AsyncClient, account: Account, path: str, **params: Any) -> Any:
    response = await client.get(f"/api/v1{path}", params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json()


def full_months(history: dict[str, Any]) -> list[dict[str, Any]]:
    """Monthly points strictly after the first month with activity and before this month."""
    points = history["metrics"]
    first = next(i for i, p in enumerate(points) if p["charge_count"])
    return [p for p in points[first + 1 :] if date.fromisoformat(p["period_end"]) < date.today()]


def check_shape(key: str, metrics: dict[str, Any], months: list[dict[str, Any]]) -> None:
    flat = {name: entry["value"] for name, entry in metrics["metrics"].items()}
    net = [p["net_volume"] for p in months]
    if key == "steady_decline":
        days = [
            (date.fromisoformat(p["period_end"]) - date.fromisoformat(p["period_start"])).days + 1
            for p in months
        ]
        rate, residuals = log_trend([v / d for v, d in zip(net, days, strict=True)])
        assert -0.05 < rate < -0.025, rate
        assert max(abs(r) for r in residuals) < 0.12, residuals
        assert flat["growth_3m"] < 0
        assert flat["payout_failure_rate_90d"] == 0
    elif key == "seasonal_flat":
        assert flat["months_of_history"] >= 24
        assert abs(sum(net[-12:]) / sum(net[-24:-12]) - 1) < 0.05
        assert abs(sum(net[-3:]) / sum(net[-15:-12]) - 1) < 0.05
    elif key == "dip_recovery":
        before = statistics.mean(net[:6])
        trough = min(rolling(net))
        assert trough < 0.7 * before, (trough, before)
        assert statistics.mean(net[-3:]) > 0.95 * before
    elif key == "big_customer":
        assert flat["top_customer_share"] >= 0.5
        top = [p["top_customer_volume"] / p["gross_volume"] for p in months[-12:]]
        assert statistics.median(top) >= 0.4, top
    elif key == "refund_heavy":
        assert flat["refund_rate_count"] > 0.15
        assert flat["refund_rate_amount"] > 0.12
    else:  # pragma: no cover - a new calibration merchant needs its check here
        raise AssertionError(key)


@pytest.mark.parametrize("key", CALIBRATION)
async def test_calibration_merchant_connects_syncs_and_keeps_its_shape(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: Any,
    sandbox_config: SandboxConfig,
    key: str,
) -> None:
    account: Account = await make_account()
    business = await account.create_business(key)
    response = await connect_merchant(client, account, business["id"], key)
    assert redirect_query(response)["stripe"] == "connected"
    status = await wait_for_sync(client, account, business["id"], limit=300)
    assert status["sync"]["state"] == "succeeded", status
    await app.state.queue.join()  # the refresh the sync enqueued

    # Everything the sandbox holds for the account arrived, to the cent.
    acct = merchant_account_id(sandbox_config, key)
    assert await db_totals(app.state.db, business["id"]) == expected_totals(sandbox_config, acct)

    params = {"business_id": business["id"]}
    metrics = await get(client, account, "/metrics", **params)
    start = date.today().replace(day=1)
    start = start.replace(year=start.year - 4)
    history = await get(
        client, account, "/metrics/history", granularity="month", start_date=start, **params
    )
    months = full_months(history)
    assert len(months) >= 22
    assert all(p["gross_volume"] > 0 for p in months)
    assert all(math.isfinite(p["net_volume"]) for p in months)
    check_shape(key, metrics, months)

    readiness = await get(client, account, "/readiness", **params)
    assert readiness["stored"] is True
    assert 0 <= readiness["score"] <= 100
