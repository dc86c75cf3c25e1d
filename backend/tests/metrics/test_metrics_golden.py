"""Every snapshot metric on hand-built data sets with known answers."""

import statistics
from datetime import date
from typing import Any

import pytest

from app.core.db import Database
from app.metrics import rollup, series
from app.metrics import service as metrics_service
from app.metrics.calculations import complete_months_between, customer_window
from app.users.models import Business
from tests.metrics.conftest import StripeData, at, create_business

NOW = at("2025-06-15", 18)  # a Sunday: the week of June 9 is still in progress


def golden_data(business: Business) -> StripeData:
    """Three full months of history (March to May) and half of June, in cents.

    Net by month: March 100,000; April 101,000 (an EUR charge settled as $110, minus a
    refund of a March charge); May 60,000 (a dispute on a March charge); June 35,000.
    """
    data = StripeData(business.id)
    march = data.charge("2025-03-01", 10_000, customer="cus_a")
    data.charge("2025-03-01", 20_000, customer="cus_b")
    data.charge("2025-03-01", 30_000, customer="cus_a")
    data.charge("2025-03-01", 5_000, customer="cus_a", status="failed")
    data.charge("2025-03-31", 40_000, customer="cus_c")
    data.charge("2025-04-01", 100_000, customer="cus_a")
    # EUR charge settled in USD: counts at the settled amount.
    data.charge(
        "2025-04-15",
        10_000,
        currency="eur",
        settled_amount=11_000,
        settled_currency="usd",
        customer="cus_d",
    )
    # EUR charge settled in EUR: no USD amount, left out and counted as unconverted.
    data.charge("2025-04-15", 5_000, currency="eur", settled_currency="eur", customer="cus_f")
    # Refunded in April, a month after its charge: April's revenue pays for it.
    data.refund("2025-04-02", 10_000, charge_id=march)
    data.charge("2025-05-10", 50_000, customer="cus_b")
    for _ in range(3):  # the last second of May
        data.charge(at("2025-05-31", 23, 59, 59), 10_000, customer="cus_e")
    data.charge(at("2025-06-01", 0, 0, 1), 10_000, customer="cus_e")
    data.charge("2025-06-14", 25_000)  # a guest checkout
    # Disputes count in the month they were opened, not the charge's month.
    data.dispute("2025-05-05", 20_000, reason="fraudulent", charge_id=march)
    data.dispute("2025-05-20", 5_000, reason="product_not_received", status="won")
    data.dispute("2025-05-21", 3_000, status="warning_needs_response")  # an inquiry
    data.payout("2025-04-03", 100_000, arrival_days=2)
    data.payout("2025-05-03", 50_000, status="failed", arrival_days=None)
    data.payout("2025-06-01", 30_000, arrival_days=3)
    data.payout("2025-06-02", 10_000, status="pending")
    return data


def values(metrics: dict[str, Any]) -> dict[str, Any]:
    return {name: entry["value"] for name, entry in metrics.items()}


async def compute(db: Database, business: Business, **kwargs: Any) -> dict[str, Any]:
    async with db.session() as session:
        snapshot = await metrics_service.compute_metrics(session, business, now=NOW, **kwargs)
        return snapshot.metrics


