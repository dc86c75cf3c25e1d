"""Test set-up: a fresh database per run (PostgreSQL by default, SQLite on request).

VAULTRA_TEST_DB=postgres|sqlite picks the dialect. PostgreSQL is reached at
TEST_POSTGRES_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/postgres); each run
creates and drops its own database. Redis for the tests that need it: TEST_REDIS_URL.
"""

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from app.core import migrations
from app.core.config import AppEnv, Settings
from app.core.db import Database
from app.main import create_app
from app.models import Base

TEST_DB = os.environ.get("VAULTRA_TEST_DB", "postgres")
POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TEST_PASSWORD = "correct horse battery staple"


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def postgres_database(prefix: str = "vaultra_test") -> Iterator[str]:
    """A new, migrated PostgreSQL database for the length of the block; yields its URL."""
    import asyncio

    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin_dsn = _asyncpg_dsn(POSTGRES_URL)

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(admin_dsn)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        migrations.upgrade(url)
        yield url
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if TEST_DB == "sqlite":
        path = tmp_path_factory.mktemp("db") / "vaultra-test.db"
        url = f"sqlite+aiosqlite:///{path}"
        migrations.upgrade(url)
        yield url
        return
    with postgres_database() as url:
        yield url


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def make_settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        app_env=AppEnv.test,
        database_url=database_url,
        data_dir=data_dir,
        jwt_secret="test-jwt-secret-" + "0123456789abcdef" * 4,
        redis_url=None,
        app_base_url="http://testserver",
        frontend_url="http://frontend.test",
        # No web build unless a test asks for one (tests/core/test_web.py, tests/web).
        frontend_dist=data_dir / "no-frontend-build",
        log_level="WARNING",
    )


@pytest.fixture
def settings(database_url: str, data_dir: Path) -> Settings:
    return make_settings(database_url, data_dir)


async def _clean(database: Database) -> None:
    async with database.engine.connect() as connection:
        existing = set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name in existing]
    async with database.engine.begin() as connection:
        if database.dialect == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in tables)
            await connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                await connection.execute(text(f'DELETE FROM "{name}"'))


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        try:
            yield application
        finally:
            await _clean(application.state.db)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(
        app=app, client=("203.0.113.10", 50000), raise_app_exceptions=False
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def db(app: FastAPI) -> Database:
    database: Database = app.state.db
    return database


class Account:
    """A signed-up user, as tests use one."""

    def __init__(self, client: httpx.AsyncClient, body: dict[str, Any]) -> None:
        self.client = client
        self.user = body["user"]
        self.token: str = body["token"]
        self.headers = {"Authorization": f"Bearer {self.token}"}

    @property
    def id(self) -> str:
        return str(self.user["id"])

    async def create_business(self, name: str = "Acme", **fields: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/api/v1/users/businesses", json={"name": name, **fields}, headers=self.headers
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def make_account(client: httpx.AsyncClient) -> Any:
    async def make(email: str | None = None, name: str = "Test Founder") -> Account:
        email = email or f"founder-{uuid.uuid4().hex[:10]}@example.com"
        response = await client.post(
            "/api/v1/auth/signup", json={"email": email, "password": TEST_PASSWORD, "name": name}
        )
        assert response.status_code == 201, response.text
        return Account(client, response.json())

    return make
