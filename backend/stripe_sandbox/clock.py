"""The sandbox clock: `advance` moves it and plays out what happens meanwhile."""

from dataclasses import dataclass
from datetime import UTC, datetime

import anyio

from stripe_sandbox import store
from stripe_sandbox.config import SandboxConfig
from stripe_sandbox.generate import Writes, direct_sink, merchant_runtime, progress
from stripe_sandbox.simulate import DAY, SimState
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
