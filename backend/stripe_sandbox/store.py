"""The sandbox's SQLite file: generated objects, the clock and OAuth state.

Objects are stored as Stripe JSON text next to the indexed columns that listing needs, so a page
is one index range scan whose rows are concatenated into the response without re-encoding.
Everything (clock, codes, connections) lives in the file so that a CLI process calling
`advance` and the server share one state.
"""

import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson

from stripe_sandbox.config import SandboxConfig

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS merchants (
    key TEXT PRIMARY KEY,
    account TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,          -- generating | ready
    heartbeat REAL NOT NULL,       -- last sign of life of the generating process
    state TEXT                     -- simulation state (JSON) once ready
);
CREATE TABLE IF NOT EXISTS connections (
    account TEXT PRIMARY KEY,
    connected INTEGER NOT NULL,
    scope TEXT NOT NULL,
    access_token TEXT NOT NULL UNIQUE,
    refresh_token TEXT NOT NULL UNIQUE,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS oauth_codes (
    code TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    scope TEXT NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS objects (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    type TEXT NOT NULL,
    created INTEGER NOT NULL,
    amount INTEGER,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS objects_page ON objects (account, type, created, id);
-- Future versions of objects (a refund next week, a payout landing tomorrow), applied by advance.
CREATE TABLE IF NOT EXISTS pending (
    seq INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    due INTEGER NOT NULL,
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    created INTEGER NOT NULL,
    amount INTEGER,
    versions TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS pending_due ON pending (account, due);
"""

ObjectRow = tuple[str, str, str, int, int | None, str]  # id, account, type, created, amount, json
PendingRow = tuple[
    str, int, str, str, int, int | None, str
]  # account, due, id, type, ..., versions


class SandboxStateError(RuntimeError):
    """The sandbox file was built with other parameters than the given config."""


class CursorNotFound(LookupError):
    pass


def connect(db_path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(db_path, timeout=60, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA page_size=16384")  # only takes effect on a new file: rows are ~1-3 KB
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA cache_size=-65536")
    conn.execute("PRAGMA mmap_size=1073741824")
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction that takes the lock up front (no upgrade deadlocks)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def init(conn: sqlite3.Connection, config: SandboxConfig) -> None:
    """Create the schema and pin the sandbox parameters on first use; refuse a mismatch later."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone() is None:
        conn.executescript(SCHEMA)
    start = int(config.start.timestamp() if config.start else time.time())
    wanted = {
        "start": str(start),
        "now": str(start),
        "seed": str(config.seed),
        "size": "" if config.size is None else str(config.size),
    }
    stored = dict(conn.execute("SELECT key, value FROM meta"))
    if len(stored) < len(wanted):  # a new sandbox (the write lock is only taken then)
        with transaction(conn):
            conn.executemany(
                "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", wanted.items()
            )
            stored = dict(conn.execute("SELECT key, value FROM meta"))
    checks = ["seed", "size"] + (["start"] if config.start else [])
    for key in checks:
        if stored[key] != wanted[key]:
            raise SandboxStateError(
                f"{config.db_path} holds a sandbox built with {key}={stored[key] or None}, "
                f"not {wanted[key] or None}; delete the file or use another db_path"
            )


@contextmanager
def open_db(config: SandboxConfig) -> Iterator[sqlite3.Connection]:
    conn = connect(config.db_path)
    try:
        init(conn, config)
        yield conn
    finally:
        conn.close()


def get_meta(conn: sqlite3.Connection, key: str) -> str:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    if row is None:
        raise SandboxStateError(f"sandbox meta {key!r} missing")
    return str(row[0])


def get_now(conn: sqlite3.Connection) -> int:
    return int(get_meta(conn, "now"))


def set_now(conn: sqlite3.Connection, now: int) -> None:
    conn.execute("UPDATE meta SET value = ? WHERE key = 'now'", (str(now),))


# --- merchants --------------------------------------------------------------------------------


def merchant_status(conn: sqlite3.Connection, key: str) -> tuple[str, str | None] | None:
    row = conn.execute("SELECT status, state FROM merchants WHERE key = ?", (key,)).fetchone()
    return None if row is None else (row[0], row[1])


def ready_merchants(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(key, state JSON) of every generated merchant."""
    rows = conn.execute("SELECT key, state FROM merchants WHERE status = 'ready' ORDER BY key")
    return [(r[0], r[1]) for r in rows]


def claim_merchant(conn: sqlite3.Connection, key: str, account: str, stale_after: float) -> bool:
    """True if this caller won the right to generate the merchant.

    A generation whose process stopped beating (killed mid-way) is wiped and taken over.
    """
    with transaction(conn):
        row = conn.execute(
            "SELECT status, heartbeat FROM merchants WHERE key = ?", (key,)
        ).fetchone()
        if row is not None and (row[0] == "ready" or row[1] > time.time() - stale_after):
            return False
        conn.execute("DELETE FROM objects WHERE account = ?", (account,))
        conn.execute("DELETE FROM pending WHERE account = ?", (account,))
        conn.execute(
            "INSERT OR REPLACE INTO merchants (key, account, status, heartbeat)"
            " VALUES (?, ?, 'generating', ?)",
            (key, account, time.time()),
        )
    return True


def beat(conn: sqlite3.Connection, key: str) -> None:
    conn.execute("UPDATE merchants SET heartbeat = ? WHERE key = ?", (time.time(), key))


def save_merchant_state(conn: sqlite3.Connection, key: str, state: str) -> None:
    conn.execute(
        "UPDATE merchants SET status = 'ready', state = ?, heartbeat = ? WHERE key = ?",
        (state, time.time(), key),
    )


def forget_merchant(conn: sqlite3.Connection, key: str) -> None:
    """Undo a failed generation so that the next caller retries it."""
    with transaction(conn):
        row = conn.execute("SELECT account FROM merchants WHERE key = ?", (key,)).fetchone()
        if row is not None:
            conn.execute("DELETE FROM objects WHERE account = ?", (row[0],))
            conn.execute("DELETE FROM pending WHERE account = ?", (row[0],))
        conn.execute("DELETE FROM merchants WHERE key = ?", (key,))


# --- objects ----------------------------------------------------------------------------------


def write_rows(
    conn: sqlite3.Connection, objects: Iterable[ObjectRow], pending: Iterable[PendingRow]
) -> None:
    """Store object snapshots (replacing older versions) and future versions."""
    conn.executemany(
        "INSERT INTO objects (id, account, type, created, amount, data) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET data = excluded.data",
        objects,
    )
    conn.executemany(
        "INSERT INTO pending (account, due, id, type, created, amount, versions)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        pending,
    )


def take_pending(conn: sqlite3.Connection, account: str, until: int) -> list[PendingRow]:
    """Remove and return the pending versions of `account` due at or before `until`."""
    rows = conn.execute(
        "SELECT seq, account, due, id, type, created, amount, versions FROM pending"
        " WHERE account = ? AND due <= ? ORDER BY due, seq",
        (account, until),
    ).fetchall()
    conn.execute("DELETE FROM pending WHERE account = ? AND due <= ?", (account, until))
    return [tuple(r[1:]) for r in rows]


def get_object(conn: sqlite3.Connection, account: str, object_id: str) -> str | None:
    row = conn.execute(
        "SELECT data FROM objects WHERE id = ? AND account = ?", (object_id, account)
    ).fetchone()
    return None if row is None else str(row[0])


def undisputed_charges(
    conn: sqlite3.Connection, account: str, until: int, limit: int
) -> list[dict[str, Any]]:
    """The account's latest succeeded charges created at or before `until` that are neither
    disputed nor refunded and have no future version parked (a refund or dispute to come)."""
    rows = conn.execute(
        "SELECT data FROM objects WHERE account = ? AND type = 'charge' AND created <= ?"
        " AND json_extract(data, '$.status') = 'succeeded'"
        " AND json_extract(data, '$.disputed') = 0 AND json_extract(data, '$.amount_refunded') = 0"
        " AND id NOT IN (SELECT id FROM pending WHERE account = ?)"
        " ORDER BY created DESC, id DESC LIMIT ?",
        (account, until, account, limit),
    )
    return [orjson.loads(r[0]) for r in rows]


@dataclass(frozen=True)
class ListQuery:
    account: str
    type: str
    limit: int = 10
    starting_after: str | None = None
    ending_before: str | None = None
    created: dict[str, int] = field(default_factory=dict)  # eq|gt|gte|lt|lte -> unix time
    # (JSON path, SQL operator, value): operator is one of =, !=, LIKE, IN (value a list)
    filters: Sequence[tuple[str, str, Any]] = ()


_FILTER_OPS = {"=", "!=", "LIKE", "IN"}


def _created_bounds(created: dict[str, int]) -> tuple[int | None, int | None]:
    """Inclusive (lowest, highest) creation times allowed (times are whole seconds)."""
    lows = [v + (op == "gt") for op, v in created.items() if op in ("gt", "gte", "eq")]
    highs = [v - (op == "lt") for op, v in created.items() if op in ("lt", "lte", "eq")]
    return max(lows, default=None), min(highs, default=None)


def list_page(conn: sqlite3.Connection, query: ListQuery) -> tuple[list[str], bool]:
    """One page, newest first (created desc, id desc), as Stripe lists; plus has_more."""
    where = ["account = ?", "type = ?"]
    params: list[Any] = [query.account, query.type]
    for path, op, value in query.filters:
        if op not in _FILTER_OPS:
            raise ValueError(f"unsupported filter operator {op}")
        if op == "IN":
            where.append(f"json_extract(data, ?) IN ({','.join('?' * len(value))})")
            params += [path, *value]
        else:
            where.append(f"json_extract(data, ?) {op} ?")
            params += [path, value]
    low, high = _created_bounds(query.created)
    cursor_id = query.starting_after or query.ending_before
    backwards = query.ending_before is not None
    if cursor_id is not None:
        row = conn.execute(
            "SELECT created FROM objects WHERE id = ? AND account = ? AND type = ?",
            (cursor_id, query.account, query.type),
        ).fetchone()
        if row is None:
            raise CursorNotFound(cursor_id)
        # Keep one bound per side (sqlite seeks on only one): the cursor or the created
        # bound on its side, whichever is tighter.
        if backwards and (low is None or low <= row[0]):
            low = None
            where.append("(created, id) > (?, ?)")
            params += [row[0], cursor_id]
        elif not backwards and (high is None or high >= row[0]):
            high = None
            where.append("(created, id) < (?, ?)")
            params += [row[0], cursor_id]
    if low is not None:
        where.append("created >= ?")
        params.append(low)
    if high is not None:
        where.append("created <= ?")
        params.append(high)
    order = "created ASC, id ASC" if backwards else "created DESC, id DESC"
    # Only fixed SQL fragments are interpolated; every value is a bound parameter.
    sql = f"SELECT data FROM objects WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?"  # noqa: S608
    rows = [r[0] for r in conn.execute(sql, [*params, query.limit + 1])]
    has_more = len(rows) > query.limit
    rows = rows[: query.limit]
    if backwards:
        rows.reverse()
    return rows, has_more


# --- OAuth ------------------------------------------------------------------------------------


def add_code(conn: sqlite3.Connection, code: str, account: str, scope: str) -> None:
    conn.execute(
        "INSERT INTO oauth_codes (code, account, scope) VALUES (?, ?, ?)", (code, account, scope)
    )


def redeem_code(conn: sqlite3.Connection, code: str) -> tuple[str, str, bool] | None:
    """(account, scope, already_used) of a code, which is marked used; None if unknown."""
    with transaction(conn):
        row = conn.execute(
            "SELECT account, scope, used FROM oauth_codes WHERE code = ?", (code,)
        ).fetchone()
        if row is None:
            return None
        conn.execute("UPDATE oauth_codes SET used = 1 WHERE code = ?", (code,))
    return str(row[0]), str(row[1]), bool(row[2])


def set_connection(
    conn: sqlite3.Connection, account: str, scope: str, access_token: str, refresh_token: str
) -> None:
    conn.execute(
        "INSERT INTO connections (account, connected, scope, access_token, refresh_token, updated)"
        " VALUES (?, 1, ?, ?, ?, ?) ON CONFLICT (account) DO UPDATE SET connected = 1,"
        " scope = excluded.scope, access_token = excluded.access_token,"
        " refresh_token = excluded.refresh_token, updated = excluded.updated",
        (account, scope, access_token, refresh_token, time.time()),
    )


def connection_scope(conn: sqlite3.Connection, account: str) -> str | None:
    row = conn.execute(
        "SELECT scope FROM connections WHERE account = ? AND connected = 1", (account,)
    ).fetchone()
    return None if row is None else str(row[0])


def disconnect(conn: sqlite3.Connection, account: str) -> bool:
    cur = conn.execute(
        "UPDATE connections SET connected = 0, updated = ? WHERE account = ? AND connected = 1",
        (time.time(), account),
    )
    return cur.rowcount == 1


def is_connected(conn: sqlite3.Connection, account: str) -> bool:
    row = conn.execute("SELECT connected FROM connections WHERE account = ?", (account,)).fetchone()
    return bool(row and row[0])


def connected_accounts(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT account FROM connections WHERE connected = 1")}


def account_for_token(conn: sqlite3.Connection, column: str, token: str) -> str | None:
    """The connected account whose access (or refresh) token this is."""
    if column not in ("access_token", "refresh_token"):
        raise ValueError(column)
    row = conn.execute(
        f"SELECT account FROM connections WHERE {column} = ? AND connected = 1",  # noqa: S608
        (token,),
    ).fetchone()
    return None if row is None else str(row[0])


# --- inspection -------------------------------------------------------------------------------


def totals(config: SandboxConfig, account: str) -> dict[str, dict[str, Any]]:
    """What the sandbox holds for an account as of its clock, per object type: count, amount
    sum (all currencies, and per currency), per-status counts and sums; charges add
    amount_refunded, balance transactions fee and net. Scans the account: meant for tests."""
    with open_db(config) as conn:
        rows = conn.execute(
            "SELECT type, json_extract(data, '$.currency'), json_extract(data, '$.status'),"
            " count(*), total(amount), total(json_extract(data, '$.amount_refunded')),"
            " total(json_extract(data, '$.fee')), total(json_extract(data, '$.net'))"
            " FROM objects WHERE account = ? GROUP BY 1, 2, 3",
            (account,),
        ).fetchall()
    out: dict[str, dict[str, Any]] = {}
    for obj_type, currency, status, count, amount, refunded, fee, net in rows:
        entry = out.setdefault(
            obj_type, {"count": 0, "amount": 0, "amount_by_currency": {}, "by_status": {}}
        )
        entry["count"] += count
        entry["amount"] += int(amount)
        if currency is not None:
            by_currency = entry["amount_by_currency"]
            by_currency[currency] = by_currency.get(currency, 0) + int(amount)
        if status is not None:
            bucket = entry["by_status"].setdefault(status, {"count": 0, "amount": 0})
            bucket["count"] += count
            bucket["amount"] += int(amount)
        if obj_type == "charge":
            entry["amount_refunded"] = entry.get("amount_refunded", 0) + int(refunded)
        if obj_type == "balance_transaction":
            entry["fee"] = entry.get("fee", 0) + int(fee)
            entry["net"] = entry.get("net", 0) + int(net)
    return out


def dumps(value: Any) -> str:
    # orjson: encoding dominates generating a million charges, and it is 10x the stdlib's speed.
    return orjson.dumps(value).decode()
