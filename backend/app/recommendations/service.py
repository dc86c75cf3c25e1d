"""Recommendations from the rules in `rules.py`. Services flush; the caller commits.

Lifecycle of the one row per (business, rule):

- the rule fires and there is no row: created `open`;
- it fires again: the row's numbers, body and impact are refreshed; a `resolved` row is
  reopened; a `dismissed` row stays dismissed until its severity metric is materially worse
  than when it was dismissed (25% relative) or 30 days have passed;
- it stops firing: an `open` or `accepted` row becomes `resolved` (a dismissed one stays
  dismissed);
- the founder accepts, dismisses, or undoes either (back to `open`); a `resolved` row takes
  none of these.
"""

import string
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import utcnow
from app.core.text import plural
from app.metrics import service as metrics_service
from app.metrics.readiness.derived import growth_comparison, revenue_growth, worst_dispute_ratio
from app.metrics.readiness.inputs import METRIC_RULES
from app.metrics.readiness.simulation import impact_of
from app.metrics.service import ScoringContext
from app.recommendations.exceptions import RecommendationResolved
from app.recommendations.models import Priority, Recommendation, Status
from app.recommendations.rules import DISMISS_FOR, RULES, Rule, format_fact, units_for
from app.recommendations.schemas import RecommendationRead
from app.users.models import Business

ACTIVE = (Status.open, Status.accepted)
_PRIORITY_RANK = case(
    {Priority.high: 0, Priority.medium: 1, Priority.low: 2},
    value=Recommendation.priority,
    else_=3,
)


def build_facts(context: ScoringContext) -> dict[str, Any]:
    """Everything a rule may test or quote: metrics, derived values and component scores."""
    facts: dict[str, Any] = {
        name: entry["value"] for name, entry in context.snapshot.metrics.items()
    }
    inputs = context.inputs
    facts.update({name: getattr(inputs, name) for name in METRIC_RULES})
    facts["worst_dispute_ratio"] = worst_dispute_ratio(inputs)
    # Growth by the comparison the model uses (year over year once it exists).
    growth = revenue_growth(inputs)
    facts["revenue_growth"] = growth
    facts["revenue_decline_3m"] = None if growth is None else max(0.0, -growth)
    comparison = growth_comparison(inputs)
    facts["growth_comparison"] = _COMPARISONS.get(comparison or "", "no comparison yet")
    for key, component in context.result.components.items():
        facts[f"{key}_score"] = component.score
    facts["score"] = context.result.score
    options = context.result.funding_options
    for option in options:
        facts[f"eligible_{option.type}"] = int(option.eligible)
    facts["eligible_products"] = sum(1 for o in options if o.eligible)
    blocked = [o for o in options if not o.eligible]
    facts["ineligible_products"] = len(blocked)
    if blocked:
        # The closest: fewest unmet criteria, then table order.
        nearest = min(blocked, key=lambda o: len(o.unmet))
        facts["next_product"] = nearest.name
        facts["next_product_steps"] = " ".join(u.message for u in nearest.unmet)
        facts["next_product_gaps"] = len(nearest.unmet)
    return facts


_COMPARISONS = {
    "year_over_year": "the last 3 complete months with the same 3 months a year earlier",
    "quarter_over_quarter": "the last 3 complete months with the 3 before",
    "month_over_month": "the last complete month with the month before",
}


def _clamp(metric: str, value: int | float) -> int | float:
    rule = METRIC_RULES[metric]
    return min(max(value, rule.override_min), rule.override_max)


@dataclass(frozen=True)
class _Content:
    title: str
    body: str
    impact: int
    overrides: dict[str, int | float]
    severity: float | None
    facts: dict[str, Any]


def render(rule: Rule, context: ScoringContext, facts: dict[str, Any]) -> _Content:
    currency = context.currency
    overrides = {
        metric: _clamp(metric, value) for metric, value in rule.overrides(facts, currency).items()
    }
    impact = (
        impact_of(context.inputs, overrides, currency, base_score=context.result.score)
        if overrides
        else 0
    )
    units = units_for(context.snapshot.metrics)
    template = rule.body + (" " + rule.outcome if impact > 0 else "")
    fields = [name for _, name, _, _ in string.Formatter().parse(template) if name]
    quoted = {name: facts.get(name) for name in fields if name not in ("target", "impact")}
    shown = {
        name: format_fact(name, value, units.get(name, ""), currency)
        for name, value in quoted.items()
    }
    if rule.targets:
        first = rule.targets[0]
        goal = first.goal(facts, currency)
        shown["target"] = format_fact(first.metric, goal, units.get(first.metric, ""), currency)
    shown["impact"] = plural(impact, "point")
    severity = facts.get(rule.severity)
    return _Content(
        title=rule.title,
        body=template.format_map(shown),
        impact=impact,
        overrides=overrides,
        severity=None if severity is None else float(severity),
        facts={**quoted, rule.severity: severity},
    )


