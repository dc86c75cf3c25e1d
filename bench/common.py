"""Shared benchmark plumbing: a throwaway PostgreSQL database and a uvicorn server process."""

import asyncio
import os
import platform
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
BACKEND = ROOT / "backend"
PYTHON = BACKEND / ".venv" / "bin" / "python"
sys.path.insert(0, str(BACKEND))

from app.cli import EVENT_LOOP  # noqa: E402

POSTGRES_ADMIN = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database, migrated; yields its SQLAlchemy URL and drops it afterwards."""
    name = f"vaultra_bench_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(POSTGRES_ADMIN)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN.replace("postgresql://", "postgresql+asyncpg://").rsplit("/", 1)[0]
    url = f"{url}/{name}"
    try:
        subprocess.run(
            [str(BACKEND / ".venv" / "bin" / "vaultra"), "db", "upgrade"],
            cwd=BACKEND,
            env={**os.environ, "DATABASE_URL": url, "APP_ENV": "test"},
            check=True,
            capture_output=True,
        )
        yield url
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def server(app: str, env: dict[str, str], *, factory: bool = True) -> Iterator[str]:
    """One uvicorn worker serving `app` (module:attr, importable from bench/ or backend/): an app
    factory, as `vaultra serve` starts `app.main:serve_app`, unless `factory` is false.

    It runs on the event loop `vaultra serve` uses in production (app/cli.py).
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # Its own URL, so that the in-process Stripe sandbox accepts its OAuth callback.
    env = {"APP_BASE_URL": base, "FRONTEND_URL": base, **env}
    options = ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    options += ["--loop", EVENT_LOOP, "--log-level", "warning", "--no-access-log"]
    if factory:
        options.append("--factory")
    process = subprocess.Popen(
        [str(PYTHON), "-m", "uvicorn", app, *options],
        cwd=BACKEND,
        env={**os.environ, "PYTHONPATH": f"{ROOT}:{BACKEND}", "LOG_LEVEL": "WARNING", **env},
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            sys.exit("server did not start")
        time.sleep(0.2)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
