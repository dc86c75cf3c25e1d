"""Daily rollups of a business's Stripe activity, kept up to date incrementally.

The Stripe data comes from `app.stripe.ledger`, its read model for metrics: the per-day
figures, in the business currency by the ledger's rule, and which rows changed since a
watermark. This module stores those figures as `DailyRollup` rows and keeps the watermarks in
`RollupState`.

Incremental: a run recomputes only the days touched by rows whose `version_at` is newer
than the table's watermark from the previous run, plus the days of rows written by webhook
events processed since then (a late-delivered event carries its older event time as
`version_at`, so the watermark alone would miss it). A run converts the charges changed since
its watermarks first (`ledger.convert_charge_amounts`), so the sums it reads are in the
business currency; a first run or a new currency converts, and recomputes, everything.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import utcnow
from app.metrics.models import DailyRollup, RollupState
from app.stripe import ledger

# Rows written this recently may still be joined by rows of transactions that started earlier
# with older versions, so the watermark never passes `now - WATERMARK_MARGIN`.
WATERMARK_MARGIN = timedelta(minutes=10)
DAY_BATCH = 500


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


def _rollup_rows(
    business_id: uuid.UUID, currency: str, figures: dict[date, dict[str, Any]]
) -> dict[date, dict[str, Any]]:
    """The ledger's per-day figures as `DailyRollup` rows, with their net volume."""
    rows = {}
    for day, row in figures.items():
        net = row["gross_volume"] - row["refund_amount"] - row["dispute_loss_amount"]
        rows[day] = row | {
            "business_id": business_id,
            "day": day,
            "currency": currency,
            "net_volume": net,
        }
    return rows


async def _changed_since(
    session: AsyncSession, business_id: uuid.UUID, state: Any
) -> dict[str, datetime | None]:
    """Per table: rows changed since the last run are those with a later `version_at`."""
    return await ledger.changed_since(
        session,
        business_id,
        {name: getattr(state, f"{name}_seen_at") for name in ledger.TABLES},
        events_processed_after=state.last_run_at - WATERMARK_MARGIN,
    )


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
    await ledger.convert_charge_amounts(session, business_id, currency, changed_after=changed_after)


async def convert_charges(session: AsyncSession, business_id: uuid.UUID, currency: str) -> None:
    """What `update_rollups` does first, for a caller that needs the converted amounts before
    it (and without its lock); then pass `update_rollups(..., charges_converted=True)`."""
    currency = currency.lower()
    state = (
        await session.execute(
            select(
                RollupState.currency,
                RollupState.last_run_at,
                *(getattr(RollupState, f"{name}_seen_at") for name in ledger.TABLES),
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
    statement = select(*_ROLLUP_COLUMNS).where(DailyRollup.business_id == business_id)
    if days is not None:
        statement = statement.where(DailyRollup.day.in_(days))
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
    versions = await ledger.newest_versions(session, business_id)

    days: list[date] | None = None
    if not full:
        assert since is not None  # a state, and not a full run
        days = sorted(await ledger.touched_days(session, business_id, since))

    computed: dict[date, dict[str, Any]] = {}
    stored: dict[date, DayRollup] = {}
    batches: list[list[date] | None] = (
        [None]
        if days is None
        else [days[i : i + DAY_BATCH] for i in range(0, len(days), DAY_BATCH)]
    )
    for batch in batches:
        figures = await ledger.day_figures(session, business_id, currency, batch)
        computed.update(_rollup_rows(business_id, currency, figures))
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


async def first_activity_day(session: AsyncSession, business_id: uuid.UUID) -> date | None:
    """The business's first day with any rollup (a charge, refund, dispute or payout)."""
    first: date | None = (
        await session.execute(
            select(func.min(DailyRollup.day)).where(DailyRollup.business_id == business_id)
        )
    ).scalar_one()
    return first


async def business_ids_with_data(session: AsyncSession) -> list[uuid.UUID]:
    """Businesses that connected Stripe at some point, or already have rollups."""
    rolled_up = await session.execute(select(RollupState.business_id))
    return sorted({*await ledger.business_ids(session), *rolled_up.scalars()}, key=str)