async def test_golden_metrics(db: Database, business: Business) -> None:
    await golden_data(business).save(db)
    metrics = await compute(db, business)
    got = values(metrics)

    weeks = [0, 0, 0, 0, 130_000, 0, 11_000, 0, 0, 30_000, 0, 0, 40_000, 0]  # Mar 3 - Jun 2
    months = [100_000, 101_000, 60_000]
    expected = {
        "history_start": "2025-03-01",
        "days_of_history": 107,
        "months_of_history": 3,
        "revenue_30d": 65_000,  # May 17 - June 15
        "revenue_90d": 236_000,  # March 18 - June 15
        "revenue_365d": 296_000,
        "revenue_all_time": 296_000,
        "avg_monthly_revenue_3m": 87_000,
        "months_above_10k_last_6": 0,
        "growth_mom": (60_000 - 101_000) / 101_000,
        "growth_3m": None,  # needs six full months
        "volatility_monthly_cv": statistics.pstdev(months) / statistics.fmean(months),
        "volatility_weekly_cv": statistics.pstdev(weeks) / statistics.fmean(weeks),
        "low_volume_months_12m": 0,
        # May: 2 disputes, 4 charges; April: 3 charges; March: 4; February: none.
        "dispute_ratio_visa_month": 2 / 4,
        "dispute_ratio_visa_3m": 2 / 11,
        "dispute_ratio_mc_month": 2 / 3,
        "dispute_ratio_mc_3m": 2 / 7,
        "disputes_count_month": 2,
        "disputes_count_3m": 2,
        "disputes_by_reason_90d": {"fraudulent": 1, "product_not_received": 1},
        "fraud_dispute_share_90d": 0.5,
        "refund_rate_amount": 10_000 / 266_000,
        "refund_rate_count": 1 / 10,
        "payouts_count_90d": 3,
        "payout_failure_rate_90d": 1 / 3,
        "payout_avg_arrival_delay_days": 2.5,
        "avg_charge_amount": round(266_000 / 9),
        "gross_volume_90d": 266_000,
        "charge_count_90d": 10,
        "unconverted_charges_365d": 1,
        # March 1 - May 31: cus_a 140,000 of 291,000; five customers with a USD amount.
        "top_customer_share": 140_000 / 291_000,
        "top5_customer_share": 1.0,
        "unique_customers_365d": 6,
        # Three full months: too few for a trend, a season or year-over-year growth.
        "full_months": 3,
        "growth_yoy": None,
        "seasonality_strength": None,
        "revenue_trend_12m": None,
        "volatility_detrended_cv": None,
    }
    for name, value in expected.items():
        assert got[name] == pytest.approx(value), name
    assert set(got) == set(expected)

    assert metrics["revenue_30d"] == {
        "value": 65_000,
        "window": "2025-05-17/2025-06-15",
        "unit": "money",
        "currency": "usd",
    }
    assert metrics["dispute_ratio_mc_3m"]["window"] == "2025-03-01/2025-05-31"
    assert metrics["top_customer_share"]["window"] == "2025-03-01/2025-05-31"


async def test_golden_rollups(db: Database, business: Business) -> None:
    await golden_data(business).save(db)
    await compute(db, business)
    async with db.session() as session:
        rows = {row.day: row for row in await rollup.load_rollups(session, business.id)}

    march_1 = rows[date(2025, 3, 1)]
    assert (march_1.gross_volume, march_1.charge_count, march_1.failed_charge_count) == (
        60_000,
        3,
        1,
    )
    assert march_1.unique_customers == 2
    april_15 = rows[date(2025, 4, 15)]
    assert (april_15.gross_volume, april_15.charge_count) == (11_000, 2)
    assert april_15.unconverted_charge_count == 1
    april_2 = rows[date(2025, 4, 2)]
    assert (april_2.refund_amount, april_2.refund_count, april_2.net_volume) == (10_000, 1, -10_000)
    may_5 = rows[date(2025, 5, 5)]
    assert (may_5.dispute_count, may_5.dispute_amount, may_5.dispute_loss_amount) == (
        1,
        20_000,
        20_000,
    )
    assert may_5.disputes_by_reason == {"fraudulent": 1}
    may_20 = rows[date(2025, 5, 20)]
    assert (may_20.dispute_count, may_20.dispute_loss_amount, may_20.net_volume) == (1, 0, 0)
    assert date(2025, 5, 21) not in rows  # the inquiry
    assert rows[date(2025, 5, 31)].gross_volume == 30_000
    assert rows[date(2025, 6, 1)].gross_volume == 10_000
    assert rows[date(2025, 6, 1)].payouts_paid_count == 1
    assert rows[date(2025, 6, 1)].payout_arrival_days == 3
    assert rows[date(2025, 5, 3)].payouts_failed_amount == 50_000
    assert date(2025, 6, 2) not in rows  # a pending payout only


async def test_empty_account(db: Database, business: Business) -> None:
    got = values(await compute(db, business))
    assert got["days_of_history"] == got["months_of_history"] == 0
    assert got["revenue_30d"] == got["revenue_all_time"] == got["avg_monthly_revenue_3m"] == 0
    for name in (
        "growth_mom",
        "growth_3m",
        "volatility_monthly_cv",
        "volatility_weekly_cv",
        "dispute_ratio_visa_month",
        "dispute_ratio_mc_3m",
        "refund_rate_amount",
        "payout_failure_rate_90d",
        "payout_avg_arrival_delay_days",
        "top_customer_share",
        "avg_charge_amount",
        "history_start",
    ):
        assert got[name] is None, name
    assert got["unique_customers_365d"] == 0
    async with db.session() as session:
        score = await metrics_service.compute_readiness(session, business)
        assert score is not None
        assert score.tier == "insufficient_data"


