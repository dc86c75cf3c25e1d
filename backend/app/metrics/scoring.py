"""Funding readiness score: a pure, deterministic model over Stripe-derived metrics.

Every weight and threshold lives in ``COMPONENTS``, ``TIERS`` and the status/missing-data
constants below. They are mirrored in ``docs/knowledge/readiness-score-explained.md`` and
``tests/metrics/test_readiness_doc.py`` fails when the two drift apart.

Money thresholds are stated in major units (published in USD) and applied numerically to
the business currency, so "$10,000/month" means 10,000 EUR/month for a EUR business.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict

from app.core.db import INT_MAX, MONEY_MAX
from app.core.iso import ZERO_DECIMAL_CURRENCIES

MODEL_VERSION: Final = "1.0"

Tier = Literal["insufficient_data", "not_ready", "emerging", "ready", "strong"]
Status = Literal["helps", "hurts", "neutral"]
Unit = Literal["days", "months", "money", "ratio", "cv", "count", "factor"]
FundingType = Literal[
    "merchant_cash_advance", "revenue_based_financing", "bank_line_of_credit", "sba_term_loan"
]

# --- Published anchors (sources in the doc). Money in major units of the business currency.
STRIPE_CAPITAL_MIN_MONTHS: Final = 9
STRIPE_CAPITAL_MIN_ANNUAL_VOLUME: Final = 5_000
RBF_MIN_MONTHLY_REVENUE: Final = 10_000
RBF_MIN_MONTHS_AT_LEVEL: Final = 6
LIGHTER_MIN_AVG_MONTHLY_REVENUE: Final = 15_000
BANK_MIN_ANNUAL_REVENUE: Final = 100_000
VDMP_EARLY_WARNING_RATIO: Final = 0.0065
VDMP_STANDARD_RATIO: Final = 0.009
MC_ECP_MONITORED_RATIO: Final = 0.010
VAMP_EXCESSIVE_RATIO: Final = 0.015  # from 2026-04-01; also Mastercard's ECM level
VAMP_EXCESSIVE_RATIO_2025: Final = 0.022
MC_HIGH_EXCESSIVE_RATIO: Final = 0.030
# --- Vaultra heuristics, also used in explanations and funding criteria.
STABLE_MONTHLY_CV: Final = 0.35
GROWTH_DECLINE_HURTS: Final = -0.10
REFUND_HEALTHY_MAX: Final = 0.05
REFUND_CONCERN_MIN: Final = 0.10
PAYOUT_FAILURE_HURTS: Final = 0.05
TOP_CUSTOMER_RISK: Final = 0.25
TOP5_CUSTOMER_RISK: Final = 0.50

# --- Model constants.
INSUFFICIENT_HISTORY_DAYS: Final = 90
# A metric that cannot be computed scores this many points: neither rewarded nor zeroed.
MISSING_METRIC_POINTS: Final = 50.0
STATUS_HELPS_MIN: Final = 70.0
STATUS_HURTS_BELOW: Final = 40.0
# Highest tier first; a score belongs to the first tier whose minimum it reaches.
TIERS: Final[tuple[tuple[Tier, int], ...]] = (
    ("strong", 80),
    ("ready", 60),
    ("emerging", 40),
    ("not_ready", 0),
)


# ---------------------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True, slots=True)
class ReadinessInputs:
    """Metric values computed from a business's Stripe data.

    Money is in integer minor units of the business currency; ratios and shares are
    fractions (0.012 = 1.2%); ``None`` means "not computable" (e.g. no charges yet).
    """

    days_of_history: int = 0
    months_of_history: int = 0
    revenue_30d: int = 0
    revenue_90d: int = 0
    revenue_365d: int = 0
    revenue_all_time: int = 0
    avg_monthly_revenue_3m: int = 0
    months_above_10k_last_6: int = 0
    growth_mom: float | None = None
    growth_3m: float | None = None
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
    "volatility_monthly_cv",
    "volatility_weekly_cv",
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


# ---------------------------------------------------------------------------------------
# Model table


@dataclass(frozen=True, slots=True)
class Curve:
    """Points awarded for one metric, linearly interpolated between breakpoints.

    ``points`` are ``(metric value, points)`` pairs in increasing metric order; below the
    first and above the last breakpoint the end value holds. For ``unit="money"`` the
    metric value is in major units. ``share`` is the curve's weight inside its component.
    """

    metric: str
    unit: Unit
    share: float
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class ComponentSpec:
    label: str
    weight: float
    key_metric: str
    curves: tuple[Curve, ...]
    # Scales the component's shortfall from 100 by sample size (only disputes use it): one
    # dispute among a handful of charges is weaker evidence than a sustained ratio.
    confidence: Curve | None = None
    # (component score, highest overall score) breakpoints for red flags that strengths
    # elsewhere must not offset: a merchant in a card-network monitoring program is hard
    # to finance however good its revenue is.
    score_cap: tuple[tuple[float, float], ...] | None = None


COMPONENTS: Final[Mapping[str, ComponentSpec]] = {
    "history": ComponentSpec(
        label="Processing history & volume",
        weight=0.15,
        key_metric="days_of_history",
        curves=(
            Curve(
                "days_of_history",
                "days",
                0.4,
                ((0, 0), (90, 30), (180, 55), (270, 80), (365, 90), (730, 100)),
            ),
            Curve(
                "months_of_history",
                "months",
                0.3,
                ((0, 0), (3, 30), (6, 55), (STRIPE_CAPITAL_MIN_MONTHS, 80), (12, 90), (24, 100)),
            ),
            Curve(
                "revenue_365d",
                "money",
                0.3,
                ((0, 0), (STRIPE_CAPITAL_MIN_ANNUAL_VOLUME, 60), (25_000, 85), (100_000, 100)),
            ),
        ),
    ),
    "revenue": ComponentSpec(
        label="Revenue level",
        weight=0.20,
        key_metric="avg_monthly_revenue_3m",
        curves=(
            Curve(
                "avg_monthly_revenue_3m",
                "money",
                0.5,
                (
                    (0, 0),
                    (5_000, 35),
                    (RBF_MIN_MONTHLY_REVENUE, 65),
                    (LIGHTER_MIN_AVG_MONTHLY_REVENUE, 80),
                    (50_000, 100),
                ),
            ),
            Curve(
                "months_above_10k_last_6",
                "months",
                0.25,
                ((0, 0), (3, 45), (RBF_MIN_MONTHS_AT_LEVEL, 100)),
            ),
            Curve(
                "revenue_365d",
                "money",
                0.25,
                (
                    (0, 0),
                    (60_000, 35),
                    (120_000, 65),
                    (250_000, 90),
                    (1_000_000, 100),
                ),
            ),
        ),
    ),
    "consistency": ComponentSpec(
        label="Revenue consistency",
        weight=0.15,
        key_metric="volatility_monthly_cv",
        curves=(
            Curve(
                "low_volume_months_12m",
                "months",
                0.4,
                ((0, 100), (1, 85), (2, 70), (4, 35), (6, 0)),
            ),
            Curve(
                "volatility_monthly_cv",
                "cv",
                0.4,
                ((0.15, 100), (STABLE_MONTHLY_CV, 70), (0.6, 35), (1.0, 0)),
            ),
            Curve(
                "volatility_weekly_cv",
                "cv",
                0.2,
                ((0.25, 100), (0.5, 60), (1.0, 20), (1.5, 0)),
            ),
        ),
    ),
    "growth": ComponentSpec(
        label="Growth trajectory",
        weight=0.10,
        key_metric="growth_3m",
        curves=(
            Curve(
                "growth_3m",
                "ratio",
                0.7,
                (
                    (-0.30, 0),
                    (GROWTH_DECLINE_HURTS, 30),
                    (0.0, 55),
                    (0.10, 75),
                    (0.25, 90),
                    (0.50, 100),
                ),
            ),
            Curve(
                "growth_mom",
                "ratio",
                0.3,
                ((-0.20, 0), (-0.05, 35), (0.0, 55), (0.05, 75), (0.15, 100)),
            ),
        ),
    ),
    "disputes": ComponentSpec(
        label="Dispute health",
        weight=0.15,
        key_metric="worst_dispute_ratio",
        curves=(
            Curve(
                "worst_dispute_ratio",
                "ratio",
                1.0,
                (
                    (0.0, 100),
                    (0.003, 90),
                    (VDMP_EARLY_WARNING_RATIO, 70),
                    (VDMP_STANDARD_RATIO, 50),
                    (MC_ECP_MONITORED_RATIO, 40),
                    (VAMP_EXCESSIVE_RATIO, 15),
                    (VAMP_EXCESSIVE_RATIO_2025, 5),
                    (MC_HIGH_EXCESSIVE_RATIO, 0),
                ),
            ),
        ),
        confidence=Curve("dispute_count", "factor", 1.0, ((1, 0.5), (5, 1.0))),
        score_cap=((0, 30), (15, 45), (40, 100)),
    ),
    "refunds": ComponentSpec(
        label="Refund rate",
        weight=0.08,
        key_metric="refund_rate_amount",
        curves=(
            Curve(
                "refund_rate_amount",
                "ratio",
                0.75,
                (
                    (0.0, 100),
                    (0.02, 90),
                    (REFUND_HEALTHY_MAX, 70),
                    (REFUND_CONCERN_MIN, 30),
                    (0.20, 0),
                ),
            ),
            Curve(
                "refund_rate_count",
                "ratio",
                0.25,
                (
                    (0.0, 100),
                    (0.02, 90),
                    (REFUND_HEALTHY_MAX, 70),
                    (REFUND_CONCERN_MIN, 30),
                    (0.20, 0),
                ),
            ),
        ),
    ),
    "payouts": ComponentSpec(
        label="Payout reliability",
        weight=0.07,
        key_metric="payout_failure_rate_90d",
        curves=(
            Curve(
                "payout_failure_rate_90d",
                "ratio",
                0.7,
                ((0.0, 100), (0.02, 70), (PAYOUT_FAILURE_HURTS, 40), (0.10, 0)),
            ),
            Curve(
                "payout_avg_arrival_delay_days",
                "days",
                0.3,
                ((0, 100), (1, 85), (3, 50), (7, 0)),
            ),
        ),
    ),
    "concentration": ComponentSpec(
        label="Customer concentration",
        weight=0.10,
        key_metric="top_customer_share",
        curves=(
            Curve(
                "top_customer_share",
                "ratio",
                0.45,
                ((0.10, 100), (TOP_CUSTOMER_RISK, 60), (0.50, 20), (0.80, 0)),
            ),
            Curve(
                "top5_customer_share",
                "ratio",
                0.35,
                ((0.30, 100), (TOP5_CUSTOMER_RISK, 60), (0.80, 20), (1.0, 0)),
            ),
            Curve(
                "unique_customers_365d",
                "count",
                0.20,
                ((1, 0), (10, 40), (50, 80), (200, 100)),
            ),
        ),
    ),
}


# ---------------------------------------------------------------------------------------
# Outputs


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Component(_Frozen):
    label: str
    score: float  # 0-100, one decimal
    weight: float
    metric: str  # which metric ``value`` is
    value: int | float | None  # raw metric (money in minor units), None if not computable
    display: str  # ``value`` formatted for people
    status: Status
    explanation: str
    caps_score_at: int | None  # highest overall score this component allows, if limited


class Criterion(_Frozen):
    criterion: str
    description: str
    unit: Unit | None  # None for criteria Stripe data cannot measure
    required: int | float | None  # money in minor units
    current: int | float | None
    met: bool | None  # None: cannot be measured from Stripe data, does not block eligibility
    message: str


class UnmetCriterion(_Frozen):
    criterion: str
    current: int | float | None
    required: int | float | None
    gap: int | float | None  # how far off, in the criterion's unit; None if not measurable yet
    message: str


class FundingOption(_Frozen):
    type: FundingType
    name: str
    eligible: bool  # every criterion measurable from Stripe data is met
    unmet: list[UnmetCriterion]
    criteria: list[Criterion]
    source: str


class ReadinessResult(_Frozen):
    score: int
    tier: Tier
    weighted_score: float  # sum of weight x component score, before any cap
    capped_by: str | None  # component whose red-flag cap set ``score``, if any
    currency: str
    model_version: str
    components: dict[str, Component]
    funding_options: list[FundingOption]


# ---------------------------------------------------------------------------------------
# Scoring


def compute_readiness(inputs: ReadinessInputs, currency: str = "usd") -> ReadinessResult:
    """Score ``inputs`` (0-100), explain each component and estimate funding options."""
    # Imported here because funding builds on this module's inputs, models and helpers.
    from app.metrics.funding import evaluate_funding_options

    currency = currency.lower()
    components = {key: _component(key, spec, inputs, currency) for key, spec in COMPONENTS.items()}
    weighted = sum(spec.weight * components[key].score for key, spec in COMPONENTS.items())
    caps = [(c.caps_score_at, k) for k, c in components.items() if c.caps_score_at is not None]
    cap, capped_by = min(caps) if caps else (100, None)
    if cap >= weighted:
        capped_by = None
    score = min(100, max(0, round_half_up(min(weighted, cap))))
    return ReadinessResult(
        score=score,
        tier=tier_for(score, inputs.days_of_history),
        weighted_score=round(weighted, 1),
        capped_by=capped_by,
        currency=currency,
        model_version=MODEL_VERSION,
        components=components,
        funding_options=evaluate_funding_options(inputs, currency),
    )


def round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


def tier_for(score: int, days_of_history: int) -> Tier:
    if days_of_history < INSUFFICIENT_HISTORY_DAYS:
        return "insufficient_data"
    return next(name for name, minimum in TIERS if score >= minimum)


def component_score(spec: ComponentSpec, inputs: ReadinessInputs, currency: str) -> float:
    """Unrounded 0-100 score of one component."""
    raw = sum(curve.share * _curve_points(curve, inputs, currency) for curve in spec.curves)
    if spec.confidence is not None and _has_data(spec, inputs):
        factor = _curve_points(spec.confidence, inputs, currency)
        raw = 100 - (100 - raw) * factor
    return min(100.0, max(0.0, raw))


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


def metric_value(inputs: ReadinessInputs, metric: str) -> int | float | None:
    derived = _DERIVED.get(metric)
    if derived is not None:
        return derived(inputs)
    value: int | float | None = getattr(inputs, metric)
    return value


_DERIVED: Final[Mapping[str, Callable[[ReadinessInputs], int | float | None]]] = {
    "worst_dispute_ratio": worst_dispute_ratio,
    "dispute_count": lambda i: max(i.disputes_count_month, i.disputes_count_3m),
}


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
    if value is None:
        return MISSING_METRIC_POINTS
    x = to_major(value, currency) if curve.unit == "money" else float(value)
    return interpolate(curve.points, x)


def _has_data(spec: ComponentSpec, inputs: ReadinessInputs) -> bool:
    return any(metric_value(inputs, c.metric) is not None for c in spec.curves)


def _component(key: str, spec: ComponentSpec, inputs: ReadinessInputs, currency: str) -> Component:
    score = round(component_score(spec, inputs, currency), 1)
    value = metric_value(inputs, spec.key_metric)
    explanation = _EXPLAINERS[key](inputs, currency)
    cap = None if spec.score_cap is None else round_half_up(interpolate(spec.score_cap, score))
    if cap is not None and cap < 100:
        explanation += f" Until this improves, the overall score can't exceed {cap}."
    else:
        cap = None
    return Component(
        label=spec.label,
        score=score,
        weight=spec.weight,
        metric=spec.key_metric,
        value=value,
        display=_display(spec.key_metric, value, currency),
        status=status_for(score) if _has_data(spec, inputs) else "neutral",
        explanation=explanation,
        caps_score_at=cap,
    )


def status_for(score: float) -> Status:
    if score >= STATUS_HELPS_MIN:
        return "helps"
    if score < STATUS_HURTS_BELOW:
        return "hurts"
    return "neutral"


# ---------------------------------------------------------------------------------------
# Formatting

_SYMBOLS: Final[Mapping[str, str]] = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥"}


def minor_per_major(currency: str) -> int:
    """Minor units in one major unit (Stripe's zero-decimal currencies have none)."""
    return 1 if currency.lower() in ZERO_DECIMAL_CURRENCIES else 100


def to_major(amount_minor: float, currency: str) -> float:
    return amount_minor / minor_per_major(currency)


def to_minor(amount_major: float, currency: str) -> int:
    return round(amount_major * minor_per_major(currency))


def format_money(amount_minor: float, currency: str) -> str:
    """Whole major units: ``1234000, "usd"`` -> ``"$12,340"``; ``"sek"`` -> ``"12,340 SEK"``."""
    major = round(to_major(amount_minor, currency))
    sign = "-" if major < 0 else ""
    symbol = _SYMBOLS.get(currency.lower())
    if symbol is not None:
        return f"{sign}{symbol}{abs(major):,}"
    return f"{sign}{abs(major):,} {currency.upper()}"


def format_major(amount_major: float, currency: str) -> str:
    return format_money(to_minor(amount_major, currency), currency)


def format_percent(ratio: float, signed: bool = False) -> str:
    """``0.0065`` -> ``"0.65%"``, ``0.018`` -> ``"1.8%"``, ``0.12`` -> ``"12%"``."""
    pct = ratio * 100
    text = f"{pct:.0f}" if abs(pct) >= 10 else f"{pct:.2f}".rstrip("0").rstrip(".")
    text = "0" if text == "-0" else text
    if signed and pct >= 0:
        text = "+" + text
    return text + "%"


def plural(n: float, word: str) -> str:
    """``plural(2500, "customer")`` -> ``"2,500 customers"``."""
    number = f"{int(n):,}" if float(n).is_integer() else f"{n:,.1f}"
    return f"{number} {word}" if n == 1 else f"{number} {word}s"


def _display(metric: str, value: int | float | None, currency: str) -> str:
    if value is None:
        return "not available yet"
    unit = _unit_of(metric)
    if unit == "money":
        return format_money(value, currency) + "/month"
    if unit == "ratio":
        return format_percent(value, signed=metric.startswith("growth"))
    if unit == "cv":
        return f"{value:.2f}"
    return plural(value, unit.removesuffix("s"))


def _unit_of(metric: str) -> Unit:
    return next(c.unit for s in COMPONENTS.values() for c in s.curves if c.metric == metric)


# ---------------------------------------------------------------------------------------
# Explanations: one or two sentences quoting the business's own numbers.


def _explain_history(i: ReadinessInputs, currency: str) -> str:
    return (
        f"Processing on Stripe for {plural(i.days_of_history, 'day')} "
        f"({plural(i.months_of_history, 'complete month')}) with "
        f"{format_money(i.revenue_365d, currency)} of net revenue in the last 12 months; "
        f"Stripe Capital (US) asks for at least {STRIPE_CAPITAL_MIN_MONTHS} months of "
        f"history and {format_major(STRIPE_CAPITAL_MIN_ANNUAL_VOLUME, currency)} a year."
    )


def _explain_revenue(i: ReadinessInputs, currency: str) -> str:
    level = format_major(RBF_MIN_MONTHLY_REVENUE, currency)
    return (
        f"{format_money(i.avg_monthly_revenue_3m, currency)}/month averaged over the last "
        f"3 months, with {i.months_above_10k_last_6} of the last 6 months at or above {level}; "
        f"revenue-based lenders typically look for ≥ {level}/month for "
        f"{RBF_MIN_MONTHS_AT_LEVEL}+ months (Lighter Capital: ≥ "
        f"{format_major(LIGHTER_MIN_AVG_MONTHLY_REVENUE, currency)}/month over 3 months)."
    )


def _explain_consistency(i: ReadinessInputs, currency: str) -> str:
    slow_count = i.low_volume_months_12m or "none"
    slow = f"{slow_count} of the last 12 months had low or zero volume"
    if i.volatility_monthly_cv is None:
        first = f"Monthly variability can't be measured yet (scored as neutral), and {slow}"
    else:
        first = (
            f"Monthly revenue varies with a coefficient of variation of "
            f"{i.volatility_monthly_cv:.2f}, and {slow}"
        )
    return f"{first}; lenders prefer a CV of {STABLE_MONTHLY_CV:.2f} or less and few slow months."


def _explain_growth(i: ReadinessInputs, currency: str) -> str:
    if i.growth_3m is None:
        trend = "There isn't enough history yet to compare the last 3 months with the 3 before"
    else:
        trend = (
            f"Revenue changed {format_percent(i.growth_3m, signed=True)} over the last "
            "3 months versus the 3 before"
        )
    if i.growth_mom is not None:
        trend += f" ({format_percent(i.growth_mom, signed=True)} month over month)"
    return (
        f"{trend}; lenders favour flat-to-growing revenue, and a 3-month decline steeper than "
        f"{format_percent(-GROWTH_DECLINE_HURTS)} hurts."
    )


def _explain_disputes(i: ReadinessInputs, currency: str) -> str:
    worst = worst_dispute_ratio(i)
    if worst is None:
        head = "No dispute ratio can be computed yet (no recent successful charges)"
    else:
        head = (
            f"Your worst recent dispute ratio is {format_percent(worst)} with "
            f"{plural(i.disputes_count_3m, 'dispute')} in the last 3 months"
        )
    return (
        f"{head}; Visa's early warning starts at {format_percent(VDMP_EARLY_WARNING_RATIO)}, "
        f"Mastercard monitors above {format_percent(MC_ECP_MONITORED_RATIO)} and Visa VAMP "
        f"treats {format_percent(VAMP_EXCESSIVE_RATIO)} as excessive from April 2026."
    )


def _explain_refunds(i: ReadinessInputs, currency: str) -> str:
    if i.refund_rate_amount is None:
        head = "No refund rate can be computed for the last 90 days"
    else:
        head = f"{format_percent(i.refund_rate_amount)} of sales by amount were refunded"
        if i.refund_rate_count is not None:
            head += f" ({format_percent(i.refund_rate_count)} of charges)"
        head += " in the last 90 days"
    return (
        f"{head}; under {format_percent(REFUND_HEALTHY_MAX)} is healthy and above "
        f"{format_percent(REFUND_CONCERN_MIN)} worries lenders."
    )


def _explain_payouts(i: ReadinessInputs, currency: str) -> str:
    if i.payout_failure_rate_90d is None:
        head = "No payouts in the last 90 days to measure"
    elif i.payout_failure_rate_90d == 0:
        head = f"None of your {plural(i.payouts_count_90d, 'payout')} in the last 90 days failed"
    else:
        head = (
            f"{format_percent(i.payout_failure_rate_90d)} of your "
            f"{plural(i.payouts_count_90d, 'payout')} in the last 90 days failed"
        )
    delay = i.payout_avg_arrival_delay_days
    if delay is not None:
        head += f", arriving {delay:.1f} days late on average" if delay > 0 else ", on time"
    return (
        f"{head}; lenders that repay from payouts want them to land reliably "
        f"(a failure rate above {format_percent(PAYOUT_FAILURE_HURTS)} hurts)."
    )


def _explain_concentration(i: ReadinessInputs, currency: str) -> str:
    if i.top_customer_share is None:
        head = "Customer concentration can't be measured yet"
    else:
        head = (
            f"Your largest customer brought {format_percent(i.top_customer_share)} of the "
            "last 12 months' revenue"
        )
        if i.top5_customer_share is not None:
            head += f" and your top 5 brought {format_percent(i.top5_customer_share)}"
    head += f", across {plural(i.unique_customers_365d, 'customer')}"
    return (
        f"{head}; one customer above {format_percent(TOP_CUSTOMER_RISK)} or a top 5 above "
        f"{format_percent(TOP5_CUSTOMER_RISK)} is a concentration risk for lenders."
    )


_EXPLAINERS: Final[Mapping[str, Callable[[ReadinessInputs, str], str]]] = {
    "history": _explain_history,
    "revenue": _explain_revenue,
    "consistency": _explain_consistency,
    "growth": _explain_growth,
    "disputes": _explain_disputes,
    "refunds": _explain_refunds,
    "payouts": _explain_payouts,
    "concentration": _explain_concentration,
}
