"""What the readiness model reads: the metric values of one business, checked on the way in.

``ReadinessInputs`` refuses a wrong type (a bool, NaN, a float for a count) when it is built,
and ``validate_overrides`` bounds what-if values: ``METRIC_RULES`` holds each field's type
and range, ``OVERRIDABLE_METRICS`` the fields that can change the score or a criterion.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from app.core.db import INT_MAX, MONEY_MAX


@dataclass(frozen=True, slots=True)
class ReadinessInputs:
    """Metric values computed from a business's Stripe data.

    Money is in integer minor units of the business currency; ratios and shares are
    fractions (0.012 = 1.2%); ``None`` means "not computable" (e.g. no charges yet).
    """

    days_of_history: int = 0
    months_of_history: int = 0
    full_months: int = 0  # full calendar months of data (up to 36) behind monthly metrics
    revenue_30d: int = 0
    revenue_90d: int = 0
    revenue_365d: int = 0
    revenue_all_time: int = 0
    avg_monthly_revenue_3m: int = 0
    months_above_10k_last_6: int = 0
    growth_mom: float | None = None
    growth_3m: float | None = None
    growth_yoy: float | None = None
    revenue_trend_12m: float | None = None
    seasonality_strength: float | None = None
    volatility_detrended_cv: float | None = None
    volatility_monthly_cv: float | None = None
    volatility_weekly_cv: float | None = None
    low_volume_months_12m: int = 0
    dispute_ratio_visa_month: float | None = None
    dispute_ratio_visa_3m: float | None = None
    dispute_ratio_mc_month: float | None = None
    dispute_ratio_mc_3m: float | None = None
    disputes_count_month: int = 0
    disputes_count_3m: int = 0
    refund_rate_amount: float | None = None
    refund_rate_count: float | None = None
    payout_failure_rate_90d: float | None = None
    payout_avg_arrival_delay_days: float | None = None
    payouts_count_90d: int = 0
    top_customer_share: float | None = None
    top5_customer_share: float | None = None
    unique_customers_365d: int = 0
    avg_charge_amount: int | None = None

    def __post_init__(self) -> None:
        errors = [
            f"{name}: {problem}"
            for name, rule in METRIC_RULES.items()
            if (problem := _type_problem(getattr(self, name), rule)) is not None
        ]
        if errors:
            raise ValueError("Invalid readiness inputs: " + "; ".join(errors))

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> ReadinessInputs:
        """Build inputs from a metric-key -> value mapping; unknown keys are ignored.

        Decimals become floats, and integral floats (``12000.0``, as JSON may deliver) are
        accepted for integer fields.
        Absent keys take the field default (0 for counts and money, ``None`` otherwise).
        """
        known = {
            name: _coerce(value, METRIC_RULES[name])
            for name, value in values.items()
            if name in METRIC_RULES
        }
        return cls(**known)


@dataclass(frozen=True, slots=True)
class MetricRule:
    """Type of one input field and the range accepted for what-if overrides."""

    integer: bool
    optional: bool
    override_min: float
    override_max: float


# Every override is bounded: counts by a 32-bit column, money by MONEY_MAX, and the other
# numbers by a million, far past every curve's last breakpoint (a volatility CV of 1.5, growth
# of 50%, a 7-day payout delay): beyond those nothing changes, and huge numbers only overflow.
_NUMBER_MAX = 1_000_000
_COUNT = MetricRule(integer=True, optional=False, override_min=0, override_max=INT_MAX)
_MONEY = MetricRule(integer=True, optional=False, override_min=0, override_max=MONEY_MAX)
_RATIO = MetricRule(integer=False, optional=True, override_min=0, override_max=1)
_NON_NEGATIVE = MetricRule(integer=False, optional=True, override_min=0, override_max=_NUMBER_MAX)
# A business cannot shrink by more than 100%.
_GROWTH = MetricRule(integer=False, optional=True, override_min=-1, override_max=_NUMBER_MAX)

METRIC_RULES: Final[Mapping[str, MetricRule]] = {
    "days_of_history": _COUNT,
    "months_of_history": _COUNT,
    "full_months": _COUNT,
    "revenue_30d": _MONEY,
    "revenue_90d": _MONEY,
    "revenue_365d": _MONEY,
    "revenue_all_time": _MONEY,
    "avg_monthly_revenue_3m": _MONEY,
    "months_above_10k_last_6": MetricRule(
        integer=True, optional=False, override_min=0, override_max=6
    ),
    "growth_mom": _GROWTH,
    "growth_3m": _GROWTH,
    "growth_yoy": _GROWTH,
    "revenue_trend_12m": _GROWTH,
    "seasonality_strength": _RATIO,
    "volatility_detrended_cv": _NON_NEGATIVE,
    "volatility_monthly_cv": _NON_NEGATIVE,
    "volatility_weekly_cv": _NON_NEGATIVE,
    "low_volume_months_12m": MetricRule(
        integer=True, optional=False, override_min=0, override_max=12
    ),
    "dispute_ratio_visa_month": _RATIO,
    "dispute_ratio_visa_3m": _RATIO,
    "dispute_ratio_mc_month": _RATIO,
    "dispute_ratio_mc_3m": _RATIO,
    "disputes_count_month": _COUNT,
    "disputes_count_3m": _COUNT,
    "refund_rate_amount": _RATIO,
    "refund_rate_count": _RATIO,
    "payout_failure_rate_90d": _RATIO,
    "payout_avg_arrival_delay_days": _NON_NEGATIVE,
    "payouts_count_90d": _COUNT,
    "top_customer_share": _RATIO,
    "top5_customer_share": _RATIO,
    "unique_customers_365d": _COUNT,
    "avg_charge_amount": MetricRule(
        integer=True, optional=True, override_min=0, override_max=MONEY_MAX
    ),
}

# Metrics the score or the funding criteria read; overriding any other field would change
# nothing, so what-if simulation rejects it instead of silently returning a zero impact.
OVERRIDABLE_METRICS: Final[tuple[str, ...]] = (
    "days_of_history",
    "months_of_history",
    "revenue_365d",
    "avg_monthly_revenue_3m",
    "months_above_10k_last_6",
    "growth_mom",
    "growth_3m",
    "growth_yoy",
    "revenue_trend_12m",
    "volatility_detrended_cv",
    "volatility_monthly_cv",
    "low_volume_months_12m",
    "dispute_ratio_visa_month",
    "dispute_ratio_visa_3m",
    "dispute_ratio_mc_month",
    "dispute_ratio_mc_3m",
    "disputes_count_month",
    "disputes_count_3m",
    "refund_rate_amount",
    "refund_rate_count",
    "payout_failure_rate_90d",
    "payout_avg_arrival_delay_days",
    "top_customer_share",
    "top5_customer_share",
    "unique_customers_365d",
)


class InvalidOverridesError(ValueError):
    """What-if overrides named unknown metrics or carried out-of-range values."""

    def __init__(self, unknown: list[str], invalid: dict[str, str]) -> None:
        self.unknown = unknown
        self.invalid = invalid
        self.allowed = list(OVERRIDABLE_METRICS)
        parts = []
        if unknown:
            parts.append(
                f"Unknown metric(s): {', '.join(unknown)}. "
                f"Allowed metrics: {', '.join(OVERRIDABLE_METRICS)}."
            )
        if invalid:
            parts.append(
                "Invalid value(s): " + "; ".join(f"{k} {why}" for k, why in invalid.items()) + "."
            )
        super().__init__(" ".join(parts))


def validate_overrides(overrides: Mapping[str, object]) -> dict[str, int | float]:
    """Check what-if overrides and return them coerced to the input field types.

    Raises ``InvalidOverridesError`` (a ``ValueError``) listing every unknown key with the
    allowed keys, and every value that is of the wrong type or out of range.
    """
    unknown = sorted(k for k in overrides if k not in OVERRIDABLE_METRICS)
    invalid: dict[str, str] = {}
    clean: dict[str, int | float] = {}
    for key in sorted(overrides):
        if key in unknown:
            continue
        rule = METRIC_RULES[key]
        value = overrides[key]
        problem = _override_problem(value, rule)
        if problem is not None:
            invalid[key] = problem
            continue
        assert isinstance(value, int | float)  # guaranteed by _override_problem
        clean[key] = int(value) if rule.integer else float(value)
    if unknown or invalid:
        raise InvalidOverridesError(unknown, invalid)
    return clean


def _type_problem(value: object, rule: MetricRule) -> str | None:
    if value is None:
        return None if rule.optional else "must not be None"
    if isinstance(value, bool):
        return "must be a number, not a boolean"
    if rule.integer:
        return None if isinstance(value, int) else f"must be an integer, got {value!r}"
    if not isinstance(value, int | float):
        return f"must be a number, got {value!r}"
    return None if math.isfinite(value) else f"must be finite, got {value!r}"


def _coerce(value: Any, rule: MetricRule) -> Any:
    # Database NUMERIC columns arrive as Decimal.
    if isinstance(value, Decimal):
        value = float(value)
    if rule.integer and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _override_problem(value: object, rule: MetricRule) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"must be a number, got {value!r}"
    # Only floats are tested for finiteness and wholeness: converting a huge int to a float
    # raises OverflowError. The range check compares ints exactly.
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be finite, got {value!r}"
    if rule.integer and isinstance(value, float) and not value.is_integer():
        return f"must be a whole number, got {value!r}"
    low, high = rule.override_min, rule.override_max
    if value < low or value > high:
        huge = isinstance(value, int) and value.bit_length() > 128
        shown = "a number of over 38 digits" if huge else repr(value)
        return f"must be between {_bound(low)} and {_bound(high)}, got {shown}"
    return None


def _bound(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
