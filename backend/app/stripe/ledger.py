"""The Stripe data as the metrics module reads it: one read model over the normalized tables.

Metrics are computed from the raw Stripe rows (the metrics module depends on stripe, never the
reverse). Everything metrics asks of those tables is here: the business-currency rule, the
per-day figures its daily rollups store, which days changed since its watermarks, and the
per-customer figures. `app.metrics` imports this module, never `app.stripe.models`.

Currency rule: every figure is in the business currency. A charge, refund or dispute in that
currency counts at its own amount; one in another currency counts at its settled amount (from
its balance transaction) when it settled in the business currency; anything else has no
amount: it is left out of the money figures, and such successful charges are counted in
`unconverted_charge_count` instead. For a USD business, a $10.00 charge counts 1,000; a €20.00
charge settled as $21.50 counts 2,150; a £30.00 charge settled in GBP counts nothing. Payout
amounts count only in the business currency (their counts always count).

`CONVERSION` states the rule once: `converted_amount` renders it in SQL, `row_business_amount`
for a row being stored. Charges carry the result as `business_amount`: `store_rows` sets it as
rows arrive, `convert_charge_amounts` corrects what it could not know, and the big aggregations
sum that one column instead of applying the rule row by row (at 1M charges, 497-571 → 306-326
ms of CPU for the per-day rollup; bench/README.md, Metrics).

The indexes these queries rely on are declared with the tables in `app.stripe.models`:
- `ix_stripe_charges_succeeded_day_customer` and `ix_stripe_charges_succeeded_customer_day`
  (migrations 0006, 0007): successful charges in (day, customer) and (customer, day) order,
  covering `business_amount` on PostgreSQL, so per-day unique customers and per-customer
  revenue stream from an index-only scan without sorting or hashing;
- `ix_stripe_charges_failed_day`: failed charges per day;
- `ix_stripe_{charges,refunds,disputes,payouts}_business_version` (0003): the rows changed
  since a watermark, without scanning the business's whole history;
- `ix_stripe_{charges,refunds,disputes,payouts}_business_day`: the days of an incremental run.
Statuses are inline literals: a generic plan could not match a parameter to a partial index.
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    Executable,
    case,
    distinct,
    func,
    literal_column,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from app.core.db import ordered_aggregation, period_start
from app.stripe.models import (
    IntegrationAccount,
    StripeCharge,
    StripeDispute,
    StripeEvent,
    StripePayout,
    StripeRefund,
)

# The rule, in order: the first (currency, amount) pair whose currency is the business's wins.
CONVERSION = (("currency", "amount"), ("settled_currency", "settled_amount"))
# The tables whose rows make the daily figures, by the names the watermarks use.
_MODELS: dict[str, Any] = {
    "charges": StripeCharge,
    "refunds": StripeRefund,
    "disputes": StripeDispute,
    "payouts": StripePayout,
}
TABLES = tuple(_MODELS)
# Inquiries (Stripe's "warning_*" disputes) move no money and are not chargebacks.
INQUIRY_STATUSES = ("warning_needs_response", "warning_under_review", "warning_closed")
VOID_REFUND_STATUSES = ("failed", "canceled")
SUCCEEDED: ColumnElement[str] = literal_column("'succeeded'")
FAILED: ColumnElement[str] = literal_column("'failed'")
RANGES_PER_PROCESS = 2
_TICK = timedelta(microseconds=1)
# What `day_figures` gives each day with any activity, in the business currency.
DAY_FIGURES = (
    "gross_volume",
    "charge_count",
    "failed_charge_count",
    "unconverted_charge_count",
    "unique_customers",
    "refund_amount",
    "refund_count",
    "dispute_count",
    "dispute_amount",
    "dispute_loss_amount",
    "disputes_by_reason",
    "payouts_paid_count",
    "payouts_paid_amount",
    "payouts_failed_count",
    "payouts_failed_amount",
    "payout_arrival_days",
    "payout_arrival_count",
)


# --- the currency rule ------------------------------------------------------------------------


def converted_amount(model: Any, currency: str) -> ColumnElement[Any]:
    """A money row's amount in `currency` (`CONVERSION`), NULL when it has none."""
    return case(
        *((getattr(model, key) == currency, getattr(model, amount)) for key, amount in CONVERSION),
        else_=None,
    )


def row_business_amount(row: Mapping[str, Any], currency: str) -> tuple[bool, int | None]:
    """`converted_amount` for a row about to be stored: (known, amount). Not known when the row
    leaves out a currency the rule reaches (a webhook's charge in another currency without its
    balance transaction): the stored settlement may convert."""
    for key, amount in CONVERSION:
        if key not in row:
            return False, None
        if row[key] == currency:
            return True, row.get(amount)
    return True, None


