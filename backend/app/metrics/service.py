"""Metrics, snapshots and readiness scores. Services flush; the caller's unit of work commits.

Score trend (how the score itself moved over the last 30 days): the current score against
the latest stored score at least 30 days older (or, with no score that old yet, the oldest
one at least 7 days older): more than 3 points up is `improving`, more than 3 down
`declining`, else `stable`. With under 7 days of score history it is
`insufficient_history`: model 1.0 said "stable" from minutes of history, which a founder
read as a revenue trend. The revenue trend is a separate field, from the model.
"""

import asyncio
import contextlib
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import can_read_alongside, sibling_session, utcnow
from app.metrics import calculations, rollup
from app.metrics.exceptions import (
    DateOutOfRange,
    DateRangeTooLarge,
    InvalidDateRange,
    InvalidOverrides,
    ReadinessNotComputed,
)
from app.metrics.models import DailyRollup, MetricSnapshot, ReadinessScore, RollupState
from app.metrics.readiness import scoring
from app.metrics.readiness.inputs import InvalidOverridesError, ReadinessInputs
from app.metrics.readiness.model import MODEL_VERSION
from app.metrics.readiness.results import Component, FundingOption, ReadinessResult
from app.metrics.readiness.simulation import simulate
from app.metrics.rollup import RollupRun
from app.metrics.schemas import (
    Granularity,
    MetricHistoryRead,
    MetricPoint,
    MetricsRead,
    MetricValue,
    ReadinessHistoryItem,
    ReadinessRead,
    ScoreTrend,
    SimulationRead,
)
from app.stripe import ledger
from app.stripe import service as stripe_service
from app.stripe.ledger import CustomerFigures
from app.users.models import Business

TREND_LOOKBACK = timedelta(days=30)
TREND_MIN_AGE = timedelta(days=7)
TREND_BAND = 3
# Snapshot metrics the current model reads; an older snapshot without them is retaken.
MODEL_METRICS = ("full_months", "growth_yoy", "revenue_trend_12m", "volatility_detrended_cv")
# Longest range per history granularity: about a year of days, three of weeks, ten of months.
HISTORY_MAX_DAYS = {Granularity.day: 366, Granularity.week: 3 * 371, Granularity.month: 3660}
# History dates: Stripe's timestamps are Unix time, so nothing predates 1970; and a range ending
# by 2999 keeps its default start and its last whole period (up to a month past the end) within
# the calendar Python can count (year 1 to 9999).
HISTORY_FIRST_DAY = date(1970, 1, 1)
HISTORY_LAST_DAY = date(2999, 12, 31)

# The spec's top-level names in GET /metrics, and which metric each entry is.
METRIC_GROUPS: dict[str, dict[str, str]] = {
    "revenue_total": {
        "30d": "revenue_30d",
        "90d": "revenue_90d",
        "365d": "revenue_365d",
        "all_time": "revenue_all_time",
    },
    "growth": {
        "mom": "growth_mom",
        "3m": "growth_3m",
        "yoy": "growth_yoy",
        "trend_12m": "revenue_trend_12m",
    },
    "volatility": {
        "monthly_cv": "volatility_monthly_cv",
        "weekly_cv": "volatility_weekly_cv",
        "detrended_cv": "volatility_detrended_cv",
        "seasonality_strength": "seasonality_strength",
    },
    "history": {
        "start": "history_start",
        "days": "days_of_history",
        "months": "months_of_history",
        "full_months": "full_months",
        "low_volume_months_12m": "low_volume_months_12m",
        "months_above_10k_last_6": "months_above_10k_last_6",
    },
    "chargeback_ratio": {
        "visa_month": "dispute_ratio_visa_month",
        "visa_3m": "dispute_ratio_visa_3m",
        "mastercard_month": "dispute_ratio_mc_month",
        "mastercard_3m": "dispute_ratio_mc_3m",
        "disputes_month": "disputes_count_month",
        "disputes_3m": "disputes_count_3m",
        "by_reason_90d": "disputes_by_reason_90d",
        "fraud_share_90d": "fraud_dispute_share_90d",
    },
    "refund_rate": {"amount": "refund_rate_amount", "count": "refund_rate_count"},
    "payouts": {
        "failure_rate_90d": "payout_failure_rate_90d",
        "avg_arrival_delay_days": "payout_avg_arrival_delay_days",
        "count_90d": "payouts_count_90d",
    },
    "customer_concentration": {
        "top_customer_share": "top_customer_share",
        "top5_customer_share": "top5_customer_share",
    },
    "volume": {"gross_90d": "gross_volume_90d", "charges_90d": "charge_count_90d"},
}
SINGLE_METRICS = {
    "avg_monthly_revenue": "avg_monthly_revenue_3m",
    "unique_customers": "unique_customers_365d",
    "avg_charge_amount": "avg_charge_amount",
    "unconverted_volume": "unconverted_charges_365d",
}


