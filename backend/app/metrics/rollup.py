"""Daily rollups computed from the normalized Stripe tables, incrementally.

This is the one place outside the Stripe module that reads its tables: metrics are computed
from the raw Stripe data by design (the metrics module depends on stripe), and keeping the
SQL here leaves the Stripe module's own files untouched.

Currency rule: every figure is in the business currency. A charge, refund or dispute in that
currency counts at its own amount; one in another currency counts at its settled amount
(from its balance transaction) when it settled in the business currency; anything else is
left out of the money figures and counted in `unconverted_charge_count` instead. Payout
amounts count only in the business currency (their counts always count). Charges carry that
amount as `business_amount` (`convert_charges` keeps it in line before each run), so the big
aggregations over them sum one column instead of applying the rule row by row.

Incremental: a run recomputes only the days touched by rows whose `version_at` is newer
than the table's watermark from the previous run, plus the days of rows written by webhook
events processed since then (a late-delivered event carries its older event time as
`version_at`, so the watermark alone would miss it).
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Executable,
    case,
    delete,
    distinct,
    func,
    insert,
    literal_column,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from app.core.db import ordered_aggregation, period_start, utcnow
from app.metrics.models import DailyRollup, RollupState
from app.stripe import service as stripe_service
from app.stripe.models import (
    IntegrationAccount,
    StripeCharge,
    StripeDispute,
    StripeEvent,
    StripePayout,
    StripeRefund,
)

# Rows written this recently may still be joined by rows of transactions that started earlier
# with older versions, so the watermark never passes `now - WATERMARK_MARGIN`.
WATERMARK_MARGIN = timedelta(minutes=10)
DAY_BATCH = 500
RANGES_PER_PROCESS = 2
_TICK = timedelta(microseconds=1)
# Inquiries (Stripe's "warning_*" disputes) move no money and are not chargebacks.
INQUIRY_STATUSES = ("warning_needs_response", "warning_under_review", "warning_closed")
VOID_REFUND_STATUSES = ("failed", "canceled")
# Inline literals, not parameters: a generic plan could not match them to the partial indexes.
SUCCEEDED: ColumnElement[str] = literal_column("'succeeded'")
FAILED: ColumnElement[str] = literal_column("'failed'")

_TABLES: dict[str, Any] = {
    "charges": StripeCharge,
    "refunds": StripeRefund,
    "disputes": StripeDispute,
    "payouts": StripePayout,
}


@dataclass(frozen=True, slots=True)
class DayRollup:
    """One stored daily rollup (`DailyRollup`'s figures), read without the ORM: a full run
    reads every day of history twice, and ORM objects cost several times more."""

    day: date
    currency: str
    gross_volume: int
    net_volume: int
    charge_count: int
    failed_charge_count: int
    unconverted_charge_count: int
    unique_customers: int
    refund_amount: int
    refund_count: int
    dispute_count: int
    dispute_amount: int
    dispute_loss_amount: int
    disputes_by_reason: dict[str, int]
    payouts_paid_count: int
    payouts_paid_amount: int
    payouts_failed_count: int
    payouts_failed_amount: int
    payout_arrival_days: int
    payout_arrival_count: int


# Columns compared to tell whether a recomputed day actually changed.
ROLLUP_FIGURES = tuple(field.name for field in fields(DayRollup) if field.name != "day")
_ROLLUP_COLUMNS = [getattr(DailyRollup, field.name) for field in fields(DayRollup)]
# The figures per-customer metrics depend on: when none changed, they can be reused.
CUSTOMER_FIGURES = ("gross_volume", "charge_count", "unique_customers")


@dataclass(frozen=True)
class RollupRun:
    full: bool
    recomputed_days: frozenset[date]
    # Recomputed days whose figures differ from what was stored, and in which figures.
    changed_days: frozenset[date]
    customer_changed_days: frozenset[date]


def _empty_day(business_id: uuid.UUID, day: date, currency: str) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(ROLLUP_FIGURES, 0)
    row.update(business_id=business_id, day=day, currency=currency, disputes_by_reason={})
    return row


def _day_filter(model: Any, days: Sequence[date] | None) -> list[ColumnElement[bool]]:
    return [] if days is None else [model.day.in_(days)]


async def _day_ranges(
    session: AsyncSession, business_id: uuid.UUID, processes: int
) -> list[tuple[date, date]]:
    """[start, end) day ranges covering every charge, to aggregate as UNION ALL branches.

    The per-day count(DISTINCT) keeps PostgreSQL from splitting one aggregate across workers,
    but it runs the branches of a UNION ALL in parallel (Parallel Append). Two ranges per
    process even out ranges of unequal volume. One process (SQLite): a single range.
    """
    if processes < 2:
        return []
    c = StripeCharge
    bounds = select(func.min(c.day), func.max(c.day)).where(c.business_id == business_id)
    first, last = (await session.execute(bounds)).one()
    if first is None:
        return []
    count = processes * RANGES_PER_PROCESS
    span = (last - first).days + 1
    starts = sorted({first + timedelta(days=span * i // count) for i in range(count)})
    return list(zip(starts, [*starts[1:], last + timedelta(days=1)], strict=True))


async def _aggregate(
    session: AsyncSession,
    business_id: uuid.UUID,
    currency: str,
    days: Sequence[date] | None,
) -> dict[date, dict[str, Any]]:
    """Rollup rows for `days` (None: every day), only for days with any activity."""
    rows: dict[date, dict[str, Any]] = {}

    def day_row(day: date) -> dict[str, Any]:
        if day not in rows:
            rows[day] = _empty_day(business_id, day, currency)
        return rows[day]

    c = StripeCharge
    amount = c.business_amount  # `convert_charges` brought it in line with `currency`
    # The partial index (0006) holds successful charges in (day, customer) order: the per-day
    # DISTINCT streams over presorted input instead of sorting 970k customer ids.
    charges = (
        select(
            c.day,
            func.coalesce(func.sum(amount), 0),
            func.count(),
            func.count() - func.count(amount),
            func.count(distinct(c.customer_id)),
        )
        .where(c.business_id == business_id, c.status == SUCCEEDED, *_day_filter(c, days))
        .group_by(c.day)
    )
    if days is None:
        async with ordered_aggregation(session) as processes:
            ranges = await _day_ranges(session, business_id, processes)
            statement: Executable = charges
            if len(ranges) > 1:
                statement = union_all(
                    *(charges.where(c.day >= start, c.day < end) for start, end in ranges)
                )
            charge_rows = (await session.execute(statement)).all()
    else:
        charge_rows = (await session.execute(charges)).all()
    for day, gross, count, unconverted, customers in charge_rows:
        day_row(day).update(
            gross_volume=int(gross),
            charge_count=int(count),
            unconverted_charge_count=int(unconverted),
            unique_customers=int(customers),
        )
    failed = (
        select(c.day, func.count())
        .where(c.business_id == business_id, c.status == FAILED, *_day_filter(c, days))
        .group_by(c.day)
    )
    for day, count in await session.execute(failed):
        day_row(day)["failed_charge_count"] = int(count)

    r = StripeRefund
    refunds = (
        select(
            r.day,
            func.coalesce(func.sum(stripe_service.converted_amount(r, currency)), 0),
            func.count(),
        )
        .where(
            r.business_id == business_id,
            r.status.not_in(VOID_REFUND_STATUSES),
            *_day_filter(r, days),
        )
        .group_by(r.day)
    )
    for day, refunded, count in await session.execute(refunds):
        day_row(day).update(refund_amount=int(refunded), refund_count=int(count))

    d = StripeDispute
    disputed = stripe_service.converted_amount(d, currency)
    disputes = (
        select(
            d.day,
            d.reason,
            func.count(),
            func.coalesce(func.sum(disputed), 0),
            func.coalesce(func.sum(case((d.status != "won", disputed), else_=0)), 0),
        )
        .where(
            d.business_id == business_id,
            d.status.not_in(INQUIRY_STATUSES),
            *_day_filter(d, days),
        )
        .group_by(d.day, d.reason)
    )
    for day, reason, count, total, lost in await session.execute(disputes):
        row = day_row(day)
        row["dispute_count"] += int(count)
        row["dispute_amount"] += int(total)
        row["dispute_loss_amount"] += int(lost)
        key = reason or "unknown"
        row["disputes_by_reason"][key] = row["disputes_by_reason"].get(key, 0) + int(count)

    p = StripePayout
    # Payouts are a handful a day: aggregating them here keeps the date arithmetic portable.
    payouts = select(p.day, p.status, p.amount, p.currency, p.arrival_date).where(
        p.business_id == business_id,
        p.status.in_(("paid", "failed")),
        *_day_filter(p, days),
    )
    for day, status, payout_amount, payout_currency, arrival in await session.execute(payouts):
        row = day_row(day)
        money = int(payout_amount) if payout_currency == currency else 0
        if status == "paid":
            row["payouts_paid_count"] += 1
            row["payouts_paid_amount"] += money
            if arrival is not None:
                row["payout_arrival_days"] += max(0, (arrival - day).days)
                row["payout_arrival_count"] += 1
        else:
            row["payouts_failed_count"] += 1
            row["payouts_failed_amount"] += money

    for row in rows.values():
        row["net_volume"] = row["gross_volume"] - row["refund_amount"] - row["dispute_loss_amount"]
    return rows


async def _max_versions(
    session: AsyncSession, business_id: uuid.UUID
) -> dict[str, datetime | None]:
    newest = [
        select(func.max(model.version_at))
        .where(model.business_id == business_id)
        .scalar_subquery()
        .label(name)
        for name, model in _TABLES.items()
    ]
    row = (await session.execute(select(*newest))).one()
    return dict(zip(_TABLES, row, strict=True))


async def _late_event_floor(
    session: AsyncSession, business_id: uuid.UUID, since: datetime
) -> datetime | None:
    """The oldest event time among this business's webhook events processed after `since`."""
    statement = select(func.min(StripeEvent.created)).where(
        StripeEvent.processed_at > since, StripeEvent.business_id == business_id
    )
    floor: datetime | None = (await session.execute(statement)).scalar_one()
    return floor


async def _changed_since(
    session: AsyncSession, business_id: uuid.UUID, state: Any
) -> dict[str, datetime | None]:
    """Per table: rows changed since the last run are those with a later `version_at`."""
    floor = await _late_event_floor(session, business_id, state.last_run_at - WATERMARK_MARGIN)
    since: dict[str, datetime | None] = {}
    for name in _TABLES:
        seen: datetime | None = getattr(state, f"{name}_seen_at")
        # The event's own row has version_at == floor: start just before it.
        since[name] = seen if floor is None or seen is None else min(seen, floor - _TICK)
    return since


async def _touched_days(
    session: AsyncSession, business_id: uuid.UUID, since: dict[str, datetime | None]
) -> set[date]:
    touched = []
    for name, model in _TABLES.items():
        # No DISTINCT: with it, SQLite scans by the (business_id, day) index instead.
        statement = select(model.day).where(model.business_id == business_id)
        if since[name] is not None:
            statement = statement.where(model.version_at > since[name])
        touched.append(statement)
    return set((await session.execute(union_all(*touched))).scalars())


async def _convert_changed_charges(
    session: AsyncSession,
    business_id: uuid.UUID,
    currency: str,
    state: Any,
    since: dict[str, datetime | None] | None,
) -> None:
    """Bring the charges' `business_amount` in line with `currency` before anything sums it:
    those changed since the last run, or all of them on a first run or a new currency."""
    changed_after = None
    if state is not None and state.currency == currency and since is not None:
        # None when the last run saw no charge: then every charge is new.
        changed_after = since["charges"]
    await stripe_service.convert_charge_amounts(
        session, business_id, currency, changed_after=changed_after
    )


async def convert_charges(session: AsyncSession, business_id: uuid.UUID, currency: str) -> None:
    """What `update_rollups` does first, for a caller that needs the converted amounts before
    it (and without its lock); then pass `update_rollups(..., charges_converted=True)`."""
    currency = currency.lower()
    state = (
        await session.execute(
            select(
                RollupState.currency,
                RollupState.last_run_at,
                *(getattr(RollupState, f"{name}_seen_at") for name in _TABLES),
            ).where(RollupState.business_id == business_id)
        )
    ).one_or_none()
    since = None if state is None else await _changed_since(session, business_id, state)
    await _convert_changed_charges(session, business_id, currency, state, since)


async def load_rollups(
    session: AsyncSession,
    business_id: uuid.UUID,
    *,
    start: date | None = None,
    end: date | None = None,
    days: Sequence[date] | None = None,
) -> list[DayRollup]:
    """The business's stored rollups in day order: all, those in [start, end], or `days`."""
    statement = select(*_ROLLUP_COLUMNS).where(
        DailyRollup.business_id == business_id, *_day_filter(DailyRollup, days)
    )
    if start is not None:
        statement = statement.where(DailyRollup.day >= start)
    if end is not None:
        statement = statement.where(DailyRollup.day <= end)
    result = await session.execute(statement.order_by(DailyRollup.day))
    return [DayRollup(*row) for row in result]


def _differs(old: DayRollup | None, new: dict[str, Any] | None, figures: Iterable[str]) -> bool:
    if old is None or new is None:
        return old is not None or new is not None
    return any(getattr(old, name) != new[name] for name in figures)


async def _write(
    session: AsyncSession,
    business_id: uuid.UUID,
    stored: dict[date, DayRollup],
    computed: dict[date, dict[str, Any]],
    changed: Iterable[date],
    now: datetime,
) -> None:
    """Store the changed days: bulk statements, not ORM objects (a full first run writes
    every day of history)."""
    removed: list[date] = []
    added: list[dict[str, Any]] = []
    updated: list[dict[str, Any]] = []
    for day in sorted(changed):
        new = computed.get(day)
        if new is None:
            removed.append(day)
        else:
            (updated if day in stored else added).append(new | {"computed_at": now})
    if removed:
        await session.execute(
            delete(DailyRollup).where(
                DailyRollup.business_id == business_id, DailyRollup.day.in_(removed)
            )
        )
    if added:
        await session.execute(insert(DailyRollup), added)
    if updated:
        # Bulk UPDATE by primary key (business_id, day), one statement executed per row.
        await session.execute(update(DailyRollup), updated)


async def update_rollups(
    session: AsyncSession,
    business_id: uuid.UUID,
    currency: str,
    *,
    now: datetime | None = None,
    full: bool = False,
    charges_converted: bool = False,
) -> RollupRun:
    """Bring the business's daily rollups up to date; flushes, never commits. With
    `charges_converted`, the caller has just run `convert_charges`."""
    now = now or utcnow()
    currency = currency.lower()
    # Locked, so a concurrent run for the same business waits and then finds nothing to do.
    state = await session.get(RollupState, business_id, with_for_update=True)
    # A new currency changes every amount: start over.
    full = full or state is None or state.currency != currency
    since = None
    if state is not None and not (full and charges_converted):
        since = await _changed_since(session, business_id, state)
    if not charges_converted:
        await _convert_changed_charges(session, business_id, currency, state, since)
    versions = await _max_versions(session, business_id)

    days: list[date] | None = None
    if not full:
        assert since is not None  # a state, and not a full run
        days = sorted(await _touched_days(session, business_id, since))

    computed: dict[date, dict[str, Any]] = {}
    stored: dict[date, DayRollup] = {}
    batches: list[list[date] | None] = (
        [None]
        if days is None
        else [days[i : i + DAY_BATCH] for i in range(0, len(days), DAY_BATCH)]
    )
    for batch in batches:
        computed.update(await _aggregate(session, business_id, currency, batch))
        stored.update(
            (row.day, row) for row in await load_rollups(session, business_id, days=batch)
        )

    recomputed = set(computed) | set(stored) if days is None else set(days)
    changed = {
        day for day in recomputed if _differs(stored.get(day), computed.get(day), ROLLUP_FIGURES)
    }
    customer_changed = {
        day for day in changed if _differs(stored.get(day), computed.get(day), CUSTOMER_FIGURES)
    }

    await _write(session, business_id, stored, computed, changed, now)

    ceiling = now - WATERMARK_MARGIN
    watermarks = {
        f"{name}_seen_at": None if seen is None else min(seen, ceiling)
        for name, seen in versions.items()
    }
    if state is None:
        state = RollupState(business_id=business_id, customer_cache={})
        session.add(state)
    if full:
        state.last_full_run_at = now
        state.customer_cache = {}
    for name, value in watermarks.items():
        setattr(state, name, value)
    state.currency = currency
    state.last_run_at = now
    await session.flush()
    return RollupRun(
        full=full,
        recomputed_days=frozenset(recomputed),
        changed_days=frozenset(changed),
        customer_changed_days=frozenset(customer_changed),
    )


async def first_charge_day(session: AsyncSession, business_id: uuid.UUID) -> date | None:
    """The day of the business's first successful charge (what the rollups would say)."""
    c = StripeCharge
    first: date | None = (
        await session.execute(
            select(func.min(c.day)).where(c.business_id == business_id, c.status == SUCCEEDED)
        )
    ).scalar_one()
    return first


async def first_activity_day(session: AsyncSession, business_id: uuid.UUID) -> date | None:
    """The business's first day with any rollup (a charge, refund, dispute or payout)."""
    first: date | None = (
        await session.execute(
            select(func.min(DailyRollup.day)).where(DailyRollup.business_id == business_id)
        )
    ).scalar_one()
    return first


async def top_customer_volume(
    session: AsyncSession, business_id: uuid.UUID, start: date, end: date, unit: str
) -> dict[date, int]:
    """Per `unit` (day, week or month) in [start, end], keyed by its first day: the
    successful-charge volume of its largest customer; guest charges are nobody's."""
    c = StripeCharge
    period = period_start(session, c.day, unit).label("period")
    per_customer = (
        select(period, func.sum(c.business_amount).label("volume"))
        .where(
            c.business_id == business_id,
            c.status == SUCCEEDED,
            c.customer_id.is_not(None),
            c.day >= start,
            c.day <= end,
        )
        .group_by(period, c.customer_id)
        .subquery()
    )
    statement = select(per_customer.c.period, func.max(per_customer.c.volume)).group_by(
        per_customer.c.period
    )
    return {day: int(volume or 0) for day, volume in await session.execute(statement)}


@dataclass(frozen=True)
class CustomerFigures:
    """Per-customer revenue over a window: the top customers' amounts and how many there are."""

    start: date
    end: date
    top_amounts: tuple[int, ...]  # largest first, at most five
    unique_customers: int


async def customer_figures(
    session: AsyncSession, business_id: uuid.UUID, currency: str, start: date, end: date
) -> CustomerFigures:
    """Top customers by successful-charge revenue in [start, end]; guest charges are nobody's."""
    c = StripeCharge
    revenue = func.sum(c.business_amount).label("revenue")
    # Grouped in the order of the (customer, day) partial index (0006): no hashing.
    per_customer = (
        select(revenue)
        .where(
            c.business_id == business_id,
            c.status == SUCCEEDED,
            c.customer_id.is_not(None),
            c.day >= start,
            c.day <= end,
        )
        .group_by(c.customer_id)
        .subquery()
    )
    statement = (
        select(per_customer.c.revenue, func.count().over())
        .order_by(per_customer.c.revenue.desc().nulls_last())
        .limit(5)
    )
    async with ordered_aggregation(session):
        rows = (await session.execute(statement)).all()
    return CustomerFigures(
        start=start,
        end=end,
        top_amounts=tuple(int(amount or 0) for amount, _ in rows),
        unique_customers=int(rows[0][1]) if rows else 0,
    )


async def business_ids_with_data(session: AsyncSession) -> list[uuid.UUID]:
    """Businesses that connected Stripe at some point, or already have rollups."""
    connected = select(IntegrationAccount.business_id)
    rolled_up = select(RollupState.business_id)
    result = await session.execute(connected.union(rolled_up))
    return sorted(result.scalars(), key=str)
