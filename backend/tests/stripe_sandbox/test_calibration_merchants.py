"""The five calibration merchants (issue 13) have the one shape each is named for.

Each isolates a pattern a naive readiness score misreads: a smooth decline, seasonality that is
flat year over year, a dip that recovered, one customer paying most of the revenue, and heavy
refunds. Figures come from the shared sandbox (seed 42, clock at 2026-06-01, default sizes).
"""

import calendar
import hashlib
import html
import itertools
import math
import statistics
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stripe_sandbox import SandboxConfig, advance, connect_merchant, create_app
from stripe_sandbox.merchants import MERCHANTS, get_merchant
from stripe_sandbox.store import connect
from tests.servers import serve_in_thread
from tests.stripe_sandbox.conftest import START
from tests.stripe_sandbox.test_determinism import rows
from tests.stripe_sandbox.test_merchants import full_months, month, monthly_revenue, objects
from tests.stripe_sandbox.test_oauth import authorize_params, links

ORIGINAL = ("healthy_saas", "seasonal_retail", "high_dispute", "new_store", "declining")
CALIBRATION = ("steady_decline", "seasonal_flat", "dip_recovery", "big_customer", "refund_heavy")
# sha256 (first 16 hex digits) of each original merchant's rows in the shared sandbox, computed
# on main before the calibration merchants existed: adding merchants must not change them.
ORIGINAL_DIGESTS = {
    "healthy_saas": "a29d698cc91b58fb",
    "seasonal_retail": "3b949fb0a4684b0f",
    "high_dispute": "2d8ae6122bef8481",
    "new_store": "2c8c504ec2ded914",
    "declining": "8be8c39d785f525d",
}
YEAR = 365 * 86400


def rolling(values: list[int], width: int = 3) -> list[float]:
    return [statistics.mean(values[i : i + width]) for i in range(len(values) - width + 1)]


def log_trend(values: list[float]) -> tuple[float, list[float]]:
    """Monthly growth rate of the least-squares line through log revenue, and the residuals."""
    logs = [math.log(v) for v in values]
    fit = statistics.linear_regression(range(len(logs)), logs)
    residuals = [y - (fit.intercept + fit.slope * x) for x, y in enumerate(logs)]
    return math.expm1(fit.slope), residuals


def succeeded(charges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in charges if c["status"] == "succeeded"]


def test_calibration_merchants_come_after_the_original_five() -> None:
    """A merchant's position is part of its ids: appending keeps the others' ids unchanged."""
    assert tuple(m.key for m in MERCHANTS) == ORIGINAL + CALIBRATION


def test_the_original_merchants_data_is_unchanged(
    shared_config: SandboxConfig, accounts: dict[str, str]
) -> None:
    conn = connect(shared_config.db_path)
    try:
        for key, expected in ORIGINAL_DIGESTS.items():
            digest = hashlib.sha256()
            for row in conn.execute(
                "SELECT id, type, created, data FROM objects WHERE account = ? ORDER BY id",
                (accounts[key],),
            ):
                digest.update(repr(row).encode())
            for row in conn.execute(
                "SELECT id, due, versions FROM pending WHERE account = ? ORDER BY id, due",
                (accounts[key],),
            ):
                digest.update(repr(row).encode())
            assert digest.hexdigest()[:16] == expected, key
    finally:
        conn.close()


def test_steady_decline_falls_smoothly_and_nothing_else_is_wrong(
    shared_config: SandboxConfig, accounts: dict[str, str]
) -> None:
    account = accounts["steady_decline"]
    charges = objects(shared_config, account, "charge")
    revenue = monthly_revenue(charges)
    assert len(revenue) >= 22
    # Per day, so that February's three missing days don't read as a wobble.
    per_day = [
        v / calendar.monthrange(*m)[1] for m, v in zip(full_months(charges), revenue, strict=True)
    ]
    rate, residuals = log_trend(per_day)
    # About -3.5% a month (-35% a year) ...
    assert -0.05 < rate < -0.025, rate
    assert revenue[-1] < 0.55 * revenue[0]
    # ... smoothly: every month within 12% of the line, and each quarter below the one before.
    assert max(abs(r) for r in residuals) < 0.12, residuals
    assert statistics.pstdev(residuals) < 0.06
    quarters = [sum(revenue[i : i + 3]) for i in range(len(revenue) % 3, len(revenue), 3)]
    assert all(b < a for a, b in itertools.pairwise(quarters)), quarters
    # Unlike the declining meal-kit merchant: one-off orders, daily payouts, none failed, and
    # few refunds or disputes.
    assert not objects(shared_config, account, "subscription")
    payouts = objects(shared_config, account, "payout")
    assert len(payouts) > 600
    assert not [p for p in payouts if p["status"] == "failed"]
    paid = len(succeeded(charges))
    assert len(objects(shared_config, account, "refund")) / paid < 0.03
    assert len(objects(shared_config, account, "dispute")) / paid < 0.003


