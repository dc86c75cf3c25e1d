"""The five mistakes of readiness model 1.0 (issue 13): each test fails if one comes back.

1. Seasonality read as growth. 2. A smooth decline read as consistency. 3. Missing data
scored generously. 4. Tier and eligibility disagreeing. 5. No next step for a healthy
business, and a "stable" trend read from minutes of score history.
"""

import dataclasses
from datetime import date, timedelta

from app.core.db import Database
from app.metrics import service as metrics_service
from app.metrics.models import ReadinessScore
from app.metrics.readiness.model import MODEL_VERSION
from app.metrics.readiness.scoring import compute_readiness
from app.metrics.readiness.simulation import simulate
from app.recommendations.rules import RULES
from app.recommendations.service import build_facts
from app.users.models import Business
from tests.metrics.conftest import at
from tests.metrics.monthly import inputs_for_months
from tests.metrics.readiness.test_scoring import HEALTHY_SAAS
from tests.recommendations.test_rules import context_for

# A gift retailer: quiet summers, a Q4 peak (January first), 14% bigger than a year earlier.
SEASON = [0.6, 0.5, 0.6, 0.7, 0.7, 0.6, 0.5, 0.5, 0.9, 1.4, 2.6, 3.2]
LEVEL = 2_000_000


def seasonal_months(years: int, last_month: int, growth: float = 0.14) -> list[int]:
    """Monthly revenue for `years` years ending with calendar month `last_month` (1-12)."""
    count = 12 * years
    first = (last_month - count) % 12  # calendar index of the oldest month
    values = []
    for i in range(count):
        year_from_end = (count - 1 - i) // 12
        values.append(round(LEVEL * SEASON[(first + i) % 12] / (1 + growth) ** year_from_end))
    return values


def test_model_version() -> None:
    assert MODEL_VERSION == "2.0"


def test_1_seasonal_peak_is_not_read_as_growth() -> None:
    # In December: September-November against June-August is a huge "growth" sequentially.
    inputs = inputs_for_months(seasonal_months(2, last_month=11), as_of=date(2026, 12, 15))
    assert inputs.growth_3m is not None
    assert inputs.growth_3m > 1.0
    result = compute_readiness(inputs)
    growth = result.components["growth"]
    assert growth.value is not None
    assert abs(growth.value - 0.14) < 0.01
    assert growth.display == "+14%"
    assert growth.score < 90
    assert "same 3 months a year earlier" in growth.explanation
    assert result.revenue_trend.comparison == "year_over_year"
    assert result.revenue_trend.seasonal is True


def test_1_seasonal_trough_is_not_read_as_decline() -> None:
    # In May: February-April against the November-January peak.
    inputs = inputs_for_months(seasonal_months(2, last_month=4), as_of=date(2026, 5, 15))
    assert inputs.growth_3m is not None
    assert inputs.growth_3m < -0.4
    result = compute_readiness(inputs)
    assert result.components["growth"].status == "helps"
    assert result.components["consistency"].status != "hurts"
    assert result.revenue_trend.direction == "growing"
    assert result.capped_by != "revenue_decline"


def test_1_without_fifteen_months_the_comparison_says_it_cannot_correct_for_seasons() -> None:
    result = compute_readiness(inputs_for_months(seasonal_months(1, last_month=11)))
    growth = result.components["growth"]
    assert "the 3 before" in growth.explanation
    assert "can't correct for seasons yet" in growth.explanation
    assert "12 complete months of data so far" in growth.explanation
    assert result.revenue_trend.comparison == "quarter_over_quarter"


def test_2_smooth_decline_is_not_consistency() -> None:
    # Flat for a year, then a smooth fall of 45% over the last 12 months (CV 0.17 in 1.0).
    values = [1_500_000] * 12 + [round(1_500_000 * (1 - 0.45 * i / 11)) for i in range(12)]
    inputs = inputs_for_months(values)
    assert inputs.volatility_monthly_cv is not None
    assert inputs.volatility_monthly_cv < 0.2  # smooth: 1.0 read that as consistent
    result = compute_readiness(inputs)
    consistency = result.components["consistency"]
    assert consistency.status == "hurts"
    assert "sustained decline" in consistency.explanation
    assert result.capped_by == "revenue_decline"
    assert result.tier in ("emerging", "not_ready")
    assert result.revenue_trend.direction == "declining"


