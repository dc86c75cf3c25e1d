"""Golden tests for the readiness score, inputs, overrides and what-if simulation."""

from __future__ import annotations

import dataclasses
import math
from decimal import Decimal

import pytest

from app.metrics.readiness.inputs import (
    METRIC_RULES,
    OVERRIDABLE_METRICS,
    InvalidOverridesError,
    ReadinessInputs,
    validate_overrides,
)
from app.metrics.readiness.model import COMPONENTS
from app.metrics.readiness.scoring import compute_readiness, interpolate
from app.metrics.readiness.simulation import impact_of, simulate

HEALTHY_SAAS = ReadinessInputs(
    days_of_history=900,
    months_of_history=29,
    full_months=29,
    growth_yoy=0.35,
    revenue_trend_12m=0.35,
    seasonality_strength=0.3,
    volatility_detrended_cv=0.06,
    revenue_30d=4_500_000,
    revenue_90d=12_600_000,
    revenue_365d=45_000_000,
    revenue_all_time=90_000_000,
    avg_monthly_revenue_3m=4_200_000,
    months_above_10k_last_6=6,
    growth_mom=0.03,
    growth_3m=0.12,
    volatility_monthly_cv=0.12,
    volatility_weekly_cv=0.2,
    low_volume_months_12m=0,
    dispute_ratio_visa_month=0.001,
    dispute_ratio_visa_3m=0.0008,
    dispute_ratio_mc_month=0.0012,
    dispute_ratio_mc_3m=0.0009,
    disputes_count_month=2,
    disputes_count_3m=5,
    refund_rate_amount=0.015,
    refund_rate_count=0.01,
    payout_failure_rate_90d=0.0,
    payout_avg_arrival_delay_days=0.2,
    payouts_count_90d=60,
    top_customer_share=0.06,
    top5_customer_share=0.2,
    unique_customers_365d=400,
    avg_charge_amount=9_900,
)

SEASONAL_RETAILER = ReadinessInputs(
    days_of_history=1_100,
    months_of_history=36,
    full_months=36,
    # Sequentially -35% (spring against the Q4 peak); the same months a year earlier: +14%.
    growth_yoy=0.14,
    revenue_trend_12m=0.14,
    seasonality_strength=0.93,
    volatility_detrended_cv=0.12,
    revenue_30d=400_000,
    revenue_90d=2_400_000,
    revenue_365d=14_000_000,
    revenue_all_time=40_000_000,
    avg_monthly_revenue_3m=800_000,
    months_above_10k_last_6=2,
    growth_mom=-0.25,
    growth_3m=-0.35,
    volatility_monthly_cv=0.85,
    volatility_weekly_cv=1.1,
    low_volume_months_12m=5,
    dispute_ratio_visa_month=0.003,
    dispute_ratio_visa_3m=0.004,
    dispute_ratio_mc_month=0.004,
    dispute_ratio_mc_3m=0.005,
    disputes_count_month=1,
    disputes_count_3m=6,
    refund_rate_amount=0.06,
    refund_rate_count=0.05,
    payout_failure_rate_90d=0.0,
    payout_avg_arrival_delay_days=0.5,
    payouts_count_90d=45,
    top_customer_share=0.03,
    top5_customer_share=0.1,
    unique_customers_365d=2_500,
    avg_charge_amount=5_600,
)

HIGH_DISPUTE_SHOP = ReadinessInputs(
    days_of_history=420,
    months_of_history=13,
    full_months=13,
    revenue_trend_12m=0.08,
    volatility_detrended_cv=0.1,
    revenue_30d=2_100_000,
    revenue_90d=6_000_000,
    revenue_365d=21_000_000,
    revenue_all_time=23_000_000,
    avg_monthly_revenue_3m=2_000_000,
    months_above_10k_last_6=6,
    growth_mom=0.02,
    growth_3m=0.05,
    volatility_monthly_cv=0.3,
    volatility_weekly_cv=0.4,
    low_volume_months_12m=1,
    dispute_ratio_visa_month=0.024,
    dispute_ratio_visa_3m=0.021,
    dispute_ratio_mc_month=0.026,
    dispute_ratio_mc_3m=0.02,
    disputes_count_month=48,
    disputes_count_3m=130,
    refund_rate_amount=0.12,
    refund_rate_count=0.1,
    payout_failure_rate_90d=0.04,
    payout_avg_arrival_delay_days=1.5,
    payouts_count_90d=25,
    top_customer_share=0.02,
    top5_customer_share=0.05,
    unique_customers_365d=5_000,
    avg_charge_amount=4_000,
)

