"""Property-based tests: bounds, determinism and monotonicity of the readiness score."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.metrics.readiness.inputs import METRIC_RULES, ReadinessInputs
from app.metrics.readiness.model import INSUFFICIENT_HISTORY_DAYS
from app.metrics.readiness.results import ReadinessResult
from app.metrics.readiness.scoring import compute_readiness

# database=None: don't leave a .hypothesis folder in the repository.
PROPERTY_SETTINGS = settings(max_examples=100, database=None, deadline=None)


def _floats(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


# Ranges are wider than real data (ratios above 1, negative growth down to -100%) so the
# curves' flat ends and clamps are exercised too.
VALUES: dict[str, st.SearchStrategy[Any]] = {
    "days_of_history": st.integers(0, 5_000),
    "months_of_history": st.integers(0, 170),
    "full_months": st.integers(0, 36),
    "revenue_30d": st.integers(-(10**6), 10**10),
    "revenue_90d": st.integers(-(10**6), 10**10),
    "revenue_365d": st.integers(-(10**6), 10**11),
    "revenue_all_time": st.integers(0, 10**12),
    "avg_monthly_revenue_3m": st.integers(-(10**6), 10**10),
    "months_above_10k_last_6": st.integers(0, 6),
    "growth_mom": _floats(-1, 20),
    "growth_3m": _floats(-1, 20),
    "growth_yoy": _floats(-1, 20),
    "revenue_trend_12m": _floats(-1, 10),
    "seasonality_strength": _floats(0, 1),
    "volatility_detrended_cv": _floats(0, 5),
    "volatility_monthly_cv": _floats(0, 5),
    "volatility_weekly_cv": _floats(0, 5),
    "low_volume_months_12m": st.integers(0, 12),
    "dispute_ratio_visa_month": _floats(0, 1.5),
    "dispute_ratio_visa_3m": _floats(0, 1.5),
    "dispute_ratio_mc_month": _floats(0, 1.5),
    "dispute_ratio_mc_3m": _floats(0, 1.5),
    "disputes_count_month": st.integers(0, 5_000),
    "disputes_count_3m": st.integers(0, 15_000),
    "refund_rate_amount": _floats(0, 1.5),
    "refund_rate_count": _floats(0, 1.5),
    "payout_failure_rate_90d": _floats(0, 1),
    "payout_avg_arrival_delay_days": _floats(-2, 60),
    "payouts_count_90d": st.integers(0, 500),
    "top_customer_share": _floats(0, 1),
    "top5_customer_share": _floats(0, 1),
    "unique_customers_365d": st.integers(0, 10**6),
    "avg_charge_amount": st.integers(0, 10**8),
}


def _field_values(name: str) -> st.SearchStrategy[Any]:
    if METRIC_RULES[name].optional:
        return st.none() | VALUES[name]
    return VALUES[name]


INPUTS = st.builds(ReadinessInputs, **{name: _field_values(name) for name in METRIC_RULES})
CURRENCIES = st.sampled_from(["usd", "eur", "jpy", "sek"])

# +1: a higher value never lowers the score; -1: a higher value never raises it.
DIRECTIONS: dict[str, int] = {
    "days_of_history": +1,
    "months_of_history": +1,
    "revenue_30d": +1,
    "revenue_90d": +1,
    "revenue_365d": +1,
    "revenue_all_time": +1,
    "avg_monthly_revenue_3m": +1,
    "months_above_10k_last_6": +1,
    "growth_mom": +1,
    "growth_3m": +1,
    "growth_yoy": +1,
    "revenue_trend_12m": +1,
    "volatility_detrended_cv": -1,
    "volatility_monthly_cv": -1,
    "low_volume_months_12m": -1,
    "dispute_ratio_visa_month": -1,
    "dispute_ratio_visa_3m": -1,
    "dispute_ratio_mc_month": -1,
    "dispute_ratio_mc_3m": -1,
    "disputes_count_month": -1,
    "disputes_count_3m": -1,
    "refund_rate_amount": -1,
    "refund_rate_count": -1,
    "payout_failure_rate_90d": -1,
    "payout_avg_arrival_delay_days": -1,
    "top_customer_share": -1,
    "top5_customer_share": -1,
    "unique_customers_365d": +1,
}


def test_every_scored_metric_has_a_direction_and_a_strategy() -> None:
    assert set(VALUES) == set(METRIC_RULES)
    assert set(DIRECTIONS) <= set(METRIC_RULES)
    # Not scored: counts shown for context, the season (it changes what is measured, not
    # how good it is) and the raw weekly CV (model 2.0 measures volatility around the trend).
    assert set(METRIC_RULES) - set(DIRECTIONS) == {
        "payouts_count_90d",
        "avg_charge_amount",
        "full_months",
        "seasonality_strength",
        "volatility_weekly_cv",
    }


@PROPERTY_SETTINGS
@given(inputs=INPUTS, currency=CURRENCIES)
def test_scores_are_bounded_and_consistent(inputs: ReadinessInputs, currency: str) -> None:
    result = compute_readiness(inputs, currency)
    assert 0 <= result.score <= 100
    assert 0 <= result.weighted_score <= 100
    assert result.score <= round(result.weighted_score) + 1
    for component in result.components.values():
        assert 0 <= component.score <= 100
        if component.caps_score_at is not None:
            assert result.score <= component.caps_score_at
    if inputs.days_of_history < INSUFFICIENT_HISTORY_DAYS:
        assert result.tier == "insufficient_data"
    else:
        assert result.tier != "insufficient_data"
    assert len(result.funding_options) == 4
    for option in result.funding_options:
        assert option.eligible == (not option.unmet)


@PROPERTY_SETTINGS
@given(inputs=INPUTS, currency=CURRENCIES)
def test_same_input_gives_identical_output(inputs: ReadinessInputs, currency: str) -> None:
    copy = dataclasses.replace(inputs)
    first = compute_readiness(inputs, currency).model_dump_json()
    assert compute_readiness(copy, currency).model_dump_json() == first


def _assert_ordered(low: ReadinessResult, high: ReadinessResult, direction: int) -> None:
    """``high`` used the larger metric value; check score and every component move right."""
    worse, better = (low, high) if direction > 0 else (high, low)
    assert better.score >= worse.score
    for key, component in better.components.items():
        assert component.score >= worse.components[key].score, key


@pytest.mark.parametrize("name", sorted(DIRECTIONS))
@PROPERTY_SETTINGS
@given(data=st.data(), inputs=INPUTS, currency=CURRENCIES)
def test_score_is_monotone_in_each_metric(
    name: str, data: st.DataObject, inputs: ReadinessInputs, currency: str
) -> None:
    a = data.draw(VALUES[name], label="a")
    b = data.draw(VALUES[name], label="b")
    low, high = sorted((a, b))
    _assert_ordered(
        compute_readiness(dataclasses.replace(inputs, **{name: low}), currency),
        compute_readiness(dataclasses.replace(inputs, **{name: high}), currency),
        DIRECTIONS[name],
    )


@PROPERTY_SETTINGS
@given(inputs=INPUTS, currency=CURRENCIES, factor=_floats(1, 10))
def test_more_revenue_everywhere_never_lowers_the_score(
    inputs: ReadinessInputs, currency: str, factor: float
) -> None:
    # Revenue metrics move together in real data; scaling all of them up must not hurt.
    fields = (
        "revenue_30d",
        "revenue_90d",
        "revenue_365d",
        "revenue_all_time",
        "avg_monthly_revenue_3m",
    )
    changes: dict[str, Any] = {
        f: max(getattr(inputs, f), round(getattr(inputs, f) * factor)) for f in fields
    }
    richer = dataclasses.replace(inputs, **changes)
    _assert_ordered(compute_readiness(inputs, currency), compute_readiness(richer, currency), +1)


@PROPERTY_SETTINGS
@given(inputs=INPUTS, currency=CURRENCIES, extra=_floats(0, 0.5))
def test_worse_disputes_everywhere_never_raise_the_score(
    inputs: ReadinessInputs, currency: str, extra: float
) -> None:
    ratios = (
        "dispute_ratio_visa_month",
        "dispute_ratio_visa_3m",
        "dispute_ratio_mc_month",
        "dispute_ratio_mc_3m",
    )
    changes: dict[str, Any] = {r: (getattr(inputs, r) or 0.0) + extra for r in ratios}
    worse = dataclasses.replace(
        inputs,
        disputes_count_month=inputs.disputes_count_month + 3,
        disputes_count_3m=inputs.disputes_count_3m + 9,
        **changes,
    )
    # Going from "no ratio" to 0 + extra is not an ordering (a missing component weighs 0), so only
    # inputs where every ratio is present are compared.
    if all(getattr(inputs, r) is not None for r in ratios):
        _assert_ordered(compute_readiness(worse, currency), compute_readiness(inputs, currency), +1)
