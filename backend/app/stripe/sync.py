"""Reading a connected account's history from the Stripe API into the normalized tables.

A sync run executes one *pass*: for each resource, the objects created in [lower, upper), where
`upper` is when the pass started. The first pass (and `full=True`) goes back to the beginning
(or STRIPE_BACKFILL_DAYS); later passes start an hour before the last pass's `upper` — or
STRIPE_REFRESH_DAYS back (disputes: 120 days), whichever is earlier, because charges, refunds,
payouts and disputes change status after they are created and an incremental read by `created`
alone would never see that without webhooks.

A pass is cut into time slices (cursors) paged concurrently, which keeps the account's rate limit
busy; each page is stored in its own transaction together with its cursor, so a crashed run
resumes exactly where it stopped, and memory stays at a few pages whatever the history's size.
"""

import asyncio
import logging
import math
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe

from app.core import observability
from app.core.db import Database, utcnow
from app.stripe import service
from app.stripe.client import PAGE_SIZE, StripeApi
from app.stripe.config import StripeConfig
from app.stripe.models import IntegrationAccount, StripeSyncCursor
from app.stripe.normalize import RowContext, Rows, project_object, rows_for

logger = logging.getLogger("vaultra.stripe.sync")

OVERLAP = timedelta(hours=1)
DISPUTE_REFRESH = timedelta(days=120)  # disputes stay open for up to ~75 days, then close
SLICE_PAGES = 10  # a split aims at cursors of about this many pages
MAX_SLICES = 16
WORKERS = 16


@dataclass(frozen=True)
class Resource:
    name: str
    expand: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)


RESOURCES = (
    Resource("charges", expand=("data.balance_transaction",)),
    Resource("refunds", expand=("data.balance_transaction",)),
    Resource("disputes"),  # their balance transactions come embedded
    Resource("payouts", expand=("data.balance_transaction", "data.failure_balance_transaction")),
    Resource("customers"),
    Resource("subscriptions", params={"status": "all"}),
)
_BY_NAME = {resource.name: resource for resource in RESOURCES}


@dataclass(frozen=True)
class SyncResult:
    # succeeded | busy (another run holds the lease) | not_connected | stopped (disconnected)
    state: str
    objects: int = 0
    pages: int = 0
    resumed: bool = False


class SyncStopped(Exception):
    """The account was disconnected, or another run took over the lease."""


async def sync_business(
    db: Database,
    config: StripeConfig,
    business_id: uuid.UUID,
    *,
    full: bool = False,
) -> SyncResult:
    run_id = str(uuid.uuid4())
    sync_pass: _Pass | None = None
    account = await _claim(db, business_id, run_id, config.sync_lease)
    if not isinstance(account, IntegrationAccount):
        observability.observe_sync(account)
        return SyncResult(account)
    renewal = asyncio.create_task(_renew_lease(db, business_id, run_id, config.sync_lease))
    try:
        async with StripeApi(config) as api:
            cursors, resumed, upper = await _plan(db, api, config, account, full=full)
            sync_pass = _Pass(db, api, account, run_id, cursors, config.sync_lease)
            await sync_pass.run()
        renewal.cancel()
        async with db.session() as session:
            if await service.finish_sync(session, business_id, run_id, synced_through=upper):
                service.notify_data_changed(session, business_id)
    except BaseException as exc:
        renewal.cancel()
        cause = _root_cause(exc)
        await asyncio.shield(_fail(db, business_id, run_id, cause, sync_pass))
        if isinstance(cause, SyncStopped):
            observability.observe_sync("stopped")
            return SyncResult("stopped")
        observability.observe_sync("failed", error_kind=_error_kind(cause))
        if cause is exc:
            raise
        raise cause from exc
    observability.observe_sync("succeeded")
    logger.info(
        "stripe sync finished",
        extra={
            "business_id": str(business_id),
            "objects": sync_pass.objects,
            "pages": sync_pass.pages,
            "resumed": resumed,
        },
    )
    return SyncResult(
        "succeeded", objects=sync_pass.objects, pages=sync_pass.pages, resumed=resumed
    )


async def _claim(
    db: Database, business_id: uuid.UUID, run_id: str, lease: timedelta
) -> IntegrationAccount | str:
    """Take the account's lease for this run, or say why not ("busy", "not_connected").

    A lease still held may belong to a run that just died (a killed worker, whose job is now
    retried): it lapses within `lease`, while a live run keeps renewing it. So a held lease is
    watched for up to one lease before the run gives up as busy.
    """
    deadline = time.monotonic() + lease.total_seconds()
    while True:
        async with db.session() as session:
            account = await service.claim_sync(session, business_id, run_id, lease=lease)
            if account is not None:
                return account
            current = await service.get_account(session, business_id)
        if current is None or current.status != service.CONNECTED:
            return "not_connected"
        if time.monotonic() >= deadline:
            return "busy"
        await asyncio.sleep(lease.total_seconds() / 6)