# --- Metrics -------------------------------------------------------------------------


async def latest_snapshot(session: AsyncSession, business_id: uuid.UUID) -> MetricSnapshot | None:
    result = await session.execute(
        select(MetricSnapshot)
        .where(MetricSnapshot.business_id == business_id)
        .order_by(MetricSnapshot.computed_at.desc(), MetricSnapshot.id)
        .limit(1)
    )
    return result.scalar_one_or_none()


async def compute_metrics(
    session: AsyncSession, business: Business, *, now: datetime | None = None, full: bool = False
) -> MetricSnapshot:
    """Update the rollups and take a snapshot; reuses the latest one when nothing changed."""
    now = now or utcnow()
    as_of = now.date()
    currency = business.currency.lower()
    early: asyncio.Task[CustomerFigures | None] | None = None
    if full:
        # Before the second connection starts: it then sees converted amounts, or is not used
        # at all when converting wrote anything (rows it could not see).
        await rollup.convert_charges(session, business.id, currency)
    if full and await can_read_alongside(session):
        # A full run recomputes the customer figures from the charges anyway: started now, on
        # a second connection, they run alongside the rollups instead of after them.
        early = asyncio.create_task(
            _customer_figures_alongside(session, business.id, currency, as_of)
        )
    try:
        run = await rollup.update_rollups(
            session, business.id, currency, now=now, full=full, charges_converted=full
        )
    except BaseException:
        if early is not None:
            early.cancel()
            with contextlib.suppress(BaseException):
                await early
        raise
    latest = await latest_snapshot(session, business.id)
    if (
        latest is not None
        and not run.full
        and not run.changed_days
        and latest.as_of == as_of
        and latest.currency == currency
        and all(name in latest.metrics for name in MODEL_METRICS)
    ):
        return latest
    rollups = await rollup.load_rollups(session, business.id)
    first_day = calculations.first_charge_day(rollups)
    customers = None
    if first_day is not None:
        start, end = calculations.customer_window(first_day, as_of)
        precomputed = await early if early is not None else None
        customers = await _customer_figures(
            session, business.id, currency, start, end, run, precomputed=precomputed
        )
    elif early is not None:
        await early
    snapshot = MetricSnapshot(
        business_id=business.id,
        computed_at=now,
        as_of=as_of,
        currency=currency,
        metrics=calculations.compute_snapshot_metrics(
            rollups, as_of=as_of, currency=currency, customers=customers
        ),
    )
    session.add(snapshot)
    await session.flush()
    return snapshot


async def _customer_figures_alongside(
    session: AsyncSession, business_id: uuid.UUID, currency: str, as_of: date
) -> CustomerFigures | None:
    async with sibling_session(session) as sibling:
        first_day = await ledger.first_charge_day(sibling, business_id)
        if first_day is None:
            return None
        start, end = calculations.customer_window(first_day, as_of)
        return await ledger.customer_figures(sibling, business_id, currency, start, end)


async def _customer_figures(
    session: AsyncSession,
    business_id: uuid.UUID,
    currency: str,
    start: date,
    end: date,
    run: RollupRun,
    *,
    precomputed: CustomerFigures | None = None,
) -> CustomerFigures:
    """Per-customer figures, reused while their window and the charges in it are unchanged.

    They are the one metric that needs a scan of a year of charges, so an incremental run
    skips it unless a day inside the window changed its charges.
    """
    state = await session.get(RollupState, business_id)
    assert state is not None  # update_rollups created it
    cache = state.customer_cache
    fresh = (
        cache.get("start") == start.isoformat()
        and cache.get("end") == end.isoformat()
        and not any(start <= day <= end for day in run.customer_changed_days)
    )
    if fresh:
        return CustomerFigures(
            start=start,
            end=end,
            top_amounts=tuple(cache["top_amounts"]),
            unique_customers=cache["unique_customers"],
        )
    if precomputed is not None and (precomputed.start, precomputed.end) == (start, end):
        figures = precomputed
    else:
        figures = await ledger.customer_figures(session, business_id, currency, start, end)
    state.customer_cache = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "top_amounts": list(figures.top_amounts),
        "unique_customers": figures.unique_customers,
    }
    await session.flush()
    return figures


