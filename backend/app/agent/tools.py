"""The agent's tools, defined once: the in-app agent and the MCP server both serve these.

Every tool is read-only and scoped to the caller: a business-scoped tool checks membership
through the users service on every call, whatever `business_id` the model produced. In the
in-app chat the conversation's business is pinned, so no other business is reachable even
for a user who belongs to several.
"""

import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.agent.citations import marker
from app.agent.exceptions import ToolFailure
from app.agent.retrieval import RetrievedChunk, Retriever
from app.core.text import UserText
from app.metrics import service as metrics_service
from app.metrics.exceptions import MetricsNotComputed, ReadinessNotComputed
from app.metrics.readiness.results import Component, FundingOption, UnmetCriterion
from app.metrics.schemas import MetricValue
from app.recommendations import service as recommendations_service
from app.users import service as users_service
from app.users.exceptions import BusinessAccessDenied, BusinessIdRequired, NoBusiness
from app.users.service import BusinessAccess

# Stored scores returned with a breakdown: enough to explain a recent change.
HISTORY_POINTS = 6

BusinessId = Field(
    default=None,
    description="The business to read; optional when the caller belongs to exactly one.",
)


@dataclass
class ToolContext:
    """Who is calling, and what a turn has retrieved so far (for citation checks)."""

    session: AsyncSession
    user_id: uuid.UUID
    retriever: Retriever
    # The in-app chat pins the conversation's business; MCP callers may pick any of theirs.
    business_id: uuid.UUID | None = None
    retrieved: list[RetrievedChunk] = field(default_factory=list)


In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out", bound=BaseModel)


@dataclass(frozen=True)
class AgentTool(Generic[In, Out]):
    name: str
    title: str
    description: str
    input_model: type[In]
    output_model: type[Out]
    handler: Callable[[ToolContext, In], Awaitable[Out]]
    annotations: ToolAnnotations = field(
        default_factory=lambda: ToolAnnotations(
            read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
        )
    )

    def openai_schema(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.input_model.model_json_schema(),
            },
        }

    async def run(self, ctx: ToolContext, arguments: dict[str, Any]) -> Out:
        try:
            parsed = self.input_model.model_validate(arguments)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in error['loc']) or 'arguments'}: {error['msg']}"
                for error in exc.errors()
            )
            raise ToolFailure(f"Invalid arguments for {self.name}: {problems}") from exc
        return await self.handler(ctx, parsed)


@dataclass
class ToolRun:
    """One executed call, as persisted and reported."""

    call_id: str
    name: str
    arguments: dict[str, Any]
    iteration: int
    output: dict[str, Any] | None = None
    error: str | None = None
    duration_ms: int = 0

    def content(self) -> str:
        """The tool message for the model: JSON, so tool data cannot pose as instructions."""
        body = self.output if self.error is None else {"error": self.error}
        return json.dumps(body, ensure_ascii=False, default=str)


async def execute(
    ctx: ToolContext, name: str, arguments: dict[str, Any], *, call_id: str, iteration: int
) -> ToolRun:
    run = ToolRun(call_id=call_id, name=name, arguments=arguments, iteration=iteration)
    started = time.perf_counter()
    tool = TOOLS.get(name)
    try:
        if tool is None:
            raise ToolFailure(f"Unknown tool {name!r}; available: {', '.join(TOOLS)}.")
        result = await tool.run(ctx, arguments)
        run.output = result.model_dump(mode="json")
    except ToolFailure as exc:
        run.error = str(exc)
    run.duration_ms = round((time.perf_counter() - started) * 1000)
    return run


async def resolve_business(ctx: ToolContext, requested: uuid.UUID | None) -> BusinessAccess:
    """The business a call may read, checked against the caller's memberships every time."""
    if ctx.business_id is not None:
        if requested is not None and requested != ctx.business_id:
            raise ToolFailure(
                f"Access denied: this conversation is about business {ctx.business_id}; "
                "tools cannot read any other business."
            )
        requested = ctx.business_id
    try:
        return await users_service.resolve_access(ctx.session, ctx.user_id, requested)
    except BusinessIdRequired as exc:
        raise ToolFailure("business_id is required: you belong to several businesses.") from exc
    except NoBusiness as exc:
        raise ToolFailure("You have no business yet.") from exc
    except BusinessAccessDenied as exc:
        # Same answer whether the business exists or not.
        raise ToolFailure(f"Access denied: you are not a member of business {requested}.") from exc


# --- get_readiness_breakdown -------------------------------------------------------------


class BusinessInput(BaseModel):
    business_id: uuid.UUID | None = BusinessId


class ComponentBreakdown(BaseModel):
    name: str
    label: str
    score: float
    weight: float
    points_lost: float = Field(description="weight x (100 - score): what it costs the total.")
    value: int | float | None
    display: str
    status: str
    explanation: str
    caps_score_at: int | None


