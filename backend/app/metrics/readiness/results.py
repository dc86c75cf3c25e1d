"""What the readiness model returns: the score, its components, funding options and trend.

Frozen pydantic models, so the API, the stored score and the agent read one shape (the
OpenAPI schema publishes them through ``app.metrics.schemas``). Money is in minor units.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from app.metrics.readiness.model import Tier, Unit

Status = Literal["helps", "hurts", "neutral"]
FundingType = Literal[
    "merchant_cash_advance", "revenue_based_financing", "bank_line_of_credit", "sba_term_loan"
]
CappedBy = Literal["disputes", "revenue_decline", "funding_eligibility"]
TrendDirection = Literal["growing", "flat", "declining", "insufficient_history"]
Comparison = Literal["year_over_year", "quarter_over_quarter", "month_over_month"]


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