async def test_single_day(db: Database, business: Business) -> None:
    data = StripeData(business.id)
    data.charge(at("2025-06-15", 9), 12_345, customer="cus_a")
    data.charge(at("2025-06-15", 10), 5_000, status="failed", customer="cus_b")
    await data.save(db)
    got = values(await compute(db, business))
    assert got["days_of_history"] == 1
    assert got["months_of_history"] == 0
    assert got["revenue_30d"] == got["revenue_all_time"] == 12_345
    # No full month yet: the run rate of the history so far, per 30 days.
    assert got["avg_monthly_revenue_3m"] == 12_345
    assert got["avg_charge_amount"] == 12_345
    assert got["refund_rate_amount"] == 0
    # A business that started this month is judged on the month so far.
    assert got["top_customer_share"] == 1.0
    assert got["unique_customers_365d"] == 1
    assert got["growth_mom"] is None
    assert got["volatility_monthly_cv"] is None
    assert got["dispute_ratio_visa_month"] is None


async def test_other_business_currency(db: Database) -> None:
    """For a EUR business, EUR charges count as is and USD ones only if settled in EUR."""
    business = await create_business(db, currency="eur")
    data = StripeData(business.id)
    data.charge("2025-06-10", 10_000, currency="eur")
    data.charge("2025-06-10", 20_000, currency="usd", settled_amount=18_000, settled_currency="eur")
    data.charge("2025-06-10", 7_000, currency="usd", settled_amount=7_000, settled_currency="usd")
    await data.save(db)
    metrics = await compute(db, business)
    assert metrics["revenue_30d"]["value"] == 28_000
    assert metrics["revenue_30d"]["currency"] == "eur"
    assert metrics["unconverted_charges_365d"]["value"] == 1


async def test_low_volume_months_and_growth(db: Database, business: Business) -> None:
    """Seven full months, one of them empty and one thin: both count as low volume."""
    data = StripeData(business.id)
    monthly = {
        "2024-11-01": 100_000,
        "2024-12-01": 100_000,
        "2025-01-01": 0,
        "2025-02-01": 40_000,  # under half the median (100,000)
        "2025-03-01": 100_000,
        "2025-04-01": 120_000,
        "2025-05-01": 150_000,
    }
    for day, amount in monthly.items():
        if amount:
            data.charge(day, amount)
    await data.save(db)
    got = values(await compute(db, business))
    assert got["months_of_history"] == 7
    assert got["low_volume_months_12m"] == 2
    assert got["growth_mom"] == pytest.approx(150_000 / 120_000 - 1)
    assert got["growth_3m"] == pytest.approx(370_000 / 140_000 - 1)
    assert got["months_above_10k_last_6"] == 0
    assert got["avg_monthly_revenue_3m"] == round(370_000 / 3)
    # Seven full months: a trend line and volatility around it, not yet year over year.
    assert got["full_months"] == 7
    assert got["growth_yoy"] is None
    values_ = list(monthly.values())
    figures = series.analyse(values_)
    assert got["volatility_detrended_cv"] == pytest.approx(figures.volatility_detrended_cv)
    assert got["revenue_trend_12m"] == pytest.approx(figures.revenue_trend_12m)
    assert got["revenue_trend_12m"] > 0


def test_month_arithmetic() -> None:
    assert complete_months_between(date(2025, 1, 15), date(2025, 4, 14)) == 2
    assert complete_months_between(date(2025, 1, 15), date(2025, 4, 15)) == 3
    assert complete_months_between(date(2025, 1, 31), date(2025, 2, 28)) == 0
    assert customer_window(date(2023, 1, 1), date(2025, 6, 15)) == (
        date(2024, 6, 1),
        date(2025, 5, 31),
    )
    assert customer_window(date(2025, 6, 3), date(2025, 6, 15)) == (
        date(2025, 6, 3),
        date(2025, 6, 15),
    )


async def test_a_full_recompute_counts_charges_written_earlier_in_its_transaction(
    db: Database, business: Business
) -> None:
    """A full run reads the customer figures on a second connection when it can; that
    connection can't see this transaction's own writes, so then it must not be used."""
    await golden_data(business).save(db)
    late = StripeData(business.id)
    late.charge("2025-05-20", 500_000, customer="cus_big")
    async with db.session() as session:
        session.add_all(late.rows)
        snapshot = await metrics_service.compute_metrics(session, business, now=NOW, full=True)
    got = values(snapshot.metrics)
    # March 1 - May 31: cus_big 500,000 of 791,000.
    assert got["top_customer_share"] == pytest.approx(500_000 / 791_000)
    assert got["unique_customers_365d"] == 7
    # And the same figures when everything was committed first (the second connection's path).
    assert values(await compute(db, business, full=True)) == got