def metrics_read(snapshot: MetricSnapshot) -> MetricsRead:
    metrics = {name: MetricValue(metric=name, **entry) for name, entry in snapshot.metrics.items()}
    groups: dict[str, Any] = {
        group: {key: metrics[name] for key, name in entries.items() if name in metrics}
        for group, entries in METRIC_GROUPS.items()
    }
    groups.update({field: metrics[name] for field, name in SINGLE_METRICS.items()})
    return MetricsRead(
        snapshot_id=snapshot.id,
        business_id=snapshot.business_id,
        computed_at=snapshot.computed_at,
        as_of=snapshot.as_of,
        currency=snapshot.currency,
        metrics=metrics,
        **groups,
    )


async def get_latest_metrics(session: AsyncSession, business_id: uuid.UUID) -> MetricsRead | None:
    snapshot = await latest_snapshot(session, business_id)
    return None if snapshot is None else metrics_read(snapshot)


def _period(day: date, granularity: Granularity) -> date:
    if granularity == Granularity.week:
        return calculations.week_start(day)
    if granularity == Granularity.month:
        return calculations.month_start(day)
    return day


def _next_period(start: date, granularity: Granularity) -> date:
    if granularity == Granularity.week:
        return start + timedelta(weeks=1)
    if granularity == Granularity.month:
        return calculations.add_months(start, 1)
    return start + timedelta(days=1)


_SUMMED = (
    "gross_volume",
    "net_volume",
    "charge_count",
    "failed_charge_count",
    "unconverted_charge_count",
    "refund_amount",
    "refund_count",
    "dispute_count",
    "dispute_amount",
    "payouts_paid_count",
    "payouts_paid_amount",
    "payouts_failed_count",
    "payouts_failed_amount",
)


async def get_metric_history(
    session: AsyncSession,
    business: Business,
    *,
    start_date: date | None,
    end_date: date | None,
    granularity: Granularity,
    today: date | None = None,
) -> MetricHistoryRead:
    """A dense series (empty periods are zeros) of whole periods covering the range, from the
    business's first activity on: the default monthly range spans ten years, which began
    with ~100 empty months for a business a year old. No activity yet: no periods.

    Defaults: the range ends today and spans the granularity's longest allowed range.
    """
    for day in (start_date, end_date):
        if day is not None and not HISTORY_FIRST_DAY <= day <= HISTORY_LAST_DAY:
            raise DateOutOfRange(
                f"Dates must be between {HISTORY_FIRST_DAY} and {HISTORY_LAST_DAY}."
            )
    limit = HISTORY_MAX_DAYS[granularity]
    end = end_date or today or utcnow().date()
    start = start_date or end - timedelta(days=limit - 1)
    if start > end:
        raise InvalidDateRange()
    if (end - start).days + 1 > limit:
        raise DateRangeTooLarge(
            f"At most {limit} days of history per request with granularity={granularity.value}."
        )
    first_activity = await rollup.first_activity_day(session, business.id)
    if first_activity is not None:
        start = max(start, first_activity)
    points: dict[date, dict[str, Any]] = {}
    if first_activity is not None and start <= end:
        first, last = _period(start, granularity), _period(end, granularity)
        last_day = _next_period(last, granularity) - timedelta(days=1)
        points = _empty_points(first, last, granularity)
        for row in await rollup.load_rollups(session, business.id, start=first, end=last_day):
            point = points[_period(row.day, granularity)]
            for name in _SUMMED:
                point[name] += getattr(row, name)
            for reason, count in row.disputes_by_reason.items():
                reasons = point["disputes_by_reason"]
                reasons[reason] = reasons.get(reason, 0) + count
            if granularity == Granularity.day:
                point["unique_customers"] = row.unique_customers
        top = await ledger.top_customer_volume(
            session, business.id, first, last_day, granularity.value
        )
        for period, volume in top.items():
            points[period]["top_customer_volume"] = volume
    return MetricHistoryRead(
        business_id=business.id,
        currency=business.currency.lower(),
        granularity=granularity,
        start_date=start,
        end_date=end,
        metrics=[MetricPoint(**point) for point in points.values()],
    )


def _empty_points(first: date, last: date, granularity: Granularity) -> dict[date, dict[str, Any]]:
    points: dict[date, dict[str, Any]] = {}
    period = first
    while period <= last:
        points[period] = dict.fromkeys(_SUMMED, 0)
        points[period].update(
            period_start=period,
            period_end=_next_period(period, granularity) - timedelta(days=1),
            disputes_by_reason={},
            unique_customers=0 if granularity == Granularity.day else None,
            top_customer_volume=0,
        )
        period = _next_period(period, granularity)
    return points