class ScorePoint(BaseModel):
    score: int
    tier: str
    computed_at: datetime
    component_scores: dict[str, float] = Field(default_factory=dict)


class FundingOptionSummary(BaseModel):
    type: str
    name: str
    eligible: bool
    unmet: list[UnmetCriterion]


class ReadinessBreakdown(BaseModel):
    business_id: uuid.UUID
    business_name: str
    available: bool
    message: str | None = None
    score: int | None = None
    tier: str | None = None
    score_trend: str | None = Field(
        default=None,
        description="The score's own 30-day trend (`insufficient_history` under 7 days).",
    )
    revenue_trend: str | None = Field(
        default=None, description="Which way revenue goes: growing, flat, declining."
    )
    revenue_trend_explanation: str | None = None
    computed_at: datetime | None = None
    currency: str | None = None
    capped_by: str | None = None
    components: list[ComponentBreakdown] = Field(
        default_factory=list, description="Biggest drag on the score first."
    )
    hurting: list[str] = Field(default_factory=list)
    helping: list[str] = Field(default_factory=list)
    funding_options: list[FundingOptionSummary] = Field(default_factory=list)
    history: list[ScorePoint] = Field(
        default_factory=list, description="Recent stored scores, newest first."
    )


def _component(name: str, component: Component) -> ComponentBreakdown:
    return ComponentBreakdown(
        name=name,
        label=component.label,
        score=component.score,
        weight=component.weight,
        points_lost=round(component.weight * (100 - component.score), 1),
        value=component.value,
        display=component.display,
        status=component.status,
        explanation=component.explanation,
        caps_score_at=component.caps_score_at,
    )


def _funding(option: FundingOption) -> FundingOptionSummary:
    return FundingOptionSummary(
        type=option.type, name=option.name, eligible=option.eligible, unmet=option.unmet
    )


async def get_readiness_breakdown(ctx: ToolContext, args: BusinessInput) -> ReadinessBreakdown:
    access = await resolve_business(ctx, args.business_id)
    base = {"business_id": access.id, "business_name": access.business.name}
    try:
        readiness = await metrics_service.get_readiness(ctx.session, access.business)
    except ReadinessNotComputed as exc:
        return ReadinessBreakdown(**base, available=False, message=exc.detail)
    history = await metrics_service.get_readiness_history(ctx.session, access.id, HISTORY_POINTS)
    components = sorted(
        (_component(name, c) for name, c in readiness.components.items()),
        key=lambda c: -c.points_lost,
    )
    return ReadinessBreakdown(
        **base,
        available=True,
        score=readiness.score,
        tier=readiness.tier,
        score_trend=readiness.score_trend.direction,
        revenue_trend=readiness.revenue_trend.direction,
        revenue_trend_explanation=readiness.revenue_trend.explanation,
        computed_at=readiness.computed_at,
        currency=readiness.currency,
        capped_by=readiness.capped_by,
        components=components,
        hurting=[c.name for c in components if c.status == "hurts"],
        helping=[c.name for c in components if c.status == "helps"],
        funding_options=[_funding(option) for option in readiness.funding_options],
        history=[
            ScorePoint(
                score=item.score,
                tier=item.tier,
                computed_at=item.computed_at,
                component_scores=item.component_scores,
            )
            for item in history
        ],
    )


# --- get_top_recommendations ------------------------------------------------------------


class RecommendationsInput(BaseModel):
    business_id: uuid.UUID | None = BusinessId
    limit: int = Field(default=3, ge=1, le=10, description="How many to return.")


class RecommendationItem(BaseModel):
    id: uuid.UUID
    title: str
    body: str
    priority: str
    category: str
    component: str = Field(description="The readiness component it improves.")
    impact: int = Field(description="Expected score change, in points, if the target is reached.")


class RecommendationList(BaseModel):
    business_id: uuid.UUID
    recommendations: list[RecommendationItem]


async def get_top_recommendations(
    ctx: ToolContext, args: RecommendationsInput
) -> RecommendationList:
    access = await resolve_business(ctx, args.business_id)
    items = await recommendations_service.list_recommendations(
        ctx.session, access.id, status="open", limit=args.limit
    )
    return RecommendationList(
        business_id=access.id,
        recommendations=[
            RecommendationItem(
                id=item.id,
                title=item.title,
                body=item.body,
                priority=item.priority,
                category=item.category,
                component=item.component,
                impact=item.impact,
            )
            for item in items
        ],
    )


# --- get_metric_summary -----------------------------------------------------------------