async def convert_charge_amounts(
    session: AsyncSession,
    business_id: uuid.UUID,
    currency: str,
    *,
    changed_after: datetime | None = None,
) -> int:
    """Set `business_amount` wherever it disagrees with `currency`, among the charges changed
    after `changed_after` (all when None); returns how many were corrected.

    `store_rows` sets it as rows arrive; this catches what it could not know: a charge whose
    row arrived without its settlement, one written while the business currency changed, and
    every charge after such a change."""
    c = StripeCharge
    amount = converted_amount(c, currency.lower())
    statement = (
        update(c)
        .where(c.business_id == business_id, c.business_amount.is_distinct_from(amount))
        .values(business_amount=amount)
        .execution_options(synchronize_session=False)
    )
    if changed_after is not None:
        statement = statement.where(c.version_at > changed_after)
    result = cast("CursorResult[Any]", await session.execute(statement))
    return result.rowcount


# --- per-day figures --------------------------------------------------------------------------


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


def _empty_day() -> dict[str, Any]:
    figures: dict[str, Any] = dict.fromkeys(DAY_FIGURES, 0)
    figures["disputes_by_reason"] = {}
    return figures


async def day_figures(
    session: AsyncSession,
    business_id: uuid.UUID,
    currency: str,
    days: Sequence[date] | None,
) -> dict[date, dict[str, Any]]:
    """`DAY_FIGURES` for `days` (None: every day), only for days with any activity. Charges
    are summed by `business_amount`: run `convert_charge_amounts` for `currency` first.

    Refunds and disputes count on the day they were created, not on their charge's day.
    """
    rows: dict[date, dict[str, Any]] = {}

    def day_row(day: date) -> dict[str, Any]:
        if day not in rows:
            rows[day] = _empty_day()
        return rows[day]

    c = StripeCharge
    amount = c.business_amount
    # The (day, customer) partial index holds successful charges presorted: the per-day
    # DISTINCT streams over it instead of sorting 970k customer ids.
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
            func.coalesce(func.sum(converted_amount(r, currency)), 0),
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
    disputed = converted_amount(d, currency)
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
    return rows


# --- what changed since a watermark -----------------------------------------------------------


async def newest_versions(
    session: AsyncSession, business_id: uuid.UUID
) -> dict[str, datetime | None]:
    """Per table (`TABLES`): the newest `version_at` of the business's rows, in one row of
    scalar subqueries."""
    newest = [
        select(func.max(model.version_at))
        .where(model.business_id == business_id)
        .scalar_subquery()
        .label(name)
        for name, model in _MODELS.items()
    ]
    row = (await session.execute(select(*newest))).one()
    return dict(zip(TABLES, row, strict=True))


async def _late_event_floor(
    session: AsyncSession, business_id: uuid.UUID, since: datetime
) -> datetime | None:
    """The oldest event time among this business's webhook events processed after `since`."""
    statement = select(func.min(StripeEvent.created)).where(
        StripeEvent.processed_at > since, StripeEvent.business_id == business_id
    )
    floor: datetime | None = (await session.execute(statement)).scalar_one()
    return floor


async def changed_since(
    session: AsyncSession,
    business_id: uuid.UUID,
    seen: Mapping[str, datetime | None],
    *,
    events_processed_after: datetime,
) -> dict[str, datetime | None]:
    """Per table, the `version_at` after which its rows changed: the newest version `seen`
    last time, moved back to the oldest event time among the webhook events processed after
    `events_processed_after` (a late-delivered event carries its older event time as
    `version_at`, so the watermark alone would miss it). None: every row."""
    floor = await _late_event_floor(session, business_id, events_processed_after)
    since: dict[str, datetime | None] = {}
    for name in TABLES:
        newest = seen[name]
        # The event's own row has version_at == floor: start just before it.
        since[name] = newest if floor is None or newest is None else min(newest, floor - _TICK)
    return since


async def touched_days(
    session: AsyncSession, business_id: uuid.UUID, since: Mapping[str, datetime | None]
) -> set[date]:
    """The days of the rows changed after `since` (per table; None: every row), in one query."""
    touched = []
    for name, model in _MODELS.items():
        # No DISTINCT: with it, SQLite scans by the (business_id, day) index instead.
        statement = select(model.day).where(model.business_id == business_id)
        if since[name] is not None:
            statement = statement.where(model.version_at > since[name])
        touched.append(statement)
    return set((await session.execute(union_all(*touched))).scalars())


# --- charges and customers --------------------------------------------------------------------


async def first_charge_day(session: AsyncSession, business_id: uuid.UUID) -> date | None:
    """The day of the business's first successful charge (what the rollups would say)."""
    c = StripeCharge
    first: date | None = (
        await session.execute(
            select(func.min(c.day)).where(c.business_id == business_id, c.status == SUCCEEDED)
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
    """Top customers by successful-charge revenue in [start, end]; guest charges are nobody's.
    `currency` is the one `business_amount` was converted to."""
    c = StripeCharge
    revenue = func.sum(c.business_amount).label("revenue")
    # Grouped in the order of the (customer, day) partial index: no hashing.
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


async def business_ids(session: AsyncSession) -> list[uuid.UUID]:
    """Businesses that connected Stripe at some point (the account row outlives a disconnect)."""
    result = await session.execute(select(IntegrationAccount.business_id))
    return sorted(result.scalars(), key=str)