# --- Readiness ----------------------------------------------------------------------


def inputs_from_metrics(metrics: dict[str, Any]) -> ReadinessInputs:
    return ReadinessInputs.from_mapping({name: entry["value"] for name, entry in metrics.items()})


@dataclass(frozen=True)
class ScoringContext:
    """What a score was computed from: for recommendations and the agent."""

    business_id: uuid.UUID
    currency: str
    snapshot: MetricSnapshot
    inputs: ReadinessInputs
    result: ReadinessResult


async def get_scoring_context(session: AsyncSession, business: Business) -> ScoringContext | None:
    snapshot = await latest_snapshot(session, business.id)
    if snapshot is None:
        return None
    inputs = inputs_from_metrics(snapshot.metrics)
    return ScoringContext(
        business_id=business.id,
        currency=snapshot.currency,
        snapshot=snapshot,
        inputs=inputs,
        result=scoring.compute_readiness(inputs, snapshot.currency),
    )


async def latest_score(session: AsyncSession, business_id: uuid.UUID) -> ReadinessScore | None:
    result = await session.execute(
        select(ReadinessScore)
        .where(ReadinessScore.business_id == business_id)
        .order_by(ReadinessScore.computed_at.desc(), ReadinessScore.id)
        .limit(1)
    )
    return result.scalar_one_or_none()


async def previous_score(session: AsyncSession, score: ReadinessScore) -> ReadinessScore | None:
    """The stored score just before `score` (alerts tell a model update from a real change)."""
    result = await session.execute(
        select(ReadinessScore)
        .where(
            ReadinessScore.business_id == score.business_id,
            ReadinessScore.computed_at < score.computed_at,
        )
        .order_by(ReadinessScore.computed_at.desc(), ReadinessScore.id)
        .limit(1)
    )
    return result.scalar_one_or_none()


async def compute_readiness(
    session: AsyncSession,
    business: Business,
    *,
    now: datetime | None = None,
    context: ScoringContext | None = None,
) -> ReadinessScore | None:
    """Score the latest snapshot; None without one. A snapshot already scored is not rescored.
    `context`: that snapshot already scored (`get_scoring_context`), else it is read here."""
    if context is None:
        context = await get_scoring_context(session, business)
    if context is None:
        return None
    latest = await latest_score(session, business.id)
    if (
        latest is not None
        and latest.snapshot_id == context.snapshot.id
        and latest.model_version == MODEL_VERSION
    ):
        return latest
    result = context.result
    score = ReadinessScore(
        business_id=business.id,
        snapshot_id=context.snapshot.id,
        computed_at=now or utcnow(),
        score=result.score,
        tier=result.tier,
        model_version=result.model_version,
        currency=result.currency,
        weighted_score=result.weighted_score,
        capped_by=result.capped_by,
        components={key: c.model_dump(mode="json") for key, c in result.components.items()},
        funding_options=[option.model_dump(mode="json") for option in result.funding_options],
        inputs=_inputs_json(context.inputs),
    )
    session.add(score)
    await session.flush()
    return score


def _inputs_json(inputs: ReadinessInputs) -> dict[str, Any]:
    return {name: getattr(inputs, name) for name in inputs.__dataclass_fields__}


async def score_trend(
    session: AsyncSession, business_id: uuid.UUID, score: int, computed_at: datetime
) -> ScoreTrend:
    """The score's own trend over the last 30 days (see the module docstring)."""
    base = select(ReadinessScore.score, ReadinessScore.computed_at).where(
        ReadinessScore.business_id == business_id
    )
    month_ago = await session.execute(
        base.where(ReadinessScore.computed_at <= computed_at - TREND_LOOKBACK)
        .order_by(ReadinessScore.computed_at.desc())
        .limit(1)
    )
    reference = month_ago.first()
    if reference is None:
        oldest = await session.execute(
            base.where(ReadinessScore.computed_at <= computed_at - TREND_MIN_AGE)
            .order_by(ReadinessScore.computed_at)
            .limit(1)
        )
        reference = oldest.first()
    if reference is None:
        return ScoreTrend(
            direction="insufficient_history",
            change=None,
            days=None,
            explanation=(
                f"The score's trend needs {TREND_MIN_AGE.days} days of score history; "
                "until then there is nothing to compare it with."
            ),
        )
    old_score, old_at = reference
    days = (_aware(computed_at) - _aware(old_at)).days
    change = score - old_score
    if abs(change) <= TREND_BAND:
        direction: Literal["improving", "stable", "declining"] = "stable"
    else:
        direction = "improving" if change > 0 else "declining"
    moved = "unchanged" if change == 0 else f"{'up' if change > 0 else 'down'} {abs(change)}"
    return ScoreTrend(
        direction=direction,
        change=change,
        days=days,
        explanation=f"Your readiness score is {moved} points over the last {days} days.",
    )


