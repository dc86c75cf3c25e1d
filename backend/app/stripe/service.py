"""Connected accounts, normalized Stripe rows, stored events and sync bookkeeping.

Services flush; the caller's unit of work commits.
"""

import math
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, case, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import Base, insert_for, upsert, utcnow
from app.core.observability import OperationalState
from app.jobs.names import REFRESH_BUSINESS, STRIPE_SYNC_BUSINESS
from app.jobs.queue import enqueue_after_commit
from app.jobs.registry import JOBS
from app.stripe import ledger
from app.stripe.exceptions import (
    AccountLinkedElsewhere,
    AnotherAccountConnected,
    StripeNotConnected,
    SyncRequestedRecently,
)
from app.stripe.models import (
    IntegrationAccount,
    StripeBalanceTransaction,
    StripeCharge,
    StripeCustomer,
    StripeDispute,
    StripeEvent,
    StripePayout,
    StripeRefund,
    StripeSubscription,
    StripeSyncCursor,
)
from app.stripe.normalize import Rows
from app.stripe.schemas import StripeStatus, SyncState, SyncStatus
from app.users import service as users_service

CONNECTED = "connected"
DISCONNECTED = "disconnected"
# "Sync now" at most this often per business: a sync pass reads every resource's recent pages,
# and the 15-minute schedule already keeps the data fresh.
SYNC_REQUEST_INTERVAL = timedelta(seconds=60)
OBJECT_TABLES: tuple[type[Base], ...] = (
    StripeCharge,
    StripeRefund,
    StripeDispute,
    StripePayout,
    StripeBalanceTransaction,
    StripeCustomer,
    StripeSubscription,
)
_OBJECT_KEY = ("business_id", "stripe_id")


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


# --- connected accounts -----------------------------------------------------------------------


async def get_account(session: AsyncSession, business_id: uuid.UUID) -> IntegrationAccount | None:
    result = await session.execute(
        select(IntegrationAccount).where(IntegrationAccount.business_id == business_id)
    )
    return result.scalar_one_or_none()


async def get_account_by_stripe_id(
    session: AsyncSession, stripe_user_id: str
) -> IntegrationAccount | None:
    result = await session.execute(
        select(IntegrationAccount).where(IntegrationAccount.stripe_user_id == stripe_user_id)
    )
    return result.scalar_one_or_none()


async def is_connected(session: AsyncSession, business_id: uuid.UUID) -> bool:
    account = await get_account(session, business_id)
    return account is not None and account.status == CONNECTED


async def connected_business_ids(session: AsyncSession) -> list[uuid.UUID]:
    result = await session.execute(
        select(IntegrationAccount.business_id)
        .where(IntegrationAccount.status == CONNECTED)
        .order_by(IntegrationAccount.connected_at)
    )
    return list(result.scalars())


async def link_account(
    session: AsyncSession,
    business_id: uuid.UUID,
    *,
    stripe_user_id: str,
    livemode: bool,
    scope: str | None,
) -> IntegrationAccount:
    """Record the business's connected account. Reconnecting the same account is a no-op.

    An account connected to another business is refused. Replacing a disconnected account
    with a different one deletes the old account's rows, so two merchants' histories never mix.
    """
    elsewhere = await get_account_by_stripe_id(session, stripe_user_id)
    if elsewhere is not None and elsewhere.business_id != business_id:
        if elsewhere.status == CONNECTED:
            raise AccountLinkedElsewhere()
        # Disconnected from the other business: the link moves; that business keeps its rows.
        await session.delete(elsewhere)
        await session.flush()
    account = await get_account(session, business_id)
    if account is not None and account.stripe_user_id != stripe_user_id:
        if account.status == CONNECTED:
            raise AnotherAccountConnected()
        await delete_synced_data(session, business_id)
        await session.delete(account)
        await session.flush()
        account = None
    now = utcnow()
    if account is None:
        account = IntegrationAccount(
            business_id=business_id, stripe_user_id=stripe_user_id, connected_at=now
        )
        session.add(account)
    elif account.status != CONNECTED:
        account.connected_at = now
    account.status = CONNECTED
    account.disconnected_at = None
    account.livemode = livemode
    account.scope = scope
    if account.sync_state != "running":
        account.sync_state = "queued"
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        # Another request linked the same account at the same moment.
        raise AccountLinkedElsewhere() from exc
    return account


async def mark_disconnected(
    session: AsyncSession, account: IntegrationAccount, *, at: datetime | None = None
) -> None:
    """Stop syncing the account. Its rows are kept (history for readiness; a reconnect resumes)."""
    account.status = DISCONNECTED
    account.disconnected_at = at or utcnow()
    if account.sync_state in ("queued", "running"):
        account.sync_state = "idle"
    account.sync_run_id = None
    account.sync_lease_until = None
    await session.flush()


