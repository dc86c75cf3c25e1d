"""The readiness score: a pure, deterministic model over Stripe-derived metrics.

``compute_readiness`` scores each component on its curves (``model.COMPONENTS``), takes the
weighted mean of those with data, applies the caps and the tier, and attaches the
explanations, the funding options and the revenue trend. The table is in ``model``, the
texts in ``explanations``, the products in ``funding``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import pairwise

from app.core.money import to_major
from app.metrics.readiness.derived import (
    growth_comparison,
    is_seasonal,
    metric_value,
    revenue_growth,
)
from app.metrics.readiness.explanations import display, explain_component, explain_trend
from app.metrics.readiness.funding import evaluate_funding_options
from app.metrics.readiness.inputs import ReadinessInputs
from app.metrics.readiness.model import (
    COMPONENTS,
    DECLINE_CAP,
    INSUFFICIENT_HISTORY_DAYS,
    MISSING_COMPONENT_WEIGHT,
    MODEL_VERSION,
    REVENUE_TREND_BAND,
    STATUS_HELPS_MIN,
    STATUS_HURTS_BELOW,
    TIER_MIN_ELIGIBLE,
    TIERS,
    ComponentSpec,
    Curve,
    Tier,
)
from app.metrics.readiness.results import (
    CappedBy,
    Component,
    ReadinessResult,
    RevenueTrend,
    Status,
    TrendDirection,
)

# Score computations while a refresh counts them (app/jobs/pipeline.py logs the figure).
_computations: ContextVar[list[int] | None] = ContextVar("score_computations", default=None)


@contextmanager
def counting_computations() -> Iterator[list[int]]:
    """Counts `compute_readiness` calls in this context: `counter[0]` once the block ends."""
    counter = [0]
    token = _computations.set(counter)
    try:
        yield counter
    finally:
        _computations.reset(token)


def compute_readiness(inputs: ReadinessInputs, currency: str = "usd") -> ReadinessResult:
    """Score ``inputs`` (0-100), explain each component and estimate funding options.

    Three caps can hold the score below the weighted mean, the lowest one wins and is named
    in ``capped_by``: the dispute red flag, a sustained revenue decline (``DECLINE_CAP``) and
    the tier rule (``TIER_MIN_ELIGIBLE``: no `strong` without two eligible products).
    """
    if (counter := _computations.get()) is not None:
        counter[0] += 1
    currency = currency.lower()
    components = {key: _component(key, spec, inputs, currency) for key, spec in COMPONENTS.items()}
    weighted = weighted_mean(components)
    funding = evaluate_funding_options(inputs, currency)
    caps: list[tuple[int, CappedBy]] = []
    dispute_cap = components["disputes"].caps_score_at
    if dispute_cap is not None:
        caps.append((dispute_cap, "disputes"))
    decline = decline_cap(inputs)
    if decline is not None:
        caps.append((decline, "revenue_decline"))
    eligible = eligibility_cap(sum(1 for option in funding if option.eligible))
    if eligible is not None:
        caps.append((eligible, "funding_eligibility"))
    cap, capped_by = min(caps) if caps else (100, None)
    score = min(100, max(0, round_half_up(weighted)))
    if cap < score:
        score = cap
    else:
        capped_by = None
    return ReadinessResult(
        score=score,
        tier=tier_for(score, inputs.days_of_history),
        weighted_score=round(weighted, 1),
        capped_by=capped_by,
        currency=currency,
        model_version=MODEL_VERSION,
        components=components,
        funding_options=funding,
        revenue_trend=revenue_trend(inputs),
    )


def weighted_mean(components: Mapping[str, Component]) -> float:
    """Components with data, by their published weights renormalised to sum to 1.

    A component without data has weight 0 (``MISSING_COMPONENT_WEIGHT``): a store with two
    months of data is scored on what two months can show, not on guesses about the rest.
    """
    total = sum(c.weight for c in components.values())
    if total <= 0:
        return 0.0
    return sum(c.weight * c.score for c in components.values()) / total


def eligibility_cap(eligible_products: int) -> int | None:
    """Highest score the tier rule allows with this many eligible products (None: no cap).

    ``strong`` (80+) needs 2 eligible products and ``ready`` (60+) needs 1, so one product
    caps the score at 79 and none at 59.
    """
    for index, (tier, _minimum) in enumerate(TIERS):
        if eligible_products >= TIER_MIN_ELIGIBLE.get(tier, 0):
            return None if index == 0 else TIERS[index - 1][1] - 1
    return None  # pragma: no cover - the lowest tier needs nothing


def decline_cap(inputs: ReadinessInputs) -> int | None:
    trend = inputs.revenue_trend_12m
    if trend is None:
        return None
    cap = round_half_up(interpolate(DECLINE_CAP, trend))
    return cap if cap < 100 else None


def round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


def tier_for(score: int, days_of_history: int) -> Tier:
    if days_of_history < INSUFFICIENT_HISTORY_DAYS:
        return "insufficient_data"
    return next(name for name, minimum in TIERS if score >= minimum)


def active_curves(spec: ComponentSpec, inputs: ReadinessInputs) -> list[Curve]:
    """The curves scored for this business: present, and not superseded by a present one."""
    return [
        c
        for c in spec.curves
        if metric_value(inputs, c.metric) is not None
        and (c.superseded_by is None or metric_value(inputs, c.superseded_by) is None)
    ]


def component_score(spec: ComponentSpec, inputs: ReadinessInputs, currency: str) -> float:
    """Unrounded 0-100 score of one component (0 when it has no data; it then weighs 0).

    A missing metric's share goes to the component's other metrics in proportion.
    """
    if not has_data(spec, inputs):
        return 0.0
    curves = active_curves(spec, inputs)
    total = sum(c.share for c in curves)
    raw = sum(c.share * _curve_points(c, inputs, currency) for c in curves) / total
    if spec.confidence is not None:
        factor = _curve_points(spec.confidence, inputs, currency)
        raw = 100 - (100 - raw) * factor
    if spec.ceiling is not None and metric_value(inputs, spec.ceiling.metric) is not None:
        raw = min(raw, _curve_points(spec.ceiling, inputs, currency))
    return min(100.0, max(0.0, raw))


def revenue_trend(inputs: ReadinessInputs) -> RevenueTrend:
    """Which way revenue is going: within ``REVENUE_TREND_BAND`` (5%) either way is flat."""
    change = revenue_growth(inputs)
    comparison = growth_comparison(inputs)
    seasonal = is_seasonal(inputs)
    if change is None or comparison is None:
        return RevenueTrend(
            direction="insufficient_history",
            change=None,
            comparison=None,
            seasonal=seasonal,
            explanation=explain_trend(inputs),
        )
    if change > REVENUE_TREND_BAND:
        direction: TrendDirection = "growing"
    elif change < -REVENUE_TREND_BAND:
        direction = "declining"
    else:
        direction = "flat"
    return RevenueTrend(
        direction=direction,
        change=change,
        comparison=comparison,
        seasonal=seasonal,
        explanation=explain_trend(inputs),
    )


def interpolate(points: tuple[tuple[float, float], ...], x: float) -> float:
    if x <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in pairwise(points):
        if x <= x1:
            y = y0 + (x - x0) * (y1 - y0) / (x1 - x0)
            # Clamping to the segment keeps float rounding from breaking monotonicity at x1.
            return min(max(y, min(y0, y1)), max(y0, y1))
    return points[-1][1]


def _curve_points(curve: Curve, inputs: ReadinessInputs, currency: str) -> float:
    value = metric_value(inputs, curve.metric)
    assert value is not None  # callers score present metrics only
    x = to_major(value, currency) if curve.unit == "money" else float(value)
    return interpolate(curve.points, x)


def has_data(spec: ComponentSpec, inputs: ReadinessInputs) -> bool:
    """A component is scored once its key metric exists (consistency: 6 complete months)."""
    return metric_value(inputs, spec.key_metric) is not None


def _component(key: str, spec: ComponentSpec, inputs: ReadinessInputs, currency: str) -> Component:
    present = has_data(spec, inputs)
    score = round(component_score(spec, inputs, currency), 1)
    value = metric_value(inputs, spec.key_metric)
    cap = None
    if present and spec.score_cap is not None:
        cap = round_half_up(interpolate(spec.score_cap, score))
        if cap >= 100:
            cap = None
    return Component(
        label=spec.label,
        score=score,
        weight=spec.weight if present else MISSING_COMPONENT_WEIGHT,
        metric=spec.key_metric,
        value=value,
        display=display(spec.key_metric, value, currency),
        status=status_for(score) if present else "neutral",
        explanation=explain_component(key, inputs, currency, cap=cap, present=present),
        caps_score_at=cap,
    )


def status_for(score: float) -> Status:
    if score >= STATUS_HELPS_MIN:
        return "helps"
    if score < STATUS_HURTS_BELOW:
        return "hurts"
    return "neutral"
