"""Turning simulated timelines into stored objects, for history generation and for advance."""

import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from stripe_sandbox import objects, store
from stripe_sandbox.config import SandboxConfig
from stripe_sandbox.ids import event_id
from stripe_sandbox.merchants import MERCHANTS, get_merchant
from stripe_sandbox.simulate import DAY, DaySimulator, Item, Merchant, SimState, account_item

FLUSH_ROWS = 20_000
STALE_GENERATION_S = 120.0  # a generating process silent this long is presumed dead


Sink = Callable[[list[store.ObjectRow], list[store.PendingRow]], None]


class Writes:
    """Buffered rows for one merchant, handed to `sink` in large batches."""

    def __init__(self, merchant: Merchant, emit: bool, sink: Sink):
        self.m = merchant
        self.emit = emit
        self.sink = sink
        self.objects: list[store.ObjectRow] = []
        self.pending: list[store.PendingRow] = []
        self.events: list[tuple[int, str, str]] = []  # (created, id, JSON) for delivery
        self.created: dict[str, int] = {}

    def place(self, item: Item, now: int, fresh: bool) -> None:
        """Apply the versions of `item` dated up to `now`; park the rest as pending."""
        account = self.m.account
        applied: dict[str, Any] | None = None
        for i, (t, snap, event_types, previous) in enumerate(item.versions):
            if t > now:
                future = store.dumps(item.versions[i:])
                self.pending.append(
                    (account, t, item.id, item.type, item.created, item.amount, future)
                )
                break
            if i == 0 and fresh:
                self.created[item.type] = self.created.get(item.type, 0) + 1
            applied = snap
            if self.emit:
                for event_type in event_types:
                    evt_id = event_id(t, self.m.tag, f"{item.id}:{t}:{event_type}")
                    body = store.dumps(
                        objects.event(evt_id, account, t, event_type, snap, previous)
                    )
                    self.events.append((t, evt_id, body))
                    self.objects.append((evt_id, account, "event", t, None, body))
        if applied is not None:
            row = (item.id, account, item.type, item.created, item.amount, store.dumps(applied))
            self.objects.append(row)

    def flush(self) -> None:
        if self.objects or self.pending:
            self.sink(self.objects, self.pending)
            self.objects, self.pending = [], []


def direct_sink(conn: sqlite3.Connection) -> Sink:
    """Write in the caller's connection (and transaction)."""
    return lambda objects, pending: store.write_rows(conn, objects, pending)


class BackgroundWriter:
    """Commits batches from a thread while the simulation builds the next ones: sqlite releases
    the GIL while it inserts, so on a second core the two overlap."""

    def __init__(self, db_path: str, key: str):
        self._batches: queue.Queue[tuple[list[Any], list[Any]] | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(db_path, key), daemon=True)
        self._thread.start()

    def _run(self, db_path: str, key: str) -> None:
        conn = store.connect(db_path)
        try:
            while (batch := self._batches.get()) is not None:
                if self._error is not None:
                    continue  # keep draining so that submit() never blocks
                try:
                    with store.transaction(conn):
                        store.write_rows(conn, *batch)
                        store.beat(conn, key)
                except BaseException as exc:
                    self._error = exc
        finally:
            conn.close()

    def submit(self, objects: list[store.ObjectRow], pending: list[store.PendingRow]) -> None:
        if self._error is not None:
            raise self._error
        self._batches.put((objects, pending))

    def close(self) -> None:
        """Wait until everything submitted is committed (re-raising a write failure)."""
        self._batches.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


def progress(conn: sqlite3.Connection, m: Merchant, st: SimState, until: int, w: Writes) -> None:
    """Bring a merchant from its current state to the clock time `until`."""
    for _account, _due, obj_id, obj_type, created, amount, versions in store.take_pending(
        conn, m.account, until
    ):
        timeline = [(v[0], v[1], tuple(v[2]), v[3]) for v in orjson.loads(versions)]
        w.place(Item(obj_type, obj_id, created, amount, timeline), until, fresh=False)
    while m.t0 + st.next_day * DAY < until:
        for item in DaySimulator(m, st, st.next_day).run():
            w.place(item, until, fresh=True)
        if len(w.objects) >= FLUSH_ROWS:
            w.flush()


def merchant_runtime(conn: sqlite3.Connection, config: SandboxConfig, key: str) -> Merchant:
    start = int(store.get_meta(conn, "start"))
    return Merchant(get_merchant(key), config.seed, config.size, start)


def ensure_generated(conn: sqlite3.Connection, config: SandboxConfig, key: str) -> str:
    """Generate a merchant's history up to the sandbox clock once; returns its account id.

    Generation is lazy (first connect or first explicit `generate`) and needs no events: a
    merchant nobody was connected to had no platform listening to it.
    """
    m = merchant_runtime(conn, config, key)
    while True:
        status = store.merchant_status(conn, key)
        if status is not None and status[0] == "ready":
            return m.account
        if store.claim_merchant(conn, key, m.account, STALE_GENERATION_S):
            break
        time.sleep(0.1)  # another thread or process is generating it
    try:
        st = SimState()
        writer = BackgroundWriter(config.db_path, key)
        try:
            w = Writes(m, emit=False, sink=writer.submit)
            w.place(account_item(m), store.get_now(conn), fresh=True)
            progress(conn, m, st, store.get_now(conn), w)
            w.flush()
        finally:
            writer.close()
        with store.transaction(conn):  # advance may have moved the clock meanwhile
            w.sink = direct_sink(conn)
            progress(conn, m, st, store.get_now(conn), w)
            w.flush()
            store.save_merchant_state(conn, key, st.dumps())
    except BaseException:
        store.forget_merchant(conn, key)
        raise
    return m.account


def generate(config: SandboxConfig, merchants: Iterable[str] | None = None) -> dict[str, str]:
    """Generate the given sample merchants (default: all) now rather than lazily.

    Returns {merchant key: account id}. Idempotent: generated merchants are left as they are.
    """
    keys = list(merchants) if merchants is not None else [m.key for m in MERCHANTS]
    with store.open_db(config) as conn:
        return {key: ensure_generated(conn, config, key) for key in keys}
