"""Database engine, sessions, column types, and every SQLite/PostgreSQL difference."""

import logging
import time
import traceback
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    MetaData,
    String,
    cast,
    event,
    exc,
    func,
    text,
    type_coerce,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Mapped, mapped_column
from sqlalchemy.sql import ColumnElement
from sqlalchemy.types import TypeDecorator

from app.core.config import Settings

logger = logging.getLogger("vaultra.db")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on both dialects (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# JSONB on PostgreSQL, JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")

# Money is integer minor units of its currency, in 64-bit columns on both dialects: a 32-bit
# column tops out at $21,474,836.47, less than a year of a mid-sized merchant's volume.
Money = BigInteger
# The largest amount a request may carry: 2^53 - 1 minor units ($90 trillion), the largest
# integer a JSON client holding numbers as doubles (JavaScript) keeps exact. So is the bound
# itself, which the OpenAPI document states as a double: 2^63 - 1 would read as 2^63.
MONEY_MAX = 2**53 - 1
# The largest value an Integer (32-bit) column holds.
INT_MAX = 2**31 - 1


def column_length(attribute: InstrumentedAttribute[Any]) -> int:
    """A string column's declared length, so the schema that feeds it states it only once."""
    column_type = attribute.expression.type
    if not isinstance(column_type, String) or column_type.length is None:
        raise TypeError(f"{attribute} is not a string column of bounded length")
    return column_type.length


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONType}


class UUIDPrimaryKey:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# A pooled connection idle for longer than this is pinged before use (see _ping_if_idle).
PING_AFTER_IDLE_SECONDS = 2.0


