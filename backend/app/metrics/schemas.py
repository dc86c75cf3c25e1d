import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from app.metrics.readiness.inputs import (
    METRIC_RULES,
    OVERRIDABLE_METRICS,
    InvalidOverridesError,
    validate_overrides,
)
from app.metrics.readiness.model import Tier
from app.metrics.readiness.results import CappedBy, Component, FundingOption, RevenueTrend


class ScoreTrend(BaseModel):
    """How the readiness score itself moved over the last 30 days (not revenue)."""

    direction: Literal["improving", "stable", "declining", "insufficient_history"] = Field(
        description="`insufficient_history` until 7 days of score history exist."
    )
    change: int | None = Field(description="Points gained (negative: lost) over `days`.")
    days: int | None = Field(description="Days between the compared scores.")
    explanation: str


class MetricValue(BaseModel):
    metric: str = Field(description="The metric's name (also its key for what-if overrides).")
    # int before float: a count stays an integer in the JSON and the generated types.
    value: int | float | str | dict[str, int] | None = Field(
        description="A number; an ISO date for `history_start`; counts by reason for "
        "`disputes_by_reason_90d`; null when it cannot be computed yet."
    )
    window: str = Field(description="ISO 8601 interval of days, or `all_time`.")
    unit: str
    currency: str | None = None


class MetricsRead(BaseModel):
    """The latest snapshot: grouped under the spec's names, and flat under `metrics`."""

    snapshot_id: uuid.UUID
    business_id: uuid.UUID
    computed_at: datetime
    as_of: date
    currency: str
    revenue_total: dict[str, MetricValue]
    avg_monthly_revenue: MetricValue
    growth: dict[str, MetricValue]
    volatility: dict[str, MetricValue]
    history: dict[str, MetricValue]
    chargeback_ratio: dict[str, MetricValue]
    refund_rate: dict[str, MetricValue]
    payouts: dict[str, MetricValue]
    customer_concentration: dict[str, MetricValue]
    unique_customers: MetricValue
    avg_charge_amount: MetricValue
    volume: dict[str, MetricValue]
    unconverted_volume: MetricValue
    metrics: dict[str, MetricValue]


class Granularity(StrEnum):
    day = "day"
    week = "week"
    month = "month"


class MetricPoint(BaseModel):
    period_start: date
    period_end: date
    gross_volume: int
    net_volume: int
    charge_count: int
    failed_charge_count: int
    unconverted_charge_count: int
    refund_amount: int
    refund_count: int
    dispute_count: int
    dispute_amount: int
    disputes_by_reason: dict[str, int]
    unique_customers: int | None = Field(
        description="Distinct paying customers; daily series only (days can't be summed)."
    )
    payouts_paid_count: int
    payouts_paid_amount: int
    payouts_failed_count: int
    payouts_failed_amount: int
    top_customer_volume: int = Field(
        description="Successful-charge volume of the period's largest customer (guest charges "
        "are nobody's); divided by gross_volume, the period's top-customer share."
    )


class MetricHistoryRead(BaseModel):
    business_id: uuid.UUID
    currency: str
    granularity: Granularity
    start_date: date
    end_date: date
    metrics: list[MetricPoint]


class ReadinessRead(BaseModel):
    business_id: uuid.UUID
    score: int = Field(ge=0, le=100)
    tier: Tier
    components: dict[str, Component]
    funding_options: list[FundingOption]
    score_trend: ScoreTrend
    revenue_trend: RevenueTrend
    computed_at: datetime
    model_version: str
    currency: str
    capped_by: CappedBy | None = Field(
        description="The cap that set `score`: `disputes` (red flag), `revenue_decline` "
        "(sustained decline) or `funding_eligibility` (a tier needs eligible products)."
    )
    snapshot_id: uuid.UUID | None
    stored: bool = Field(description="False when computed on the fly from the latest metrics.")


class ReadinessHistoryItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    score: int
    tier: Tier
    computed_at: datetime
    model_version: str
    snapshot_id: uuid.UUID | None
    component_scores: dict[str, float] = Field(
        default_factory=dict, description="Each component's score (0 to 100) at that time."
    )


class ReadinessHistoryRead(BaseModel):
    business_id: uuid.UUID
    scores: list[ReadinessHistoryItem]


def _override_errors(exc: InvalidOverridesError, raw: dict[str, Any]) -> list[InitErrorDetails]:
    allowed = ", ".join(OVERRIDABLE_METRICS)
    errors = [
        InitErrorDetails(
            type=PydanticCustomError(
                "unknown_metric", "unknown metric; allowed: {allowed}", {"allowed": allowed}
            ),
            loc=(key,),
            input=raw[key],
        )
        for key in exc.unknown
    ]
    errors += [
        InitErrorDetails(
            type=PydanticCustomError("invalid_override", "{problem}", {"problem": problem}),
            loc=(key,),
            input=raw[key],
        )
        for key, problem in exc.invalid.items()
    ]
    return errors


def _overrides_json_schema() -> dict[str, Any]:
    """What `validate_overrides` accepts, stated from the same rules for the OpenAPI document."""
    properties = {
        name: {
            "type": "integer" if rule.integer else "number",
            "minimum": rule.override_min,
            "maximum": rule.override_max,
        }
        for name, rule in ((name, METRIC_RULES[name]) for name in OVERRIDABLE_METRICS)
    }
    return {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "minProperties": 1,
    }


class SimulateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    business_id: uuid.UUID | None = None
    # Checked by `validate_overrides` (one error per metric), documented by the JSON schema.
    overrides: Annotated[dict[str, Any], WithJsonSchema(_overrides_json_schema())] = Field(
        min_length=1,
        description="Metric name -> hypothetical value (ratios as fractions, money in minor "
        'units), e.g. {"dispute_ratio_visa_month": 0.005}.',
    )

    @field_validator("overrides")
    @classmethod
    def _known_and_in_range(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            return dict(validate_overrides(value))
        except InvalidOverridesError as exc:
            # One error per offending metric, located at `overrides.<metric>`.
            raise ValidationError.from_exception_data(
                "overrides", _override_errors(exc, value)
            ) from exc


class SimulationRead(BaseModel):
    business_id: uuid.UUID
    score: int
    tier: Tier
    components: dict[str, Component]
    funding_options: list[FundingOption]
    base_score: int
    base_tier: Tier
    capped_by: CappedBy | None = Field(
        description="The cap that set `score`: `disputes`, `revenue_decline` or "
        "`funding_eligibility` (a tier needs eligible products, in what-ifs too)."
    )
    impact: int = Field(description="score - base_score")
    overrides: dict[str, int | float]
    currency: str
