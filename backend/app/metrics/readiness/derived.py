"""Figures the model derives from its inputs, read alike by the score, its explanations, the
funding criteria and the recommendations: the worst dispute ratio, the growth figure and which
comparison it comes from, and whether revenue is seasonal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

from app.metrics.readiness.inputs import ReadinessInputs
from app.metrics.readiness.results import Comparison
from app.metrics.series import SEASONAL_STRENGTH_MIN


def worst_dispute_ratio(inputs: ReadinessInputs) -> float | None:
    """Worst of the Visa-style and Mastercard-style ratios, monthly and 3-month."""
    ratios = [
        r
        for r in (
            inputs.dispute_ratio_visa_month,
            inputs.dispute_ratio_visa_3m,
            inputs.dispute_ratio_mc_month,
            inputs.dispute_ratio_mc_3m,
        )
        if r is not None
    ]
    return max(ratios) if ratios else None


def revenue_growth(inputs: ReadinessInputs) -> float | None:
    """The growth figure the model uses: year over year once it exists, else sequential."""
    for value in (inputs.growth_yoy, inputs.growth_3m, inputs.growth_mom):
        if value is not None:
            return value
    return None


def growth_comparison(inputs: ReadinessInputs) -> Comparison | None:
    if inputs.growth_yoy is not None:
        return "year_over_year"
    if inputs.growth_3m is not None:
        return "quarter_over_quarter"
    if inputs.growth_mom is not None:
        return "month_over_month"
    return None


def is_seasonal(inputs: ReadinessInputs) -> bool | None:
    """Whether the 12-month pattern is strong enough to call seasonal (None: can't tell yet)."""
    strength = inputs.seasonality_strength
    return None if strength is None else strength >= SEASONAL_STRENGTH_MIN


def metric_value(inputs: ReadinessInputs, metric: str) -> int | float | None:
    derived = _DERIVED.get(metric)
    if derived is not None:
        return derived(inputs)
    value: int | float | None = getattr(inputs, metric)
    return value


_DERIVED: Final[Mapping[str, Callable[[ReadinessInputs], int | float | None]]] = {
    "worst_dispute_ratio": worst_dispute_ratio,
    "dispute_count": lambda i: max(i.disputes_count_month, i.disputes_count_3m),
    "revenue_growth": revenue_growth,
}