def create_engine(database_url: str, *, pool_size: int = 10, max_overflow: int = 10) -> AsyncEngine:
    # A failed statement's error would otherwise quote its values (an email, a password hash,
    # a token's digest), and errors are logged.
    if database_url.startswith("sqlite"):
        engine = create_async_engine(
            database_url, connect_args={"timeout": 30}, hide_parameters=True
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_async_engine(
        database_url, pool_size=pool_size, max_overflow=max_overflow, hide_parameters=True
    )
    event.listen(engine.sync_engine, "checkin", _record_checkin)
    event.listen(engine.sync_engine, "checkout", _ping_if_idle)
    return engine


def _record_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Pre-ping, but only connections that sat idle.

    SQLAlchemy's `pool_pre_ping` pings on every checkout: with asyncpg that is three round trips
    (BEGIN, `;`, ROLLBACK), as many as a whole request's own. A connection in steady use has just
    proven itself; one that sat idle may have been dropped by a failover or a proxy's timeout.
    Raising DisconnectionError makes the pool replace it and retry the checkout. A connection
    that dies mid-use invalidates the whole pool (SQLAlchemy's disconnect handling).
    """
    checked_in_at = record.info.get("checked_in_at")
    if checked_in_at is None or time.monotonic() - checked_in_at < PING_AFTER_IDLE_SECONDS:
        return
    try:
        dbapi_connection.ping()
    except Exception as error:
        raise exc.DisconnectionError("idle connection failed its ping") from error


# PostgreSQL's SQLSTATEs for a server that can't take any statement now: connection failures
# (class 08), shutdown, crash recovery and start-up (57P01-57P03), no connection slot (53300).
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")
# SQLite's: the file locked past the busy timeout, or not there to open or read. Not its other
# OperationalErrors (a missing table, a syntax error), which retrying won't fix.
_UNAVAILABLE_SQLITE_ERRORS = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR")


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` says the database can't be reached now (stopped, restarting, failing
    over, out of connections, or SQLite's lock held past the busy timeout), so the same work
    can succeed later, rather than that the database refused a statement.

    A refused or timed-out connection reaches the caller as the driver's own ConnectionError or
    TimeoutError (SQLAlchemy wraps only errors of an established connection), so those count
    when raised inside the database driver.
    """
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, (ConnectionError, TimeoutError)) and _raised_in_driver(cause):
            return True
        if isinstance(cause, exc.DBAPIError):
            return cause.connection_invalidated or _unavailable_code(cause.orig)
        cause = cause.__cause__
    return False


def _unavailable_code(error: BaseException | None) -> bool:
    sqlstate = getattr(error, "sqlstate", None)  # asyncpg
    if isinstance(sqlstate, str):
        return sqlstate.startswith(_UNAVAILABLE_SQLSTATES)
    sqlite_error = getattr(error, "sqlite_errorname", None)  # sqlite3
    return isinstance(sqlite_error, str) and sqlite_error.startswith(_UNAVAILABLE_SQLITE_ERRORS)


_DRIVER_MODULES = ("sqlalchemy.", "asyncpg.", "aiosqlite.")


def _raised_in_driver(error: BaseException) -> bool:
    return any(
        frame.f_globals.get("__name__", "").startswith(_DRIVER_MODULES)
        for frame, _ in traceback.walk_tb(error.__traceback__)
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Database:
    """One engine and its session factory, shared by the app, the jobs and the CLI."""

    def __init__(self, database_url: str, *, pool_size: int = 10, max_overflow: int = 10) -> None:
        self.url = database_url
        self.engine = create_engine(database_url, pool_size=pool_size, max_overflow=max_overflow)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Database":
        return cls(
            settings.database_url,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits on success, rolls back on error, then runs after-commit hooks."""
        async with self.sessionmaker() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
            await run_after_commit(session)

    async def dispose(self) -> None:
        await self.engine.dispose()


AfterCommit = Callable[[], Awaitable[None]]


def after_commit(session: AsyncSession, callback: AfterCommit) -> None:
    """Run `callback` once the unit of work has committed (e.g. enqueue a job)."""
    session.info.setdefault("after_commit", []).append(callback)


async def run_after_commit(session: AsyncSession) -> None:
    callbacks: list[AfterCommit] = session.info.pop("after_commit", [])
    for callback in callbacks:
        try:
            await callback()
        except Exception:
            # The data is committed; a periodic sweep picks up whatever the hook missed.
            logger.exception("after-commit hook failed")


async def checkpoint(session: AsyncSession) -> None:
    """Commit the request's work so far, before a slow external call.

    The only sanctioned commit outside the unit-of-work boundary: it releases the connection
    (and SQLite's write lock) instead of holding them while waiting on, say, a language model.
    """
    await session.commit()
    await run_after_commit(session)


async def can_read_alongside(session: AsyncSession) -> bool:
    """Whether a second connection (`sibling_session`) would see the data `session` sees.

    Not once `session`'s transaction has written (another connection can't see uncommitted
    rows), and not on SQLite (one file, one process: nothing to gain). PostgreSQL assigns a
    transaction id at the first write; the query also flushes pending ORM changes first.
    """
    if dialect_of(session) != "postgresql":
        return False
    wrote = (
        await session.execute(text("SELECT pg_current_xact_id_if_assigned() IS NOT NULL"))
    ).scalar_one()
    return not wrote


@asynccontextmanager
async def sibling_session(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """A second, read-only session on `session`'s engine, so a slow read can run alongside
    `session`'s own statements, on another connection. Check `can_read_alongside` first. It
    sees committed data only and is rolled back."""
    async with AsyncSession(session.bind) as sibling:
        try:
            yield sibling
        finally:
            await sibling.rollback()


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def period_start(
    session: AsyncSession, day: InstrumentedAttribute[date], unit: str
) -> ColumnElement[date]:
    """The first day of `day`'s `unit`: the day itself, its week (Monday) or its month."""
    if unit == "day":
        return day.expression
    if dialect_of(session) == "postgresql":
        # A plain timestamp: a date would be read as timestamptz, in the session's time zone.
        return cast(func.date_trunc(unit, cast(day, DateTime)), Date)
    modifiers = ("-6 days", "weekday 1") if unit == "week" else ("start of month",)
    return type_coerce(func.date(day, *modifiers), Date)


def insert_for(session: AsyncSession, table: Any) -> Any:
    """The dialect's INSERT, which supports ON CONFLICT on both PostgreSQL and SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def upsert(
    session: AsyncSession,
    table: Any,
    rows: Sequence[dict[str, Any]],
    *,
    conflict_columns: Sequence[str],
    update_columns: Sequence[str] | None = None,
    only_if_newer: str | None = None,
) -> None:
    """Insert rows, updating on conflict; with `only_if_newer`, an older state never wins."""
    if not rows:
        return
    # Rows go as executemany parameters: the statement compiles once and is cached, which is
    # many times cheaper than rendering a VALUES clause of bound parameters per call.
    statement = insert_for(session, table)
    if update_columns is None:
        # DO NOTHING on conflict: the first write wins.
        await session.execute(
            statement.on_conflict_do_nothing(index_elements=conflict_columns), list(rows)
        )
        return
    where: ColumnElement[bool] | None = None
    if only_if_newer is not None:
        where = table.c[only_if_newer] <= statement.excluded[only_if_newer]
    statement = statement.on_conflict_do_update(
        index_elements=conflict_columns,
        set_={name: statement.excluded[name] for name in update_columns},
        where=where,
    )
    await session.execute(statement, list(rows))


@asynccontextmanager
async def ordered_aggregation(session: AsyncSession) -> AsyncIterator[int]:
    """Tune the transaction for big GROUP BYs that an index already delivers in group order;
    yields how many processes one statement may run on (PostgreSQL's parallel workers plus the
    leader; 1 on SQLite).

    PostgreSQL only:
    - `enable_hashagg = off`: streaming the groups out of the index beats hashing them (a
      year of charges into ~160k customers: 0.2 s against 0.45 s), but with a large `work_mem`
      the planner prefers the hash table;
    - `plan_cache_mode = force_custom_plan`: the driver prepares statements, and after five
      runs PostgreSQL may switch to a generic plan, which cannot see how many rows a day range
      holds: it sorted a year of charges by customer instead (0.7 s against 0.3 s);
    - `jit = off`: compiling a big aggregation costs 10 ms, and ~400 ms over the workers of a
      parallel plan, for nothing;
    - `enable_sort = off`: once new rows leave pages not yet all-visible (until autovacuum
      passes), the planner prices the index-only scan up and picks a parallel sequential scan
      plus a sort by customer instead: three times slower (1.8 s against 0.6 s on the bench
      data). Sorts the query needs anyway (the top five) still happen.

    All are transaction-local (`set_config(..., true)`) and restored when the block ends; if
    it raises, they last until the transaction ends.
    """
    if dialect_of(session) != "postgresql":
        yield 1
        return
    hashagg, sort, plan_cache_mode, jit, workers = (
        await session.execute(
            text(
                "SELECT current_setting('enable_hashagg'), current_setting('enable_sort'),"
                " current_setting('plan_cache_mode'), current_setting('jit'),"
                " current_setting('max_parallel_workers_per_gather')::int"
            )
        )
    ).one()
    configure = text(
        "SELECT set_config('enable_hashagg', :hashagg, true),"
        " set_config('enable_sort', :sort, true),"
        " set_config('plan_cache_mode', :plan_cache_mode, true), set_config('jit', :jit, true)"
    )
    await session.execute(
        configure,
        {"hashagg": "off", "sort": "off", "plan_cache_mode": "force_custom_plan", "jit": "off"},
    )
    yield 1 + workers
    await session.execute(
        configure,
        {"hashagg": hashagg, "sort": sort, "plan_cache_mode": plan_cache_mode, "jit": jit},
    )


async def exclusive_section(session: AsyncSession, name: str) -> None:
    """Hold `name`'s lock until `session`'s transaction ends: other processes asking for it wait.

    PostgreSQL: a transaction-scoped advisory lock on the name's hash, released by the commit or
    rollback (so a crashed holder frees it). SQLite: nothing to do, as its single writer already
    serializes writers. Used where several processes may start the same work at once, e.g. the
    knowledge-base ingest of two API pods or a release's Job (app/agent/runtime.py).
    """
    if dialect_of(session) != "postgresql":
        return
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": name})