def test_3_missing_data_is_neutral_with_no_weight_and_says_what_is_missing() -> None:
    # A six-week-old store: one complete month.
    inputs = inputs_for_months([300_000], as_of=date(2026, 12, 15))
    assert inputs.full_months == 1
    result = compute_readiness(inputs)
    assert result.tier == "insufficient_data"
    for key in ("consistency", "growth"):
        component = result.components[key]
        assert component.status == "neutral", key
        assert component.weight == 0, key
        assert "1 complete month of data so far" in component.explanation, key
        assert "will be known in" in component.explanation, key
    # 1.0 said "averaged over the last 3 months" of one month of data.
    revenue = result.components["revenue"].explanation
    assert "averaged over 1 complete month of data so far" in revenue
    assert "last 3 complete months" not in revenue


def test_4_tier_agrees_with_eligibility_in_what_ifs() -> None:
    # 1.0: the healthy merchant with a 2% monthly dispute ratio and one dispute: 87 "strong"
    # with no product eligible.
    worse = simulate(
        HEALTHY_SAAS,
        {
            "dispute_ratio_visa_month": 0.02,
            "dispute_ratio_mc_month": 0.02,
            "disputes_count_month": 1,
            "disputes_count_3m": 1,
        },
    )
    eligible = [o.type for o in worse.funding_options if o.eligible]
    assert eligible == []
    assert worse.tier not in ("ready", "strong")
    assert worse.score <= 59
    assert worse.capped_by == "funding_eligibility"


def test_4_one_eligible_product_caps_at_ready() -> None:
    # Strong on every signal with 10 months of history: two products, then one.
    young = dataclasses.replace(HEALTHY_SAAS, months_of_history=10, days_of_history=320)
    result = compute_readiness(young)
    assert [o.type for o in result.funding_options if o.eligible] == [
        "merchant_cash_advance",
        "revenue_based_financing",
    ]
    assert result.tier == "strong"
    only_mca = dataclasses.replace(young, avg_monthly_revenue_3m=500_000, months_above_10k_last_6=2)
    capped = compute_readiness(only_mca)
    assert [o.type for o in capped.funding_options if o.eligible] == ["merchant_cash_advance"]
    assert capped.score <= 79
    assert capped.tier != "strong"


def test_5_a_healthy_business_gets_a_next_step() -> None:
    facts = build_facts(context_for())
    fired = [rule.id for rule in RULES if rule.matches(facts, "usd")]
    assert fired
    assert all(rule_id.startswith("qualifies_") for rule_id in fired)


async def test_5_score_trend_needs_seven_days_of_history(db: Database, business: Business) -> None:
    now = at("2026-12-03", 12)

    async def add(score: int, when: object) -> None:
        async with db.session() as session:
            session.add(
                ReadinessScore(
                    business_id=business.id,
                    snapshot_id=None,
                    computed_at=when,
                    score=score,
                    tier="ready",
                    model_version=MODEL_VERSION,
                    currency="usd",
                    weighted_score=float(score),
                    capped_by=None,
                    components={},
                    funding_options=[],
                    inputs={},
                )
            )

    await add(70, now - timedelta(minutes=5))
    async with db.session() as session:
        trend = await metrics_service.score_trend(session, business.id, 71, now)
    assert trend.direction == "insufficient_history"
    assert trend.change is None

    await add(60, now - timedelta(days=8))
    async with db.session() as session:
        trend = await metrics_service.score_trend(session, business.id, 71, now)
    assert (trend.direction, trend.change, trend.days) == ("improving", 11, 8)
    assert "up 11 points over the last 8 days" in trend.explanation
