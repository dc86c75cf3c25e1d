import asyncio
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool

from app.core import db as core_db
from app.core.config import Settings
from app.core.db import Database, is_unavailable
from tests.conftest import TEST_DB
from tests.servers import free_port

pytestmark = pytest.mark.skipif(
    TEST_DB != "postgres", reason="connections to a database server; SQLite has none to lose"
)


async def test_pooled_connections_the_server_dropped_are_replaced_after_idling(
    client: httpx.AsyncClient, db: Database, make_account: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failover or a proxy timeout kills idle connections; the next request must not fail."""
    account = await make_account()
    async with db.session() as session:
        pids = set((await session.execute(text("SELECT pg_backend_pid()"))).scalars())
    monkeypatch.setattr(core_db, "PING_AFTER_IDLE_SECONDS", 0.0)
    # From outside the app's pool, as a failover would.
    outsider = Database(db.url)
    try:
        async with outsider.session() as session:
            killed = (
                await session.execute(
                    text(
                        "SELECT pid FROM pg_stat_activity, pg_terminate_backend(pid)"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
            ).scalars()
            assert pids <= set(killed)
    finally:
        await outsider.dispose()
    assert pids  # the pool held at least one connection that is now dead

    response = await client.get("/api/v1/users/me", headers=account.headers)
    assert response.status_code == 200, response.text


async def test_the_pool_is_sized_by_the_settings(settings: Settings) -> None:
    database = Database.from_settings(
        settings.model_copy(update={"database_pool_size": 3, "database_max_overflow": 2})
    )
    try:
        pool = database.engine.pool
        assert isinstance(pool, QueuePool)
        assert pool.size() == 3
        # Everything above pool size + overflow waits for a connection.
        connections = [await database.engine.connect() for _ in range(5)]
        assert pool.checkedout() == 5
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(database.engine.connect(), timeout=0.5)
        for connection in connections:
            await connection.close()
    finally:
        await database.dispose()


async def test_an_unreachable_server_is_unavailable_a_refused_statement_is_not(
    db: Database,
) -> None:
    """What tells a retryable 503 database_unavailable from a 500."""
    nowhere = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nowhere")
    try:
        with pytest.raises(OSError) as refused:
            async with nowhere.session() as session:
                await session.execute(text("SELECT 1"))
    finally:
        await nowhere.dispose()
    assert is_unavailable(refused.value)
    with pytest.raises(DBAPIError) as division:
        async with db.session() as session:
            await session.execute(text("SELECT 1 / 0"))
    assert not is_unavailable(division.value)
    # The application's own timeout is not the database's.
    with pytest.raises(TimeoutError) as timeout:
        await asyncio.wait_for(asyncio.sleep(1), 0.01)
    assert not is_unavailable(timeout.value)


def test_a_pool_without_connections_is_refused() -> None:
    with pytest.raises(ValidationError, match="database_pool_size"):
        Settings(database_pool_size=0)
