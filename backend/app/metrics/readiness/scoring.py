"""Funding readiness score: a pure, deterministic model over Stripe-derived metrics.

Every weight and threshold lives in ``COMPONENTS``, ``TIERS`` and the status/missing-data
constants below. They are mirrored in ``docs/knowledge/readiness-score-explained.md`` and
``tests/metrics/test_readiness_doc.py`` fails when the two drift apart.

Money thresholds are stated in major units (published in USD) and applied numerically to
the business currency, so "$10,000/month" means 10,000 EUR/month for a EUR business.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict

from app.core.db import INT_MAX, MONEY_MAX
from app.core.money import format_major, format_money, to_major
from app.core.text import format_percent, plural
from app.metrics.series import SEASONAL_STRENGTH_MIN

# 2.0: growth year over year (and no peak-to-trough windows), consistency around the trend
# and season, a sustained-decline cap, missing data neutral with weight 0, tiers that agree
# with funding eligibility, three-decimal currencies.
MODEL_VERSION: Final = "2.0"

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
# A metric that cannot be computed is left out and its share goes to the component's other
# metrics; a component without its key metric weighs 0 and its weight goes to the others in
# proportion (never "helps": 1.0 scored the six-week store's consistency 80 on no data).
MISSING_COMPONENT_WEIGHT: Final = 0.0
# Months of full data each component needs before it is scored.
CONSISTENCY_MIN_MONTHS: Final = 6
GROWTH_MIN_MONTHS: Final = 2
GROWTH_QOQ_MIN_MONTHS: Final = 6
GROWTH_YOY_MIN_MONTHS: Final = 15
# A fitted or year-over-year fall of 10% a year or more is a sustained decline.
SUSTAINED_DECLINE: Final = -0.10
# Revenue trend words: within +/-5% a year is flat.
REVENUE_TREND_BAND: Final = 0.05
STATUS_HELPS_MIN: Final = 70.0
STATUS_HURTS_BELOW: Final = 40.0
# Highest tier first; a score belongs to the first tier whose minimum it reaches.
TIERS: Final[tuple[tuple[Tier, int], ...]] = (
    ("strong", 80),
    ("ready", 60),
    ("emerging", 40),
    ("not_ready", 0),
)
# Tiers agree with funding eligibility: `strong` needs this many eligible products, `ready`
# this many. When the rule binds, the score is capped at the top of the highest tier allowed.
TIER_MIN_ELIGIBLE: Final[Mapping[Tier, int]] = {"strong": 2, "ready": 1}
# A sustained decline caps the overall score: (revenue trend over a year, highest score).
# Down 10% or less: no cap; down 20%: 59 (at most `emerging`); down 50% or more: 40.
DECLINE_CAP: Final[tuple[tuple[float, float], ...]] = (
    (-0.5, 40),
    (-0.2, 59),
    (SUSTAINED_DECLINE, 100),
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
    # Left out when this metric is present (sequential growth once year over year exists,
    # so a seasonal business never has a peak compared with a trough).
    superseded_by: str | None = None


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
    # Highest component score allowed by another metric: a business whose revenue falls
    # steadily can't score "helps" on consistency, however smooth the fall.
    ceiling: Curve | None = None


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
        key_metric="volatility_detrended_cv",
        curves=(
            Curve(
                "volatility_detrended_cv",
                "cv",
                0.5,
                ((0.05, 100), (0.15, 70), (0.30, 35), (0.60, 0)),
            ),
            Curve(
                "low_volume_months_12m",
                "months",
                0.3,
                ((0, 100), (1, 85), (2, 70), (4, 35), (6, 0)),
            ),
            Curve(
                "revenue_trend_12m",
                "ratio",
                0.2,
                ((-0.5, 0), (-0.2, 40), (-0.05, 80), (0.0, 100)),
            ),
        ),
        ceiling=Curve(
            "revenue_trend_12m",
            "ratio",
            1.0,
            ((-0.30, 30), (SUSTAINED_DECLINE, 69), (0.0, 100)),
        ),
    ),
    "growth": ComponentSpec(
        label="Growth trajectory",
        weight=0.10,
        key_metric="revenue_growth",
        curves=(
            Curve(
                "growth_yoy",
                "ratio",
                1.0,
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
                superseded_by="growth_yoy",
            ),
            Curve(
                "growth_mom",
                "ratio",
                0.3,
                ((-0.20, 0), (-0.05, 35), (0.0, 55), (0.05, 75), (0.15, 100)),
                superseded_by="growth_yoy",
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


CappedBy = Literal["disputes", "revenue_decline", "funding_eligibility"]
TrendDirection = Literal["growing", "flat", "declining", "insufficient_history"]
Comparison = Literal["year_over_year", "quarter_over_quarter", "month_over_month"]


class RevenueTrend(_Frozen):
    """Which way revenue is going, and which comparison says so (not the score's trend)."""

    direction: TrendDirection
    change: float | None  # the comparison's relative change (0.14 = +14%)
    comparison: Comparison | None
    seasonal: bool | None  # None: under 22 full months, seasons can't be told apart yet
    explanation: str


class ReadinessResult(_Frozen):
    score: int
    tier: Tier
    weighted_score: float  # weighted mean of the components with data, before any cap
    capped_by: CappedBy | None  # the cap that set ``score``, if any
    currency: str
    model_version: str
    components: dict[str, Component]
    funding_options: list[FundingOption]
    revenue_trend: RevenueTrend


# ---------------------------------------------------------------------------------------
# Scoring


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
    # Imported here because funding builds on this module's inputs, models and helpers.
    from app.metrics.readiness.funding import evaluate_funding_options

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


def revenue_trend(inputs: ReadinessInputs) -> RevenueTrend:
    change = revenue_growth(inputs)
    comparison = growth_comparison(inputs)
    seasonal = is_seasonal(inputs)
    if change is None or comparison is None:
        return RevenueTrend(
            direction="insufficient_history",
            change=None,
            comparison=None,
            seasonal=seasonal,
            explanation=(
                f"A revenue trend needs {GROWTH_MIN_MONTHS} complete months of data "
                f"({_data_so_far(inputs.full_months)}); it will be known in "
                f"{plural(GROWTH_MIN_MONTHS - inputs.full_months, 'month')}."
            ),
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
        explanation=f"{_growth_sentence(inputs, change, comparison)}.",
    )


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
    explanation = _EXPLAINERS[key](inputs, currency)
    cap = None
    if present and spec.score_cap is not None:
        cap = round_half_up(interpolate(spec.score_cap, score))
    if cap is not None and cap < 100:
        explanation += f" Until this improves, the overall score can't exceed {cap}."
    else:
        cap = None
    if not present:
        explanation += " Until then this component is neutral and carries no weight."
    return Component(
        label=spec.label,
        score=score,
        weight=spec.weight if present else MISSING_COMPONENT_WEIGHT,
        metric=spec.key_metric,
        value=value,
        display=_display(spec.key_metric, value, currency),
        status=status_for(score) if present else "neutral",
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


def _display(metric: str, value: int | float | None, currency: str) -> str:
    if value is None:
        return "not available yet"
    unit = _unit_of(metric)
    if unit == "money":
        return format_money(value, currency) + "/month"
    if unit == "ratio":
        return format_percent(value, signed="growth" in metric or "trend" in metric)
    if unit == "cv":
        return f"{value:.2f}"
    return plural(value, unit.removesuffix("s"))


def _unit_of(metric: str) -> Unit:
    if metric == "revenue_growth":
        return "ratio"
    return next(c.unit for s in COMPONENTS.values() for c in s.curves if c.metric == metric)


def _data_so_far(months: int) -> str:
    """``"1 complete month of data so far"``: what a window actually covers."""
    return f"{plural(months, 'complete month')} of data so far"


def _months_until(needed: int, have: int) -> str:
    return f"in {plural(max(1, needed - have), 'more complete month')}"


_COMPARISON_WORDS: Final[Mapping[str, str]] = {
    "year_over_year": "the last 3 complete months against the same 3 months a year earlier",
    "quarter_over_quarter": "the last 3 complete months against the 3 before",
    "month_over_month": "the last complete month against the month before",
}


def _growth_sentence(i: ReadinessInputs, change: float, comparison: str) -> str:
    text = (
        f"Revenue changed {format_percent(change, signed=True)} comparing "
        f"{_COMPARISON_WORDS[comparison]}"
    )
    if comparison == "year_over_year":
        if is_seasonal(i):
            text += " (your revenue is seasonal, so only the same months are compared)"
        return text
    return (
        f"{text}; with {_data_so_far(i.full_months)} this can't correct for seasons yet "
        f"(year over year needs {GROWTH_YOY_MIN_MONTHS} complete months: it will be known "
        f"{_months_until(GROWTH_YOY_MIN_MONTHS, i.full_months)})"
    )


# ---------------------------------------------------------------------------------------
# Explanations: one or two sentences quoting the business's own numbers.


def _trailing(days: int, i: ReadinessInputs) -> str:
    """``"in the last 90 days"``, or what the window really covers for a younger business."""
    if i.days_of_history >= days:
        return "in the last 12 months" if days == 365 else f"in the last {days} days"
    return f"in the {plural(i.days_of_history, 'day')} of data so far"


def _explain_history(i: ReadinessInputs, currency: str) -> str:
    return (
        f"Processing on Stripe for {plural(i.days_of_history, 'day')} "
        f"({plural(i.months_of_history, 'complete month')}) with "
        f"{format_money(i.revenue_365d, currency)} of net revenue {_trailing(365, i)}; "
        f"Stripe Capital (US) asks for at least {STRIPE_CAPITAL_MIN_MONTHS} months of "
        f"history and {format_major(STRIPE_CAPITAL_MIN_ANNUAL_VOLUME, currency)} a year."
    )


def _explain_revenue(i: ReadinessInputs, currency: str) -> str:
    level = format_major(RBF_MIN_MONTHLY_REVENUE, currency)
    if i.full_months >= 3:
        window = "averaged over the last 3 complete months"
    elif i.full_months > 0:
        window = f"averaged over {_data_so_far(i.full_months)}"
    else:
        window = "run rate, with no complete month of data yet"
    six = f"{i.months_above_10k_last_6} of the last 6 months"
    if i.full_months < 6:
        six += f" ({plural(min(i.full_months, 6), 'complete month')} of data)"
    return (
        f"{format_money(i.avg_monthly_revenue_3m, currency)}/month {window}, with {six} at or "
        f"above {level}; revenue-based lenders typically look for ≥ {level}/month for "
        f"{RBF_MIN_MONTHS_AT_LEVEL}+ months (Lighter Capital: ≥ "
        f"{format_major(LIGHTER_MIN_AVG_MONTHLY_REVENUE, currency)}/month over 3 months)."
    )


def _explain_consistency(i: ReadinessInputs, currency: str) -> str:
    if i.volatility_detrended_cv is None:
        return (
            f"Consistency needs {CONSISTENCY_MIN_MONTHS} complete months of revenue to measure "
            f"around a trend ({_data_so_far(i.full_months)}); it will be known "
            f"{_months_until(CONSISTENCY_MIN_MONTHS, i.full_months)}."
        )
    months = min(i.full_months, 12) if i.full_months else 12
    around = "its trend and its season" if is_seasonal(i) else "its trend"
    slow = i.low_volume_months_12m or "none"
    text = (
        f"Over the last {plural(months, 'complete month')}, monthly revenue varies around "
        f"{around} by {i.volatility_detrended_cv:.2f} of an average month (lenders prefer "
        f"0.15 or less), and {slow} of those months had low or zero volume"
    )
    trend = i.revenue_trend_12m
    if trend is not None and trend <= SUSTAINED_DECLINE:
        text += (
            f". Revenue is in a sustained decline ({format_percent(trend, signed=True)} over "
            "a year), which no smoothness offsets: a steady fall is a risk in its own right"
        )
    return text + "."


def _explain_growth(i: ReadinessInputs, currency: str) -> str:
    change = revenue_growth(i)
    comparison = growth_comparison(i)
    if change is None or comparison is None:
        return (
            f"Growth needs {GROWTH_MIN_MONTHS} complete months to compare "
            f"({_data_so_far(i.full_months)}); it will be known "
            f"{_months_until(GROWTH_MIN_MONTHS, i.full_months)}."
        )
    return (
        f"{_growth_sentence(i, change, comparison)}; lenders favour flat-to-growing revenue, "
        f"and a decline steeper than {format_percent(-GROWTH_DECLINE_HURTS)} hurts."
    )


def _explain_disputes(i: ReadinessInputs, currency: str) -> str:
    worst = worst_dispute_ratio(i)
    if worst is None:
        return (
            "No dispute ratio can be computed yet: it needs a complete month with successful "
            f"charges ({_data_so_far(i.full_months)}); it will be known after the next "
            "complete month with sales."
        )
    head = (
        f"Your worst recent dispute ratio is {format_percent(worst)} with "
        f"{plural(i.disputes_count_3m, 'dispute')} in the last 3 months"
    )
    if i.full_months < 3:
        head += f" ({_data_so_far(i.full_months)})"
    return (
        f"{head}; Visa's early warning starts at {format_percent(VDMP_EARLY_WARNING_RATIO)}, "
        f"Mastercard monitors above {format_percent(MC_ECP_MONITORED_RATIO)} and Visa VAMP "
        f"treats {format_percent(VAMP_EXCESSIVE_RATIO)} as excessive from April 2026."
    )


def _explain_refunds(i: ReadinessInputs, currency: str) -> str:
    if i.refund_rate_amount is None:
        return (
            "No refund rate can be computed: there were no successful charges in the last "
            "90 days; it will be known after the next sale."
        )
    head = f"{format_percent(i.refund_rate_amount)} of sales by amount were refunded"
    if i.refund_rate_count is not None:
        head += f" ({format_percent(i.refund_rate_count)} of charges)"
    head += f" {_trailing(90, i)}"
    return (
        f"{head}; under {format_percent(REFUND_HEALTHY_MAX)} is healthy and above "
        f"{format_percent(REFUND_CONCERN_MIN)} worries lenders."
    )


def _explain_payouts(i: ReadinessInputs, currency: str) -> str:
    if i.payout_failure_rate_90d is None:
        return (
            "No payouts in the last 90 days to measure; payout reliability will be known "
            "after the next payout."
        )
    if i.payout_failure_rate_90d == 0:
        head = f"None of your {plural(i.payouts_count_90d, 'payout')} {_trailing(90, i)} failed"
    else:
        head = (
            f"{format_percent(i.payout_failure_rate_90d)} of your "
            f"{plural(i.payouts_count_90d, 'payout')} {_trailing(90, i)} failed"
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
        return (
            "Customer concentration can't be measured yet: no charges in the last 12 complete "
            "months; it will be known at the end of the first complete month with sales."
        )
    window = "the last 12 months" if i.full_months >= 12 else _data_so_far(i.full_months)
    head = (
        f"Your largest customer brought {format_percent(i.top_customer_share)} of revenue "
        f"over {window}"
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