# For notifications: a sync failing for a day, and access revoked from Stripe's side.
DEAUTHORIZED_EVENT = "account.application.deauthorized"


async def sync_failing_since(session: AsyncSession, business_id: uuid.UUID) -> datetime | None:
    """Since when the connected account's syncs have failed (its last success, else its
    connection), while the latest sync failed; None when it is not failing."""
    account = await get_account(session, business_id)
    if account is None or account.status != CONNECTED or account.sync_state != "failed":
        return None
    return account.last_synced_at or account.connected_at


async def revoked_by_stripe_at(session: AsyncSession, business_id: uuid.UUID) -> datetime | None:
    """When Stripe said (account.application.deauthorized) that the business's account
    revoked Vaultra's access, if the account is disconnected because of it; None otherwise
    (connected, or disconnected by a member from Vaultra)."""
    account = await get_account(session, business_id)
    if account is None or account.status != DISCONNECTED:
        return None
    result = await session.execute(
        select(func.max(StripeEvent.created)).where(
            StripeEvent.business_id == business_id,
            StripeEvent.type == DEAUTHORIZED_EVENT,
            StripeEvent.processed_at.is_not(None),
            StripeEvent.created >= account.connected_at,
        )
    )
    revoked: datetime | None = result.scalar_one_or_none()
    return revoked


async def delete_synced_data(session: AsyncSession, business_id: uuid.UUID) -> None:
    models: tuple[type[Base], ...] = (*OBJECT_TABLES, StripeSyncCursor)
    for model in models:
        table = _table(model)
        await session.execute(delete(table).where(table.c.business_id == business_id))


async def get_status(session: AsyncSession, business_id: uuid.UUID) -> StripeStatus:
    account = await get_account(session, business_id)
    if account is None:
        idle = SyncStatus(
            state="idle",
            full=False,
            started_at=None,
            finished_at=None,
            objects_synced=0,
            error=None,
        )
        return StripeStatus(
            connected=False,
            account_id=None,
            livemode=None,
            connected_at=None,
            last_synced_at=None,
            sync=idle,
        )
    state: SyncState = account.sync_state  # type: ignore[assignment]
    if state == "running" and (account.sync_lease_until or utcnow()) < utcnow():
        state = "interrupted"  # the run died; the next one resumes where it stopped
    return StripeStatus(
        connected=account.status == CONNECTED,
        account_id=account.stripe_user_id,
        livemode=account.livemode,
        connected_at=account.connected_at,
        last_synced_at=account.last_synced_at,
        sync=SyncStatus(
            state=state,
            full=account.sync_full,
            started_at=account.sync_started_at,
            finished_at=account.sync_finished_at,
            objects_synced=account.sync_objects,
            error=account.sync_error,
        ),
    )


def sync_job_key(business_id: uuid.UUID | str, *, full: bool) -> str:
    """One queued sync per business and kind: a full pass is never folded into an incremental."""
    return f"stripe-sync:{business_id}:{'full' if full else 'incremental'}"


def enqueue_sync(session: AsyncSession, business_id: uuid.UUID, *, full: bool = False) -> None:
    enqueue_after_commit(
        session,
        STRIPE_SYNC_BUSINESS,
        job_key=sync_job_key(business_id, full=full),
        business_id=str(business_id),
        full=full,
    )