def _aware(moment: datetime) -> datetime:
    # SQLite returns naive datetimes; every stored timestamp is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def _not_computed(session: AsyncSession, business: Business) -> ReadinessNotComputed:
    """No score yet: one is on its way if Stripe is connected, else the founder must connect."""
    connected = await stripe_service.is_connected(session, business.id)
    return ReadinessNotComputed(connected=connected)


async def get_readiness(session: AsyncSession, business: Business) -> ReadinessRead:
    """The latest stored score, or one computed from the latest metrics if none is stored."""
    stored = await latest_score(session, business.id)
    if stored is not None:
        return ReadinessRead(
            business_id=business.id,
            score=stored.score,
            tier=stored.tier,  # type: ignore[arg-type]  # written from a Tier
            components={k: Component(**v) for k, v in stored.components.items()},
            funding_options=[FundingOption(**option) for option in stored.funding_options],
            score_trend=await score_trend(session, business.id, stored.score, stored.computed_at),
            revenue_trend=scoring.revenue_trend(ReadinessInputs.from_mapping(stored.inputs)),
            computed_at=stored.computed_at,
            model_version=stored.model_version,
            currency=stored.currency,
            capped_by=stored.capped_by,  # type: ignore[arg-type]  # written from a CappedBy
            snapshot_id=stored.snapshot_id,
            stored=True,
        )
    context = await get_scoring_context(session, business)
    if context is None:
        raise await _not_computed(session, business)
    result = context.result
    return ReadinessRead(
        business_id=business.id,
        score=result.score,
        tier=result.tier,
        components=result.components,
        funding_options=result.funding_options,
        score_trend=await score_trend(
            session, business.id, result.score, context.snapshot.computed_at
        ),
        revenue_trend=result.revenue_trend,
        computed_at=context.snapshot.computed_at,
        model_version=result.model_version,
        currency=result.currency,
        capped_by=result.capped_by,
        snapshot_id=context.snapshot.id,
        stored=False,
    )


async def get_readiness_history(
    session: AsyncSession, business_id: uuid.UUID, limit: int
) -> list[ReadinessHistoryItem]:
    """Stored scores, newest first."""
    result = await session.execute(
        select(ReadinessScore)
        .where(ReadinessScore.business_id == business_id)
        .order_by(ReadinessScore.computed_at.desc(), ReadinessScore.id)
        .limit(limit)
    )
    return [
        ReadinessHistoryItem.model_validate(row).model_copy(
            update={
                "component_scores": {
                    name: float(component["score"]) for name, component in row.components.items()
                }
            }
        )
        for row in result.scalars()
    ]


async def simulate_readiness(
    session: AsyncSession, business: Business, overrides: dict[str, Any]
) -> SimulationRead:
    """The score the business would have with `overrides`; persists nothing."""
    context = await get_scoring_context(session, business)
    if context is None:
        raise await _not_computed(session, business)
    try:
        result = simulate(context.inputs, overrides, context.currency)
    except InvalidOverridesError as exc:
        raise InvalidOverrides(str(exc)) from exc
    return SimulationRead(
        business_id=business.id,
        score=result.score,
        tier=result.tier,
        components=result.components,
        funding_options=result.funding_options,
        base_score=context.result.score,
        base_tier=context.result.tier,
        capped_by=result.capped_by,
        impact=result.score - context.result.score,
        overrides={key: overrides[key] for key in sorted(overrides)},
        currency=context.currency,
    )


async def snapshot_business_ids(session: AsyncSession) -> list[uuid.UUID]:
    result = await session.execute(select(MetricSnapshot.business_id).distinct())
    return sorted(result.scalars(), key=str)


async def business_ids_with_data(session: AsyncSession) -> list[uuid.UUID]:
    return await rollup.business_ids_with_data(session)


async def delete_business_data(session: AsyncSession, business_id: uuid.UUID) -> None:
    """Every metrics row of a business: scores (first: they point at snapshots), snapshots,
    daily rollups and the rollup watermark (teams' business deletion)."""
    for model in (ReadinessScore, MetricSnapshot, DailyRollup, RollupState):
        await session.execute(delete(model).where(model.business_id == business_id))