def _resurfaces(rule: Rule, rec: Recommendation, severity: float | None, now: datetime) -> bool:
    if rec.dismissed_at is not None and now - rec.dismissed_at >= DISMISS_FOR:
        return True
    return rule.materially_worse(rec.dismissed_severity, severity)


async def generate_recommendations(
    session: AsyncSession,
    business: Business,
    *,
    now: datetime | None = None,
    context: ScoringContext | None = None,
) -> list[Recommendation]:
    """Run every rule for the business; returns its open and accepted recommendations.
    `context`: the latest snapshot already scored (the pipeline's), else it is read here."""
    now = now or utcnow()
    if context is None:
        context = await metrics_service.get_scoring_context(session, business)
    if context is None:
        return []
    facts = build_facts(context)
    result = await session.execute(
        select(Recommendation).where(Recommendation.business_id == business.id)
    )
    existing = {rec.rule_id: rec for rec in result.scalars()}
    for rule in RULES:
        rec = existing.get(rule.id)
        if not rule.matches(facts, context.currency):
            if rec is not None and rec.status in ACTIVE:
                rec.status = Status.resolved
                rec.resolved_at = now
            continue
        content = render(rule, context, facts)
        if rec is None:
            rec = Recommendation(
                business_id=business.id,
                rule_id=rule.id,
                status=Status.open,
                opened_at=now,
            )
            session.add(rec)
            existing[rule.id] = rec
        elif rec.status == Status.resolved or (
            rec.status == Status.dismissed and _resurfaces(rule, rec, content.severity, now)
        ):
            rec.status = Status.open
            rec.opened_at = now
            rec.accepted_at = rec.dismissed_at = rec.resolved_at = None
            rec.dismissed_severity = None
        rec.category = rule.category
        rec.component = rule.component
        rec.priority = rule.priority
        rec.title = content.title
        rec.body = content.body
        rec.impact = content.impact
        rec.overrides = content.overrides
        rec.severity = content.severity
        rec.facts = content.facts
    await session.flush()
    return [rec for rec in existing.values() if rec.status in ACTIVE]


async def list_recommendations(
    session: AsyncSession,
    business_id: uuid.UUID,
    *,
    status: Status | str | None = None,
    priority: Priority | str | None = None,
    limit: int | None = None,
) -> list[RecommendationRead]:
    """The business's recommendations (every status unless filtered): high priority first,
    then the largest expected score impact."""
    statement = select(Recommendation).where(Recommendation.business_id == business_id)
    if status is not None:
        statement = statement.where(Recommendation.status == Status(status))
    if priority is not None:
        statement = statement.where(Recommendation.priority == Priority(priority))
    statement = statement.order_by(
        _PRIORITY_RANK, Recommendation.impact.desc(), Recommendation.opened_at, Recommendation.id
    )
    if limit is not None:
        statement = statement.limit(limit)
    result = await session.execute(statement)
    return [RecommendationRead.model_validate(rec) for rec in result.scalars()]


async def get_recommendation(
    session: AsyncSession, recommendation_id: uuid.UUID
) -> Recommendation | None:
    return await session.get(Recommendation, recommendation_id)


async def update_status(
    session: AsyncSession,
    rec: Recommendation,
    status: Status | str,
    *,
    now: datetime | None = None,
) -> Recommendation:
    """Accept, dismiss, or undo either (`open`); a resolved recommendation takes none of
    these (its condition has cleared)."""
    now = now or utcnow()
    status = Status(status)
    if rec.status == Status.resolved:
        raise RecommendationResolved()
    if status == rec.status:
        return rec
    rec.status = status
    if status == Status.dismissed:
        rec.dismissed_at = now
        rec.dismissed_severity = rec.severity
    else:
        # Accepting or undoing ends a dismissal: the rule's resurfacing watch no longer applies.
        rec.accepted_at = now if status == Status.accepted else None
        rec.dismissed_at = None
        rec.dismissed_severity = None
    await session.flush()
    await session.refresh(rec)
    return rec


async def business_ids_to_evaluate(session: AsyncSession) -> list[uuid.UUID]:
    return await metrics_service.snapshot_business_ids(session)


async def delete_business_data(session: AsyncSession, business_id: uuid.UUID) -> None:
    """Every recommendation of a business, whatever its status (teams' business deletion)."""
    await session.execute(delete(Recommendation).where(Recommendation.business_id == business_id))