def test_seasonal_flat_is_seasonal_and_flat_year_over_year(
    shared_config: SandboxConfig, accounts: dict[str, str]
) -> None:
    charges = objects(shared_config, accounts["seasonal_flat"], "charge")
    months = full_months(charges)
    revenue = monthly_revenue(charges)
    assert len(revenue) >= 24  # enough for the same months a year apart
    by_month = dict(zip(months, revenue, strict=True))
    summer = statistics.mean(v for (_, m), v in by_month.items() if m in (6, 7))
    winter = statistics.mean(v for (_, m), v in by_month.items() if m in (1, 2, 12))
    assert summer > 4 * winter  # strongly seasonal ...
    # ... and flat year over year: the trailing twelve months, and every three-month window of
    # the last year against the same window a year earlier, within 5%.
    assert abs(sum(revenue[-12:]) / sum(revenue[-24:-12]) - 1) < 0.05
    for end in range(len(revenue) - 12, len(revenue) + 1):
        now, year_ago = sum(revenue[end - 3 : end]), sum(revenue[end - 15 : end - 12])
        assert abs(now / year_ago - 1) < 0.05, (months[end - 1], now, year_ago)
    # A naive quarter-over-quarter reading swings wildly with the season.
    quarter_changes = [b / a - 1 for a, b in zip(revenue[:-3], revenue[3:], strict=False)]
    assert max(quarter_changes) > 1.0
    assert min(quarter_changes) < -0.5


def test_dip_recovery_fell_by_a_third_or_more_then_came_back(
    shared_config: SandboxConfig, accounts: dict[str, str]
) -> None:
    revenue = monthly_revenue(objects(shared_config, accounts["dip_recovery"], "charge"))
    assert len(revenue) >= 22
    before = statistics.mean(revenue[:6])  # 18-23 months ago: untouched by the dip
    smoothed = rolling(revenue)
    trough = min(smoothed)
    trough_end = smoothed.index(trough) + 3  # months up to the trough window's end
    assert trough < 0.7 * before, (trough, before)
    # The trough is about ten months back: 7-13 months before the last full month.
    assert 7 <= len(revenue) - trough_end + 1 <= 13, smoothed
    recent = statistics.mean(revenue[-3:])
    assert recent > 0.95 * before, (recent, before)
    assert recent > 1.5 * trough


def test_big_customer_pays_most_of_the_revenue(
    shared_config: SandboxConfig, accounts: dict[str, str]
) -> None:
    account = accounts["big_customer"]
    charges = succeeded(objects(shared_config, account, "charge"))
    assert START is not None
    last_year = [c for c in charges if c["created"] > START.timestamp() - YEAR]
    volume = Counter[str]()
    for charge in last_year:
        volume[charge["customer"]] += charge["amount"]
    total = sum(volume.values())
    (top, top_volume), (_, second_volume) = volume.most_common(2)
    assert top_volume / total >= 0.5, top_volume / total
    assert second_volume / total < 0.03
    assert len(volume) > 300  # plenty of small customers besides
    # The big customer orders every month, in bulk.
    theirs = [c for c in charges if c["customer"] == top]
    assert set(full_months(charges)) <= {month(c["created"]) for c in theirs}
    others = [c["amount"] for c in charges if c["customer"] != top]
    assert statistics.median(c["amount"] for c in theirs) > 10 * statistics.median(others)
    # Its charges carry the same planted PII as everyone's (for Vaultra's privacy tests).
    details = theirs[0]["billing_details"]
    assert details["name"]
    assert "@" in details["email"]
    assert details["phone"]


def test_refund_heavy_refunds_about_one_order_in_five(
    shared_config: SandboxConfig, accounts: dict[str, str]
) -> None:
    account = accounts["refund_heavy"]
    charges = objects(shared_config, account, "charge")
    paid = succeeded(charges)
    refunds = objects(shared_config, account, "refund")
    assert len(refunds) / len(paid) > 0.15
    refunded = sum(r["amount"] for r in refunds)
    assert refunded / sum(c["amount"] for c in paid) > 0.12
    assert refunded == sum(c["amount_refunded"] for c in charges)
    # Every month, not on average only.
    gross, back = Counter[tuple[int, int]](), Counter[tuple[int, int]]()
    for charge in paid:
        gross[month(charge["created"])] += charge["amount"]
    for refund in refunds:
        back[month(refund["created"])] += refund["amount"]
    for m in full_months(charges)[1:]:
        assert back[m] / gross[m] > 0.08, m
    partial = [c for c in charges if 0 < c["amount_refunded"] < c["amount"]]
    assert 0.15 < len(partial) / len(refunds) < 0.5
    # Returns that were never credited turn into disputes.
    reasons = {d["reason"] for d in objects(shared_config, account, "dispute")}
    assert "credit_not_processed" in reasons


@pytest.fixture
def sandbox(fresh_config: SandboxConfig) -> Iterator[httpx.Client]:
    with serve_in_thread(create_app(fresh_config)) as url, httpx.Client(base_url=url) as client:
        yield client


def test_authorize_page_describes_each_calibration_merchant(
    sandbox: httpx.Client, fresh_config: SandboxConfig
) -> None:
    page = sandbox.get("/oauth/authorize", params=authorize_params(fresh_config)).text
    found = links(page)
    for key in CALIBRATION:
        merchant = get_merchant(key)
        assert f"merchant={key}" in found[key]
        assert html.escape(merchant.name) in page
        assert html.escape(merchant.description) in page
    descriptions = [get_merchant(key).description for key in ORIGINAL + CALIBRATION]
    assert len(set(descriptions)) == len(descriptions)


@pytest.mark.parametrize("key", ["big_customer", "dip_recovery"])
async def test_new_shapes_do_not_depend_on_how_the_clock_moved(tmp_path: Path, key: str) -> None:
    """The big customer's draws and the dip's weights follow the day, not the batch."""
    stepwise, at_once = (
        SandboxConfig(db_path=str(tmp_path / f"{name}.db"), seed=7, start=START, size=800)
        for name in ("stepwise", "at_once")
    )
    account = connect_merchant(stepwise, key)
    await advance(stepwise, 2.5)
    await advance(stepwise, 12)
    connect_merchant(at_once, key)
    await advance(at_once, 14.5)
    assert rows(stepwise, account) == rows(at_once, account)