SIX_WEEK_STORE = ReadinessInputs(
    days_of_history=42,
    months_of_history=1,
    full_months=1,
    revenue_30d=300_000,
    revenue_90d=350_000,
    revenue_365d=350_000,
    revenue_all_time=350_000,
    avg_monthly_revenue_3m=116_666,
    volatility_weekly_cv=0.6,
    low_volume_months_12m=11,
    dispute_ratio_visa_month=0.0,
    dispute_ratio_visa_3m=0.0,
    refund_rate_amount=0.02,
    refund_rate_count=0.02,
    payout_failure_rate_90d=0.0,
    payouts_count_90d=4,
    top_customer_share=0.08,
    top5_customer_share=0.3,
    unique_customers_365d=60,
    avg_charge_amount=5_000,
)


# --- golden profiles


def test_healthy_saas_is_strong_and_every_component_helps() -> None:
    result = compute_readiness(HEALTHY_SAAS)
    assert result.score == 97
    assert result.tier == "strong"
    assert result.capped_by is None
    assert {c.status for c in result.components.values()} == {"helps"}
    revenue = result.components["revenue"]
    assert revenue.value == 4_200_000
    assert revenue.display == "$42,000/month"
    assert revenue.explanation.startswith("$42,000/month averaged over the last 3 complete months")
    assert "≥ $10,000/month" in revenue.explanation


def test_high_dispute_shop_is_capped_by_its_dispute_component() -> None:
    result = compute_readiness(HIGH_DISPUTE_SHOP)
    disputes = result.components["disputes"]
    assert disputes.status == "hurts"
    assert disputes.value == 0.026
    assert "2.6%" in disputes.explanation
    assert disputes.caps_score_at is not None
    assert result.capped_by == "disputes"
    assert result.weighted_score > result.score == disputes.caps_score_at
    assert f"can't exceed {result.score}" in disputes.explanation
    assert result.tier == "not_ready"
    assert result.components["refunds"].status == "hurts"


def test_same_shop_without_disputes_scores_much_higher() -> None:
    clean = dataclasses.replace(
        HIGH_DISPUTE_SHOP,
        dispute_ratio_visa_month=0.002,
        dispute_ratio_visa_3m=0.002,
        dispute_ratio_mc_month=0.002,
        dispute_ratio_mc_3m=0.002,
        disputes_count_month=4,
        disputes_count_3m=12,
    )
    assert compute_readiness(clean).score >= compute_readiness(HIGH_DISPUTE_SHOP).score + 25


def test_six_week_store_is_insufficient_data_but_still_scored() -> None:
    result = compute_readiness(SIX_WEEK_STORE)
    assert result.tier == "insufficient_data"
    assert 0 < result.score < 100
    assert result.components["history"].status == "hurts"
    growth = result.components["growth"]
    assert growth.score == 0.0
    assert growth.weight == 0.0
    assert growth.status == "neutral"
    assert growth.value is None
    assert growth.display == "not available yet"
    assert "1 complete month of data so far" in growth.explanation
    assert "carries no weight" in growth.explanation


def test_profiles_order_healthy_over_seasonal_over_high_dispute() -> None:
    healthy, seasonal, dispute = (
        compute_readiness(p).score for p in (HEALTHY_SAAS, SEASONAL_RETAILER, HIGH_DISPUTE_SHOP)
    )
    assert healthy > seasonal > dispute


def test_seasonal_retailer_growth_is_read_year_over_year() -> None:
    result = compute_readiness(SEASONAL_RETAILER)
    growth = result.components["growth"]
    # Model 1.0 scored the spring against the Q4 peak (-35%) and marked it as declining.
    assert growth.display == "+14%"
    assert growth.status == "helps"
    assert "-35%" not in growth.explanation
    assert "same 3 months a year earlier" in growth.explanation
    assert "seasonal" in growth.explanation
    assert result.revenue_trend.comparison == "year_over_year"
    assert result.revenue_trend.direction == "growing"
    assert result.revenue_trend.seasonal is True


# --- structure


def test_weights_and_shares_sum_to_one() -> None:
    assert math.isclose(sum(s.weight for s in COMPONENTS.values()), 1.0)
    for spec in COMPONENTS.values():
        # Curves superseded by the same metric form one alternative set of shares.
        groups: dict[str | None, float] = {}
        for c in spec.curves:
            groups[c.superseded_by] = groups.get(c.superseded_by, 0.0) + c.share
        assert all(math.isclose(total, 1.0) for total in groups.values()), groups