async def _renew_lease(db: Database, business_id: uuid.UUID, run_id: str, lease: timedelta) -> None:
    """Keep the run's lease while it lives, pages or not (a page may wait out Stripe's rate
    limit): a run whose process died loses it within `lease`, and the next run resumes."""
    while True:
        await asyncio.sleep(lease.total_seconds() / 3)
        try:
            async with db.session() as session:
                if not await service.renew_sync_lease(session, business_id, run_id, lease=lease):
                    return  # disconnected, or taken over: the next page stops the run
        except Exception:
            logger.warning("could not renew the sync lease", exc_info=True)


def _error_kind(exc: BaseException) -> str:
    """A bounded label for the failure (the message itself goes to the account's sync_error)."""
    if isinstance(exc, asyncio.CancelledError):
        return "interrupted"
    if isinstance(exc, stripe.StripeError):
        return "stripe"
    return "other"


def _root_cause(exc: BaseException) -> BaseException:
    """The first real error inside the workers' exception groups."""
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    return exc


async def _fail(
    db: Database,
    business_id: uuid.UUID,
    run_id: str,
    exc: BaseException,
    sync_pass: "_Pass | None",
) -> None:
    if sync_pass is not None:
        # Pages being written when the run stopped are stored (or not) before it is marked.
        await asyncio.gather(*sync_pass.writes, return_exceptions=True)
    if isinstance(exc, asyncio.CancelledError):
        message = "interrupted"
    elif isinstance(exc, stripe.StripeError):
        message = f"stripe: {exc.user_message or type(exc).__name__}"
    else:
        message = f"{type(exc).__name__}: {exc}"
    async with db.session() as session:
        await service.fail_sync(session, business_id, run_id, message)


async def _plan(
    db: Database,
    api: StripeApi,
    config: StripeConfig,
    account: IntegrationAccount,
    *,
    full: bool,
) -> tuple[list[StripeSyncCursor], bool, datetime]:
    """Resume the unfinished pass, or start a new one; returns (cursors to run, resumed, upper)."""
    async with db.session() as session:
        existing = await service.list_cursors(session, account.business_id)
    if existing and (account.sync_full or not full):
        return existing, True, max(cursor.created_lt for cursor in existing)
    full = full or account.synced_through is None
    upper = utcnow().replace(microsecond=0)
    cursors = [
        StripeSyncCursor(
            business_id=account.business_id,
            resource=resource.name,
            segment=0,
            created_gte=_lower_bound(resource, account, config, upper, full),
            created_lt=upper,
            starting_after=None,
            done=False,
            objects_synced=0,
        )
        for resource in RESOURCES
    ]
    async with db.session() as session:
        attached = await session.merge(account)
        await service.start_pass(session, attached, cursors, full=full)
    return cursors, False, upper


def _lower_bound(
    resource: Resource,
    account: IntegrationAccount,
    config: StripeConfig,
    upper: datetime,
    full: bool,
) -> datetime | None:
    if full or account.synced_through is None:
        return upper - timedelta(days=config.backfill_days) if config.backfill_days else None
    refresh = timedelta(days=config.refresh_days)
    if resource.name == "disputes":
        refresh = max(refresh, DISPUTE_REFRESH)
    return min(account.synced_through - OVERLAP, upper - refresh)


async def _account_created(api: StripeApi, account: str) -> datetime | None:
    """Where the account's history starts (to split open-ended ranges); None if unknown."""
    try:
        return datetime.fromtimestamp(await api.account_created(account), UTC)
    except stripe.StripeError:
        logger.warning("could not read the account's creation time", exc_info=True)
        return None