async def request_sync(
    session: AsyncSession, business_id: uuid.UUID, *, now: datetime | None = None
) -> None:
    """ "Sync now": an incremental sync is queued (after commit), at most once per
    `SYNC_REQUEST_INTERVAL` per business; an earlier ask is refused with the seconds left.

    One conditional UPDATE takes the slot, so two API processes asked at the same instant
    queue one sync, not two. The state reads `queued` at once (unless a run is going), so a
    status poll shows the sync coming before the job starts.
    """
    now = now or utcnow()
    running = (IntegrationAccount.sync_state == "running") & (
        IntegrationAccount.sync_lease_until >= now
    )
    result = await session.execute(
        update(IntegrationAccount)
        .where(
            IntegrationAccount.business_id == business_id,
            IntegrationAccount.status == CONNECTED,
            IntegrationAccount.sync_requested_at.is_(None)
            | (IntegrationAccount.sync_requested_at <= now - SYNC_REQUEST_INTERVAL),
        )
        .values(
            sync_requested_at=now,
            sync_state=case((running, "running"), else_="queued"),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        enqueue_sync(session, business_id)
        return
    account = await get_account(session, business_id)
    if account is None or account.status != CONNECTED:
        raise StripeNotConnected()
    await session.refresh(account)
    wait = (account.sync_requested_at or now) + SYNC_REQUEST_INTERVAL - now
    seconds = math.ceil(wait.total_seconds())
    raise SyncRequestedRecently(
        f"A sync was asked for less than a minute ago. Try again in {seconds} s.",
        retry_after=seconds,
    )


def notify_data_changed(session: AsyncSession, business_id: uuid.UUID) -> None:
    """After commit, ask the metrics module to recompute (it debounces per business)."""
    if REFRESH_BUSINESS in JOBS:
        enqueue_after_commit(
            session,
            REFRESH_BUSINESS,
            job_key=f"refresh:{business_id}",
            business_id=str(business_id),
        )


# --- normalized rows --------------------------------------------------------------------------


async def _with_business_amounts(
    session: AsyncSession, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    currencies: dict[uuid.UUID, str | None] = {}
    converted = []
    for row in rows:
        business_id = row["business_id"]
        if business_id not in currencies:
            business = await users_service.get_business(session, business_id)
            currencies[business_id] = business.currency.lower() if business else None
        currency = currencies[business_id]
        known, amount = ledger.row_business_amount(row, currency) if currency else (False, None)
        converted.append(row | {"business_amount": amount} if known else row)
    return converted


async def store_rows(session: AsyncSession, rows: Rows) -> None:
    """Upsert by Stripe id; a row's newer state (by `version_at`) is never overwritten.

    Rows that leave a fact out (e.g. a webhook's unexpanded balance transaction) keep the stored
    value of that column rather than nulling it. Charges get their `business_amount` by the
    ledger's currency rule (`ledger.row_business_amount`) where the row says enough to apply it.
    """
    for table, table_rows in rows.items():
        if table is StripeCharge:
            table_rows = await _with_business_amounts(session, table_rows)
        groups: dict[frozenset[str], list[dict[str, Any]]] = {}
        for row in _newest_per_key(table_rows):
            groups.setdefault(frozenset(row), []).append(row)
        for columns, group in groups.items():
            await upsert(
                session,
                table.__table__,
                group,
                conflict_columns=_OBJECT_KEY,
                update_columns=sorted(columns.difference(_OBJECT_KEY)),
                only_if_newer="version_at",
            )


def _newest_per_key(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    # PostgreSQL refuses to update a row twice in one statement, and rows may be batched.
    newest: dict[Any, dict[str, Any]] = {}
    for row in rows:
        key = (row["business_id"], row["stripe_id"])
        if key not in newest or newest[key]["version_at"] <= row["version_at"]:
            newest[key] = row
    return list(newest.values())


# --- webhook events ---------------------------------------------------------------------------


async def store_events(
    session: AsyncSession, events: Sequence[tuple[dict[str, Any], datetime]]
) -> dict[str, uuid.UUID | None]:
    """Store verified (minimized) events, each once, with the business that connected its
    account; `events` are (payload, created) with distinct ids.

    Returns the events stored now (duplicate deliveries are left out), by event id, with that
    business. An event no connected business owns is stored as handled: a later connection's
    backfill reads everything from the API anyway. Two statements whatever the number of
    events: the owners of their accounts, then one multi-row INSERT … ON CONFLICT DO NOTHING.
    """
    accounts = {payload["account"] for payload, _ in events if payload.get("account")}
    owners: dict[str, uuid.UUID] = {}
    if accounts:
        result = await session.execute(
            select(IntegrationAccount.stripe_user_id, IntegrationAccount.business_id).where(
                IntegrationAccount.stripe_user_id.in_(accounts),
                IntegrationAccount.status == CONNECTED,
            )
        )
        owners = dict(result.all())
    now = utcnow()
    rows = []
    for payload, created in events:
        owner = owners.get(payload.get("account") or "")
        rows.append(
            {
                "id": uuid.uuid4(),
                "event_id": payload["id"],
                "account_id": payload.get("account"),
                "business_id": owner,
                "type": payload["type"],
                "livemode": bool(payload.get("livemode")),
                "created": created,
                "payload": payload,
                "received_at": now,
                "processed_at": None if owner else now,
                "attempts": 0,
            }
        )
    table = _table(StripeEvent)
    statement = (
        insert_for(session, table)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(table.c.event_id)
    )
    stored = set((await session.execute(statement, rows)).scalars())
    return {row["event_id"]: row["business_id"] for row in rows if row["event_id"] in stored}


async def get_event(session: AsyncSession, event_id: str) -> StripeEvent | None:
    result = await session.execute(select(StripeEvent).where(StripeEvent.event_id == event_id))
    return result.scalar_one_or_none()


async def mark_event_processed(session: AsyncSession, event: StripeEvent) -> None:
    event.processed_at = utcnow()
    event.attempts += 1
    event.last_error = None
    await session.flush()


async def record_event_failure(session: AsyncSession, event_id: str, error: str) -> None:
    await session.execute(
        update(StripeEvent)
        .where(StripeEvent.event_id == event_id)
        .values(attempts=StripeEvent.attempts + 1, last_error=error[:500])
    )


async def pending_events(
    session: AsyncSession,
    *,
    business_id: uuid.UUID | None,
    received_before: datetime | None,
    max_attempts: int,
    limit: int,
) -> list[tuple[str, uuid.UUID | None]]:
    """(event id, business) of stored events not yet handled, oldest first."""
    query = select(StripeEvent.event_id, StripeEvent.business_id).where(
        StripeEvent.processed_at.is_(None), StripeEvent.attempts < max_attempts
    )
    if business_id is not None:
        query = query.where(StripeEvent.business_id == business_id)
    if received_before is not None:
        query = query.where(StripeEvent.received_at < received_before)
    result = await session.execute(
        query.order_by(StripeEvent.created, StripeEvent.received_at).limit(limit)
    )
    return [(row.event_id, row.business_id) for row in result]


# --- sync bookkeeping -------------------------------------------------------------------------


async def claim_sync(
    session: AsyncSession, business_id: uuid.UUID, run_id: str, *, lease: timedelta
) -> IntegrationAccount | None:
    """Take the account's sync lease; None when it is not connected or another run holds it."""
    now = utcnow()
    result = await session.execute(
        update(IntegrationAccount)
        .where(
            IntegrationAccount.business_id == business_id,
            IntegrationAccount.status == CONNECTED,
            (IntegrationAccount.sync_run_id.is_(None))
            | (IntegrationAccount.sync_lease_until < now),
        )
        .values(
            sync_run_id=run_id,
            sync_lease_until=now + lease,
            sync_state="running",
            sync_started_at=now,
            sync_finished_at=None,
            sync_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    account = await get_account(session, business_id)
    if account is not None:
        await session.refresh(account)
    return account


async def renew_sync_lease(
    session: AsyncSession, business_id: uuid.UUID, run_id: str, *, lease: timedelta
) -> bool:
    """Extend the run's lease; False once the run no longer holds it."""
    result = await session.execute(
        update(IntegrationAccount)
        .where(
            IntegrationAccount.business_id == business_id,
            IntegrationAccount.sync_run_id == run_id,
            IntegrationAccount.status == CONNECTED,
        )
        .values(sync_lease_until=utcnow() + lease)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def list_cursors(session: AsyncSession, business_id: uuid.UUID) -> list[StripeSyncCursor]:
    result = await session.execute(
        select(StripeSyncCursor)
        .where(StripeSyncCursor.business_id == business_id)
        .order_by(StripeSyncCursor.resource, StripeSyncCursor.segment)
    )
    return list(result.scalars())


async def start_pass(
    session: AsyncSession,
    account: IntegrationAccount,
    cursors: Sequence[StripeSyncCursor],
    *,
    full: bool,
) -> None:
    """Replace any unfinished pass with a new one made of `cursors`."""
    await session.execute(
        delete(StripeSyncCursor).where(StripeSyncCursor.business_id == account.business_id)
    )
    session.add_all(cursors)
    account.sync_full = full
    account.sync_objects = 0
    await session.flush()


async def record_page(
    session: AsyncSession,
    cursor: StripeSyncCursor,
    *,
    run_id: str,
    count: int,
    new_cursors: Sequence[StripeSyncCursor],
    lease: timedelta,
) -> bool:
    """Save a cursor's position (and the cursors split off it) with its stored page, and renew
    the lease; False when this run must stop (disconnected, or the lease was lost)."""
    result = await session.execute(
        update(IntegrationAccount)
        .where(
            IntegrationAccount.business_id == cursor.business_id,
            IntegrationAccount.sync_run_id == run_id,
            IntegrationAccount.status == CONNECTED,
        )
        .values(
            sync_lease_until=utcnow() + lease,
            sync_objects=IntegrationAccount.sync_objects + count,
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    await session.execute(
        update(StripeSyncCursor)
        .where(
            StripeSyncCursor.business_id == cursor.business_id,
            StripeSyncCursor.resource == cursor.resource,
            StripeSyncCursor.segment == cursor.segment,
        )
        .values(
            created_gte=cursor.created_gte,
            starting_after=cursor.starting_after,
            done=cursor.done,
            objects_synced=StripeSyncCursor.objects_synced + count,
            updated_at=utcnow(),
        )
    )
    session.add_all(new_cursors)
    await session.flush()
    return True


async def finish_sync(
    session: AsyncSession, business_id: uuid.UUID, run_id: str, *, synced_through: datetime
) -> bool:
    now = utcnow()
    result = await session.execute(
        update(IntegrationAccount)
        .where(
            IntegrationAccount.business_id == business_id,
            IntegrationAccount.sync_run_id == run_id,
        )
        .values(
            sync_state="succeeded",
            sync_finished_at=now,
            last_synced_at=now,
            synced_through=synced_through,
            sync_run_id=None,
            sync_lease_until=None,
            sync_error=None,
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    await session.execute(
        delete(StripeSyncCursor).where(StripeSyncCursor.business_id == business_id)
    )
    return True


async def fail_sync(session: AsyncSession, business_id: uuid.UUID, run_id: str, error: str) -> None:
    """Release the lease and keep the cursors: the next run resumes the pass."""
    await session.execute(
        update(IntegrationAccount)
        .where(
            IntegrationAccount.business_id == business_id,
            IntegrationAccount.sync_run_id == run_id,
        )
        .values(
            sync_state="failed",
            sync_finished_at=utcnow(),
            sync_error=error[:500],
            sync_run_id=None,
            sync_lease_until=None,
        )
    )


async def count_rows(session: AsyncSession, business_id: uuid.UUID) -> dict[str, int]:
    """Rows per table for a business (the CLI's summary)."""
    counts: dict[str, int] = {}
    for model in OBJECT_TABLES:
        table = _table(model)
        result = await session.execute(
            select(func.count()).select_from(table).where(table.c.business_id == business_id)
        )
        counts[table.name] = int(result.scalar_one())
    return counts


async def delete_business_data(session: AsyncSession, business_id: uuid.UUID) -> None:
    """Every Stripe row of a business (teams' business deletion; Stripe access is revoked first
    with `oauth.revoke_access`): normalized objects, sync cursors, webhook events (by business,
    and by the account's id for events stored before the account was linked) and the account."""
    await delete_synced_data(session, business_id)
    account = await get_account(session, business_id)
    events = _table(StripeEvent)
    await session.execute(delete(events).where(events.c.business_id == business_id))
    if account is not None:
        await session.execute(delete(events).where(events.c.account_id == account.stripe_user_id))
        await session.delete(account)
    await session.flush()


# --- operations (the gauges of app/core/observability.py) -----------------------------------

# A sync runs every 15 minutes (app/jobs/schedule.py): an hour is four missed runs.
SYNC_STALE_AFTER = timedelta(hours=1)


async def operational_state(session: AsyncSession, *, max_attempts: int) -> OperationalState:
    """Counts for the operators' gauges: the oldest event still to apply (one that used up its
    `max_attempts` no longer waits), and connected businesses by sync state and staleness. A
    business never synced counts from its connection, so a first backfill stuck for an hour
    shows too. Counts only: no business id leaves this function."""
    now = utcnow()
    oldest_event = (
        await session.execute(
            select(func.min(StripeEvent.received_at)).where(
                StripeEvent.processed_at.is_(None), StripeEvent.attempts < max_attempts
            )
        )
    ).scalar_one()
    connected = IntegrationAccount.status == CONNECTED
    by_state = {
        str(state): int(count)
        for state, count in await session.execute(
            select(IntegrationAccount.sync_state, func.count())
            .where(connected)
            .group_by(IntegrationAccount.sync_state)
        )
    }
    last_success = func.coalesce(IntegrationAccount.last_synced_at, IntegrationAccount.connected_at)
    stale, oldest_success = (
        await session.execute(
            select(
                func.count().filter(last_success < now - SYNC_STALE_AFTER),
                func.min(last_success),
            ).where(connected)
        )
    ).one()
    return OperationalState(
        oldest_unprocessed_event_seconds=_age(now, oldest_event),
        businesses_by_sync_state=by_state,
        stale_businesses=int(stale or 0),
        oldest_success_age_seconds=_age(now, oldest_success),
    )


def _age(now: datetime, then: datetime | None) -> float:
    if then is None:
        return 0.0
    if then.tzinfo is None:  # min() of a timestamp column comes back naive on SQLite
        then = then.replace(tzinfo=UTC)
    return max((now - then).total_seconds(), 0.0)
