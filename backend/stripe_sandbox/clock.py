"""The sandbox clock: `advance` moves it and plays out what happens meanwhile."""

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio

from stripe_sandbox import store
from stripe_sandbox.config import SandboxConfig
from stripe_sandbox.generate import Writes, direct_sink, merchant_runtime, progress
from stripe_sandbox.merchants import MERCHANTS
from stripe_sandbox.simulate import DAY, HOUR, SimState, open_disputes
from stripe_sandbox.webhooks import deliver


@dataclass(frozen=True)
class AdvanceResult:
    now: datetime  # the clock after the move
    events_created: int
    delivered: int  # webhook deliveries that got a 2xx (after retries)
    failed: int  # events whose every delivery attempt failed
    objects_created: dict[str, int]  # new objects by type (charge, refund, ...)


@dataclass
class _Moved:
    now: int
    events_created: int
    objects_created: dict[str, int]
    deliveries: list[str]  # event JSON for connected accounts, oldest first


def _move(config: SandboxConfig, days: float) -> _Moved:
    """One write transaction: every generated merchant lives through the interval."""
    with store.open_db(config) as conn, store.transaction(conn):
        new_now = store.get_now(conn) + round(days * DAY)
        connected = store.connected_accounts(conn)
        moved = _Moved(new_now, 0, {}, [])
        outbox: list[tuple[int, str, str]] = []
        for key, state in store.ready_merchants(conn):
            merchant = merchant_runtime(conn, config, key)
            sim = SimState.loads(state)
            writes = Writes(merchant, emit=True, sink=direct_sink(conn))
            progress(conn, merchant, sim, new_now, writes)
            writes.flush()
            store.save_merchant_state(conn, key, sim.dumps())
            moved.events_created += len(writes.events)
            for obj_type, count in writes.created.items():
                moved.objects_created[obj_type] = moved.objects_created.get(obj_type, 0) + count
            if merchant.account in connected:  # Connect webhooks reach only connected platforms
                outbox += writes.events
        store.set_now(conn, new_now)
    moved.deliveries = [body for _created, _id, body in sorted(outbox)]
    return moved


async def advance(config: SandboxConfig, days: float) -> AdvanceResult:
    """Move the clock by `days`, generate every generated merchant's activity in the interval,
    record its events and deliver those of connected accounts to `config.webhook_url`."""
    if days < 0:
        raise ValueError("the sandbox clock only moves forward")
    moved = await anyio.to_thread.run_sync(_move, config, days)
    delivered = failed = 0
    if config.webhook_url and moved.deliveries:
        report = await deliver(config.webhook_url, config.webhook_secret, moved.deliveries)
        delivered, failed = report.delivered, report.failed
    return AdvanceResult(
        now=datetime.fromtimestamp(moved.now, UTC),
        events_created=moved.events_created,
        delivered=delivered,
        failed=failed,
        objects_created=moved.objects_created,
    )


# --- disputes on demand (`vaultra sandbox dispute`) -------------------------------------------

MAX_DISPUTES = 100


class DisputeRefused(ValueError):
    """An unknown or not yet generated merchant, or a count out of range."""


@dataclass(frozen=True)
class DisputeResult:
    at: datetime  # when the disputes were opened
    disputes: list[str]  # the new disputes' ids (fewer than asked if charges ran out)
    events_created: int
    delivered: int
    failed: int
    connected: bool  # only a connected account's events are delivered


def _dispute_time(now: int, last_month: bool) -> int:
    """The clock, or with `last_month` the last hour of the calendar month before the app's
    "today" (the later of the wall clock and the sandbox clock, as app.stripe.config.data_now),
    which is the month the app's "last month" dispute ratio counts; never after the clock."""
    if not last_month:
        return now
    today = datetime.fromtimestamp(max(now, int(time.time())), UTC)
    month_start = today.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return min(now, int(month_start.timestamp()) - HOUR)


def _open(
    config: SandboxConfig, key: str, count: int, last_month: bool
) -> tuple[int, list[str], int, list[str], bool]:
    """One write transaction: the disputes, their charges' new versions, their events."""
    if key not in {m.key for m in MERCHANTS}:
        known = ", ".join(m.key for m in MERCHANTS)
        raise DisputeRefused(f"unknown sample merchant {key!r} (known: {known})")
    if not 1 <= count <= MAX_DISPUTES:
        raise DisputeRefused(f"count must be between 1 and {MAX_DISPUTES}, got {count}")
    with store.open_db(config) as conn, store.transaction(conn):
        status = store.merchant_status(conn, key)
        if status is None or status[0] != "ready" or status[1] is None:
            raise DisputeRefused(
                f"sample merchant {key!r} is not generated in {config.db_path} yet:"
                " connect it (or generate it) first"
            )
        merchant = merchant_runtime(conn, config, key)
        sim = SimState.loads(status[1])
        now = store.get_now(conn)
        at = _dispute_time(now, last_month)
        charges = store.undisputed_charges(conn, merchant.account, at, count)
        writes = Writes(merchant, emit=True, sink=direct_sink(conn))
        items = open_disputes(merchant, sim, charges, at) if charges else []
        for item in items:
            writes.place(item, now, fresh=item.type != "charge")
        writes.flush()
        store.save_merchant_state(conn, key, sim.dumps())
        connected = merchant.account in store.connected_accounts(conn)
    disputes = [item.id for item in items if item.type == "dispute"]
    deliveries = [body for _created, _id, body in sorted(writes.events)] if connected else []
    return at, disputes, len(writes.events), deliveries, connected


async def dispute(
    config: SandboxConfig, key: str, count: int = 1, *, last_month: bool = False
) -> DisputeResult:
    """Open `count` chargebacks on the latest undisputed succeeded charges of sample merchant
    `key`, at the sandbox clock (or in the app's last complete month, `last_month`), record them
    and their events as the simulation does, and deliver the events of a connected account to
    `config.webhook_url` as `advance` does. Raises DisputeRefused."""
    at, disputes, created, deliveries, connected = await anyio.to_thread.run_sync(
        _open, config, key, count, last_month
    )
    delivered = failed = 0
    if config.webhook_url and deliveries:
        report = await deliver(config.webhook_url, config.webhook_secret, deliveries)
        delivered, failed = report.delivered, report.failed
    return DisputeResult(
        at=datetime.fromtimestamp(at, UTC),
        disputes=disputes,
        events_created=created,
        delivered=delivered,
        failed=failed,
        connected=connected,
    )