class MetricSummary(BaseModel):
    business_id: uuid.UUID
    available: bool
    message: str | None = None
    as_of: str | None = None
    currency: str | None = None
    metrics: dict[str, MetricValue] = Field(
        default_factory=dict,
        description="By name: money in minor units of `currency`, ratios as fractions.",
    )


async def get_metric_summary(ctx: ToolContext, args: BusinessInput) -> MetricSummary:
    access = await resolve_business(ctx, args.business_id)
    latest = await metrics_service.get_latest_metrics(ctx.session, access.id)
    if latest is None:
        return MetricSummary(
            business_id=access.id, available=False, message=MetricsNotComputed.detail
        )
    return MetricSummary(
        business_id=access.id,
        available=True,
        as_of=latest.as_of.isoformat(),
        currency=latest.currency,
        metrics=latest.metrics,
    )


# --- get_business_context ---------------------------------------------------------------


class BusinessContext(BaseModel):
    business_id: uuid.UUID
    name: str
    legal_entity: str | None
    industry: str | None
    country: str | None
    currency: str
    founded_at: str | None
    revenue_estimate: int | None = Field(description="Self-reported, minor units of currency.")
    your_role: str


async def get_business_context(ctx: ToolContext, args: BusinessInput) -> BusinessContext:
    access = await resolve_business(ctx, args.business_id)
    business = access.business
    return BusinessContext(
        business_id=business.id,
        name=business.name,
        legal_entity=business.legal_entity,
        industry=business.industry,
        country=business.country,
        currency=business.currency,
        founded_at=business.founded_at.isoformat() if business.founded_at else None,
        revenue_estimate=business.revenue_estimate,
        your_role=access.role,
    )


# --- search_knowledge -------------------------------------------------------------------


class SearchInput(BaseModel):
    query: Annotated[str, UserText(max_length=500, multiline=True)] = Field(
        description="What to look up."
    )
    k: int = Field(default=5, ge=1, le=10, description="How many excerpts to return.")


class KnowledgeExcerpt(BaseModel):
    cite_as: str = Field(description="The marker to cite this excerpt with.")
    doc_id: str
    chunk_id: str
    source: str
    category: str
    score: float
    text: str


class KnowledgeResults(BaseModel):
    query: str
    results: list[KnowledgeExcerpt]


async def search_knowledge(ctx: ToolContext, args: SearchInput) -> KnowledgeResults:
    chunks = await ctx.retriever.search(args.query, args.k)
    ctx.retrieved.extend(chunks)
    return KnowledgeResults(
        query=args.query,
        results=[
            KnowledgeExcerpt(
                cite_as=marker(chunk.doc_id),
                doc_id=chunk.doc_id,
                chunk_id=chunk.chunk_id,
                source=chunk.source,
                category=chunk.category,
                score=round(chunk.score, 4),
                text=chunk.text,
            )
            for chunk in chunks
        ],
    )


TOOLS: dict[str, AgentTool[Any, Any]] = {
    tool.name: tool
    for tool in (
        AgentTool(
            name="get_readiness_breakdown",
            title="Readiness breakdown",
            description=(
                "The business's funding-readiness score (0-100), tier, score and revenue "
                "trends; each "
                "component's score, weight and what it costs the total (biggest drag "
                "first), what helps and what hurts; eligibility for each funding option "
                "with the unmet criteria; and recent score history."
            ),
            input_model=BusinessInput,
            output_model=ReadinessBreakdown,
            handler=get_readiness_breakdown,
        ),
        AgentTool(
            name="get_top_recommendations",
            title="Top recommendations",
            description=(
                "The business's most important open recommendations, highest priority first."
            ),
            input_model=RecommendationsInput,
            output_model=RecommendationList,
            handler=get_top_recommendations,
        ),
        AgentTool(
            name="get_metric_summary",
            title="Metric summary",
            description=(
                "The latest metrics from the business's Stripe data: revenue (30/90/365 days, "
                "monthly average), growth, volatility, chargeback (dispute) ratios, refund "
                "rates, payout failures and timing, customer concentration."
            ),
            input_model=BusinessInput,
            output_model=MetricSummary,
            handler=get_metric_summary,
        ),
        AgentTool(
            name="get_business_context",
            title="Business context",
            description="The business profile: name, industry, country, currency, age.",
            input_model=BusinessInput,
            output_model=BusinessContext,
            handler=get_business_context,
        ),
        AgentTool(
            name="search_knowledge",
            title="Search the knowledge base",
            description=(
                "Search Vaultra's knowledge base (lending criteria, chargebacks, revenue "
                "stability, payouts, how the readiness score works). Cite an excerpt you use "
                "with its `cite_as` marker, e.g. [Source: reducing-chargebacks]."
            ),
            input_model=SearchInput,
            output_model=KnowledgeResults,
            handler=search_knowledge,
        ),
    )
}
