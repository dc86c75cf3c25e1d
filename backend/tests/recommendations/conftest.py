"""Snapshots with chosen metric values, so each rule can be driven directly."""

import itertools
from datetime import datetime, timedelta
from typing import Any

import pytest

from app.core.db import Database
from app.metrics.models import MetricSnapshot
from app.users.models import Business
from tests.metrics.conftest import at, create_business

T0 = at("2025-06-15", 12)
# A business no rule has anything to say about.
HEALTHY: dict[str, Any] = {
    "days_of_history": 800,
    "months_of_history": 26,
    "revenue_30d": 2_600_000,
    "revenue_90d": 7_500_000,
    "revenue_365d": 30_000_000,
    "revenue_all_time": 55_000_000,
    "avg_monthly_revenue_3m": 2_500_000,
    "months_above_10k_last_6": 6,
    "growth_mom": 0.03,
    "growth_3m": 0.1,
    "full_months": 26,
    "growth_yoy": 0.1,
    "revenue_trend_12m": 0.1,
    "volatility_detrended_cv": 0.06,
    "volatility_monthly_cv": 0.15,
    "volatility_weekly_cv": 0.2,
    "low_volume_months_12m": 0,
    "dispute_ratio_visa_month": 0.001,
    "dispute_ratio_visa_3m": 0.001,
    "dispute_ratio_mc_month": 0.001,
    "dispute_ratio_mc_3m": 0.001,
    "disputes_count_month": 1,
    "disputes_count_3m": 2,
    "fraud_dispute_share_90d": 0.0,
    "refund_rate_amount": 0.01,
    "refund_rate_count": 0.01,
    "payout_failure_rate_90d": 0.0,
    "payout_avg_arrival_delay_days": 1.0,
    "payouts_count_90d": 60,
    "top_customer_share": 0.05,
    "top5_customer_share": 0.15,
    "unique_customers_365d": 500,
    "avg_charge_amount": 5_000,
}


def unit_of(name: str) -> str:
    if name.startswith(("revenue_", "avg_")):
        return "money"
    if name in ("days_of_history", "payout_avg_arrival_delay_days"):
        return "days"
    if name.startswith("months_") or name == "low_volume_months_12m":
        return "months"
    if name.startswith("volatility"):
        return "cv"
    if name.startswith(("refund_rate", "dispute_ratio")):
        return "ratio"
    if "count" in name or name.startswith("unique"):
        return "count"
    return "ratio"


_ticks = itertools.count(1)


async def put_snapshot(
    db: Database, business: Business, at_time: datetime | None = None, **changes: Any
) -> MetricSnapshot:
    """Store a snapshot of HEALTHY with `changes`; each is newer than the previous one."""
    values = {**HEALTHY, **changes}
    metrics = {
        name: {"value": value, "window": "test", "unit": unit_of(name)}
        | ({"currency": "usd"} if unit_of(name) == "money" else {})
        for name, value in values.items()
    }
    computed_at = at_time or T0 + timedelta(seconds=next(_ticks))
    async with db.session() as session:
        snapshot = MetricSnapshot(
            business_id=business.id,
            computed_at=computed_at,
            as_of=computed_at.date(),
            currency="usd",
            metrics=metrics,
        )
        session.add(snapshot)
    return snapshot


@pytest.fixture
async def business(db: Database) -> Business:
    return await create_business(db)
