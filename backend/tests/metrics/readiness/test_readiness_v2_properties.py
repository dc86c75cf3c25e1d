"""Property tests over generated monthly revenue series (readiness model 2.0).

Each series goes through the real snapshot calculations (``tests/metrics/monthly.py``), so
these pin what the model does with revenue shapes, not with hand-picked metric values.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from app.metrics.readiness.inputs import METRIC_RULES, OVERRIDABLE_METRICS
from app.metrics.readiness.model import COMPONENTS, TIER_MIN_ELIGIBLE
from app.metrics.readiness.results import ReadinessResult
from app.metrics.readiness.scoring import component_score, compute_readiness
from app.metrics.readiness.simulation import simulate
from tests.metrics.monthly import inputs_for_months
from tests.metrics.readiness.test_scoring_properties import (
    CURRENCIES,
    INPUTS,
    PROPERTY_SETTINGS,
    VALUES,
)

LEVELS = st.integers(1_000_000, 100_000_000)  # 10,000 to 1,000,000 a month, in cents
SERIES = st.lists(st.integers(100_000, 100_000_000), min_size=6, max_size=36)
_ORDER = {"hurts": 0, "neutral": 1, "helps": 2}


def assert_tier_rule(result: ReadinessResult) -> None:
    eligible = sum(1 for option in result.funding_options if option.eligible)
    assert eligible >= TIER_MIN_ELIGIBLE.get(result.tier, 0), (result.tier, eligible)


@PROPERTY_SETTINGS
@given(values=SERIES, factor=st.integers(2, 50))
def test_a_scaled_series_keeps_its_consistency_score(values: list[int], factor: int) -> None:
    spec = COMPONENTS["consistency"]
    base = component_score(spec, inputs_for_months(values), "usd")
    scaled = component_score(spec, inputs_for_months([v * factor for v in values]), "usd")
    assert math.isclose(base, scaled, abs_tol=1e-6), (base, scaled)


@PROPERTY_SETTINGS
@given(
    start=LEVELS,
    drops=st.lists(st.floats(0.02, 0.20), min_size=5, max_size=35),
)
def test_a_series_that_only_declines_never_gets_consistency_helps(
    start: int, drops: list[float]
) -> None:
    # Model 1.0 scored a smooth 45% fall in a year at 98.8 on consistency.
    values = [start]
    for drop in drops:
        values.append(max(1, round(values[-1] * (1 - drop))))
    assume(values[-1] > 0)
    result = compute_readiness(inputs_for_months(values))
    assert result.components["consistency"].status != "helps", values
    assert result.tier not in ("ready", "strong"), (result.score, result.tier)


@PROPERTY_SETTINGS
@given(
    season=st.lists(st.floats(0.3, 3.0), min_size=12, max_size=12),
    level=LEVELS,
    months=st.integers(15, 36),
    noise=st.lists(st.floats(-0.02, 0.02), min_size=36, max_size=36),
)
def test_a_seasonal_series_flat_year_over_year_has_growth_near_zero(
    season: list[float], level: int, months: int, noise: list[float]
) -> None:
    # Model 1.0 compared September-November with June-August: +163% for a flat retailer.
    values = [round(level * season[i % 12] * (1 + noise[i])) for i in range(months)]
    inputs = inputs_for_months(values)
    result = compute_readiness(inputs)
    assert inputs.growth_yoy is not None
    assert abs(inputs.growth_yoy) < 0.05
    assert result.revenue_trend.comparison == "year_over_year"
    growth = result.components["growth"]
    assert 40 <= growth.score <= 66, growth
    assert growth.status == "neutral"
    assert "same 3 months a year earlier" in growth.explanation


@PROPERTY_SETTINGS
@given(
    level=LEVELS,
    recent=st.lists(st.floats(-0.02, 0.02), min_size=1, max_size=8),
    older=st.lists(st.floats(-0.02, 0.02), min_size=1, max_size=28),
)
def test_more_history_never_turns_a_neutral_component_worse(
    level: int, recent: list[float], older: list[float]
) -> None:
    # A steady business: the same recent months, with and without the older ones.
    last = [round(level * (1 + n)) for n in recent]
    longer = [round(level * (1 + n)) for n in older] + last
    short = compute_readiness(inputs_for_months(last))
    long = compute_readiness(inputs_for_months(longer))
    for key, component in short.components.items():
        if component.status == "neutral":
            after = long.components[key].status
            assert _ORDER[after] >= _ORDER["neutral"], (key, component, long.components[key])


@PROPERTY_SETTINGS
@given(inputs=INPUTS, currency=CURRENCIES)
def test_the_tier_rule_always_holds(inputs: Any, currency: str) -> None:
    result = compute_readiness(inputs, currency)
    assert_tier_rule(result)
    if result.capped_by == "funding_eligibility":
        assert result.score < result.weighted_score + 0.5


@PROPERTY_SETTINGS
@given(data=st.data(), inputs=INPUTS, currency=CURRENCIES)
def test_the_tier_rule_holds_for_what_ifs(data: st.DataObject, inputs: Any, currency: str) -> None:
    names = data.draw(st.lists(st.sampled_from(OVERRIDABLE_METRICS), min_size=1, max_size=4))
    overrides: dict[str, Any] = {}
    for name in names:
        rule = METRIC_RULES[name]
        value = data.draw(VALUES[name], label=name)
        overrides[name] = min(max(value, rule.override_min), rule.override_max)
    assert_tier_rule(simulate(inputs, overrides, currency))


@PROPERTY_SETTINGS
@given(values=SERIES)
def test_series_inputs_are_scored_within_bounds(values: list[int]) -> None:
    inputs = inputs_for_months(values)
    result = compute_readiness(inputs)
    assert 0 <= result.score <= 100
    assert_tier_rule(result)
    assert dataclasses.replace(inputs) == inputs