class _Pass:
    """The cursors of one pass, paged by WORKERS concurrent workers.

    A cursor's first page shows how dense its range is; when the rest would take more than
    SLICE_PAGES pages, the older part is split off into new cursors that other workers page at
    the same time. The split is saved with that page, so a resumed pass sees the same cursors.
    """

    def __init__(
        self,
        db: Database,
        api: StripeApi,
        account: IntegrationAccount,
        run_id: str,
        cursors: list[StripeSyncCursor],
        lease: timedelta,
    ) -> None:
        self.db = db
        self.api = api
        self.account = account
        self.run_id = run_id
        self.lease = lease
        self.history_start: datetime | None = None
        self.queue: asyncio.Queue[StripeSyncCursor] = asyncio.Queue()
        self.next_segment: dict[str, int] = {}
        self.open_ended = any(c.created_gte is None and not c.done for c in cursors)
        for cursor in cursors:
            next_free = max(self.next_segment.get(cursor.resource, 0), cursor.segment + 1)
            self.next_segment[cursor.resource] = next_free
            if not cursor.done:
                self.queue.put_nowait(cursor)
        self.objects = 0
        self.pages = 0
        self.writes: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        if self.open_ended:
            self.history_start = await _account_created(self.api, self.account.stripe_user_id)
        async with asyncio.TaskGroup() as group:
            workers = [group.create_task(self._worker()) for _ in range(WORKERS)]
            await self.queue.join()
            for worker in workers:
                worker.cancel()

    async def _worker(self) -> None:
        while True:
            cursor = await self.queue.get()
            await self._page_through(cursor)
            self.queue.task_done()

    async def _page_through(self, cursor: StripeSyncCursor) -> None:
        resource = _BY_NAME[cursor.resource]
        may_split = cursor.starting_after is None
        while True:
            params: dict[str, Any] = {"limit": PAGE_SIZE, "created": _created(cursor)}
            params.update(resource.params)
            if resource.expand:
                params["expand"] = list(resource.expand)
            if cursor.starting_after:
                params["starting_after"] = cursor.starting_after
            fetched_at = utcnow()
            try:
                objects, has_more = await self.api.list_page(
                    self.account.stripe_user_id, resource.name, params
                )
            except stripe.InvalidRequestError as exc:
                if exc.param != "starting_after" or cursor.starting_after is None:
                    raise
                # The cursor's object was deleted (e.g. a customer): re-read; upserts dedupe.
                cursor.starting_after = None
                continue
            done = not has_more or not objects
            split = [] if done or not may_split else self._split(cursor, objects)
            may_split = False
            if objects:
                cursor.starting_after = str(objects[-1]["id"])
            cursor.done = done
            await self._store(cursor, objects, fetched_at, split)
            for new_cursor in split:
                self.queue.put_nowait(new_cursor)
            if done:
                return

    def _split(
        self, cursor: StripeSyncCursor, objects: list[dict[str, Any]]
    ) -> list[StripeSyncCursor]:
        """Cut off the older part of the cursor's range into new cursors (maybe none)."""
        start = cursor.created_gte or self.history_start
        oldest_seen = datetime.fromtimestamp(int(objects[-1]["created"]), UTC)
        if start is None or oldest_seen <= start:
            return []
        # The page's own density: the range's top may lie far above its newest object.
        seen_span = max(1, int(objects[0]["created"]) - int(objects[-1]["created"]))
        pages_left = (oldest_seen - start).total_seconds() / seen_span * len(objects) / PAGE_SIZE
        count = min(MAX_SLICES, math.ceil(pages_left / SLICE_PAGES))
        if count < 2:
            return []
        step = (oldest_seen - start) / count
        bounds = [(start + step * i).replace(microsecond=0) for i in range(count)]
        bounds = sorted(set(bounds))
        if len(bounds) < 2:
            return []
        # The cursor keeps the newest slice; the split-off ones cover everything below it.
        lows: list[datetime | None] = [cursor.created_gte, *bounds[1:]]
        highs = [*bounds[1:], bounds[-1]]
        cursor.created_gte = bounds[-1]
        new_cursors = []
        for low, high in zip(lows[:-1], highs[:-1], strict=True):
            segment = self.next_segment[cursor.resource]
            self.next_segment[cursor.resource] = segment + 1
            new_cursors.append(
                StripeSyncCursor(
                    business_id=cursor.business_id,
                    resource=cursor.resource,
                    segment=segment,
                    created_gte=low,
                    created_lt=high,
                    starting_after=None,
                    done=False,
                    objects_synced=0,
                )
            )
        return new_cursors

    async def _store(
        self,
        cursor: StripeSyncCursor,
        objects: list[dict[str, Any]],
        fetched_at: datetime,
        split: list[StripeSyncCursor],
    ) -> None:
        context = RowContext(
            business_id=self.account.business_id,
            account_id=self.account.stripe_user_id,
            livemode=self.account.livemode,
            version_at=fetched_at,
        )
        rows: Rows = {}
        for obj in objects:
            projected = project_object(obj)
            # The refunds list brings each refund with its balance transaction expanded; the
            # copies inside a charge lack it and, being read later, would win over the full row.
            projected.pop("refunds", None)
            for table, table_rows in rows_for(projected, context).items():
                rows.setdefault(table, []).extend(table_rows)
        # A cancelled run lets the page's transaction finish: cancelling a database call midway
        # can leave a SQLite connection holding the write lock.
        write = asyncio.ensure_future(self._write(cursor, rows, len(objects), split))
        self.writes.add(write)
        write.add_done_callback(self._written)
        await asyncio.shield(write)
        observability.observe_sync_objects(cursor.resource, len(objects))
        self.objects += len(objects)
        self.pages += 1

    def _written(self, write: "asyncio.Task[None]") -> None:
        self.writes.discard(write)
        if not write.cancelled():
            write.exception()  # retrieved here too: nobody awaits it once the run was cancelled

    async def _write(
        self, cursor: StripeSyncCursor, rows: Rows, count: int, split: list[StripeSyncCursor]
    ) -> None:
        async with self.db.session() as session:
            await service.store_rows(session, rows)
            saved = await service.record_page(
                session,
                cursor,
                run_id=self.run_id,
                count=count,
                new_cursors=split,
                lease=self.lease,
            )
            if not saved:
                raise SyncStopped(f"sync of business {self.account.business_id} stopped")


def _created(cursor: StripeSyncCursor) -> dict[str, int]:
    created = {"lt": int(cursor.created_lt.timestamp())}
    if cursor.created_gte is not None:
        created["gte"] = int(cursor.created_gte.timestamp())
    return created