def test_breakpoints_are_strictly_increasing_and_within_bounds() -> None:
    for spec in COMPONENTS.values():
        tables = [c.points for c in spec.curves]
        tables += [spec.score_cap] if spec.score_cap else []
        for points in tables:
            xs = [x for x, _ in points]
            assert xs == sorted(set(xs))
            assert all(0 <= y <= 100 for _, y in points)


def test_component_weight_and_score_are_consistent_with_total() -> None:
    result = compute_readiness(SEASONAL_RETAILER)
    weighted = sum(c.weight * c.score for c in result.components.values())
    assert result.weighted_score == round(weighted, 1)
    assert result.capped_by is None
    assert result.score == math.floor(weighted + 0.5)


def test_a_component_without_data_weighs_nothing_and_the_rest_are_renormalised() -> None:
    result = compute_readiness(SIX_WEEK_STORE)
    missing = {k for k, c in result.components.items() if c.weight == 0}
    assert missing == {"consistency", "growth"}
    total = sum(c.weight for c in result.components.values())
    weighted = sum(c.weight * c.score for c in result.components.values()) / total
    assert result.weighted_score == round(weighted, 1)


def test_result_is_deterministic() -> None:
    first = compute_readiness(HIGH_DISPUTE_SHOP, "eur")
    second = compute_readiness(HIGH_DISPUTE_SHOP, "EUR")
    assert first == second
    assert first.model_dump_json() == second.model_dump_json()


def test_interpolation_is_linear_and_flat_outside() -> None:
    points = ((0.0, 0.0), (10.0, 50.0), (20.0, 100.0))
    assert interpolate(points, -5) == 0
    assert interpolate(points, 5) == 25
    assert interpolate(points, 15) == 75
    assert interpolate(points, 99) == 100


# --- currency


def test_money_thresholds_apply_numerically_to_the_business_currency() -> None:
    eur = compute_readiness(HEALTHY_SAAS, "eur")
    assert eur.score == compute_readiness(HEALTHY_SAAS, "usd").score
    assert eur.components["revenue"].display == "€42,000/month"
    assert "≥ €10,000/month" in eur.components["revenue"].explanation


def test_zero_decimal_currency_has_no_minor_unit() -> None:
    yen = dataclasses.replace(HEALTHY_SAAS, avg_monthly_revenue_3m=42_000)
    assert compute_readiness(yen, "jpy").components["revenue"].display == "¥42,000/month"


# --- inputs


def test_from_mapping_ignores_unknown_keys_and_coerces_integral_floats() -> None:
    inputs = ReadinessInputs.from_mapping(
        {"days_of_history": 400.0, "growth_3m": 0.1, "mrr_estimate": 5, "refund_rate_amount": None}
    )
    assert inputs.days_of_history == 400
    assert isinstance(inputs.days_of_history, int)
    assert inputs.growth_3m == 0.1
    assert inputs.refund_rate_amount is None
    assert inputs.revenue_365d == 0


def test_from_mapping_accepts_decimals() -> None:
    inputs = ReadinessInputs.from_mapping(
        {"revenue_365d": Decimal("500000"), "growth_3m": Decimal("0.1")}
    )
    assert inputs.revenue_365d == 500_000
    assert isinstance(inputs.revenue_365d, int)
    assert inputs.growth_3m == 0.1


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"days_of_history": 1.5}, "days_of_history: must be an integer"),
        ({"revenue_30d": None}, "revenue_30d: must not be None"),
        ({"growth_3m": float("nan")}, "growth_3m: must be finite"),
        ({"top_customer_share": True}, "top_customer_share: must be a number"),
    ],
)
def test_invalid_inputs_are_rejected(values: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        ReadinessInputs.from_mapping(values)


def test_metric_rules_cover_every_field() -> None:
    fields = [f.name for f in dataclasses.fields(ReadinessInputs)]
    assert list(METRIC_RULES) == fields
    assert set(OVERRIDABLE_METRICS) <= set(fields)


def _model_view(inputs: ReadinessInputs) -> object:
    result = compute_readiness(inputs)
    scores = {k: c.score for k, c in result.components.items()}
    criteria = [(c.criterion, c.met, c.current) for o in result.funding_options for c in o.criteria]
    return scores, criteria


def test_overridable_metrics_are_exactly_the_ones_the_model_reads() -> None:
    # An overridable metric must move a component score or a funding criterion; the others
    # are excluded so that a what-if never silently does nothing.
    few_disputes = dataclasses.replace(SEASONAL_RETAILER, disputes_count_3m=2)
    # A profile without year-over-year growth: the sequential growth metrics count there.
    profiles = [(p, _model_view(p)) for p in (SEASONAL_RETAILER, few_disputes, HIGH_DISPUTE_SHOP)]
    for name, rule in METRIC_RULES.items():
        moved = any(
            _model_view(dataclasses.replace(profile, **{name: value})) != view
            for profile, view in profiles
            for value in (int(rule.override_min), int(rule.override_max))
        )
        assert moved == (name in OVERRIDABLE_METRICS), name


# --- overrides and simulation


def test_validate_overrides_coerces_types() -> None:
    clean = validate_overrides({"days_of_history": 400.0, "growth_3m": 1})
    assert clean == {"days_of_history": 400, "growth_3m": 1.0}
    assert isinstance(clean["days_of_history"], int)
    assert isinstance(clean["growth_3m"], float)


def test_unknown_override_keys_are_named_with_the_allowed_keys() -> None:
    with pytest.raises(InvalidOverridesError) as excinfo:
        validate_overrides({"mrr": 10, "revenue_30d": 5, "growth_3m": 0.1})
    err = excinfo.value
    assert isinstance(err, ValueError)
    assert err.unknown == ["mrr", "revenue_30d"]
    assert "Unknown metric(s): mrr, revenue_30d." in str(err)
    assert "Allowed metrics: days_of_history, months_of_history," in str(err)
    assert err.allowed == list(OVERRIDABLE_METRICS)


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"refund_rate_amount": 1.5}, "refund_rate_amount must be between 0 and 1, got 1.5"),
        ({"top_customer_share": -0.1}, "top_customer_share must be between 0 and 1"),
        ({"disputes_count_3m": -1}, "disputes_count_3m must be between 0 and 2147483647, got -1"),
        ({"days_of_history": 10.5}, "days_of_history must be a whole number"),
        ({"months_above_10k_last_6": 7}, "months_above_10k_last_6 must be between 0 and 6"),
        ({"low_volume_months_12m": 13}, "low_volume_months_12m must be between 0 and 12"),
        ({"growth_3m": -1.5}, "growth_3m must be between -1 and 1000000"),
        ({"volatility_monthly_cv": float("inf")}, "volatility_monthly_cv must be finite"),
        ({"growth_mom": "0.1"}, "growth_mom must be a number"),
        ({"growth_mom": None}, "growth_mom must be a number"),
        ({"disputes_count_month": True}, "disputes_count_month must be a number"),
    ],
)
def test_out_of_range_overrides_are_rejected(overrides: dict[str, object], fragment: str) -> None:
    with pytest.raises(InvalidOverridesError, match="Invalid value") as excinfo:
        validate_overrides(overrides)
    assert fragment in str(excinfo.value)


def test_all_problems_are_reported_together() -> None:
    with pytest.raises(InvalidOverridesError) as excinfo:
        validate_overrides({"nope": 1, "refund_rate_amount": 2, "disputes_count_3m": -3})
    assert excinfo.value.unknown == ["nope"]
    assert set(excinfo.value.invalid) == {"refund_rate_amount", "disputes_count_3m"}


def test_simulate_applies_overrides_without_mutating_the_base() -> None:
    before = dataclasses.asdict(HIGH_DISPUTE_SHOP)
    overrides = {
        "dispute_ratio_visa_month": 0.004,
        "dispute_ratio_visa_3m": 0.004,
        "dispute_ratio_mc_month": 0.004,
        "dispute_ratio_mc_3m": 0.004,
    }
    result = simulate(HIGH_DISPUTE_SHOP, overrides)
    assert dataclasses.asdict(HIGH_DISPUTE_SHOP) == before
    assert result.components["disputes"].value == 0.004
    assert result.score > compute_readiness(HIGH_DISPUTE_SHOP).score
    assert impact_of(HIGH_DISPUTE_SHOP, overrides) == (
        result.score - compute_readiness(HIGH_DISPUTE_SHOP).score
    )


def test_impact_is_zero_for_a_no_op_and_negative_for_a_worse_metric() -> None:
    assert impact_of(HEALTHY_SAAS, {}) == 0
    assert impact_of(HEALTHY_SAAS, {"days_of_history": 900}) == 0
    assert impact_of(HEALTHY_SAAS, {"refund_rate_amount": 0.3}) < 0


def test_simulate_rejects_bad_overrides() -> None:
    with pytest.raises(ValueError, match="Unknown metric"):
        simulate(HEALTHY_SAAS, {"avg_charge_amount": 1})
