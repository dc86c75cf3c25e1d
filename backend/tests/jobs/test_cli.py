"""`vaultra jobs run` against the test database (sync tests: the command runs its own loop)."""

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from app.cli import cli
from app.core.config import get_settings
from app.core.db import Database
from app.jobs.models import JobRun, JobStatus
from app.jobs.registry import JobContext
from tests.jobs.conftest import Register, job_runs

Invoke = Callable[..., Result]


@pytest.fixture
def invoke(database_url: str, tmp_path: Path) -> Invoke:
    env = {
        "APP_ENV": "test",
        "DATABASE_URL": database_url,
        "DATA_DIR": str(tmp_path),
        "REDIS_URL": "",
        "LOG_LEVEL": "CRITICAL",
    }

    def run(*args: str) -> Result:
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(cli, list(args), env=env)
        finally:
            get_settings.cache_clear()

    return run


def _runs(database_url: str, name: str) -> list[JobRun]:
    async def read() -> list[JobRun]:
        db = Database(database_url)
        try:
            return await job_runs(db, name)
        finally:
            await db.dispose()

    return asyncio.run(read())


def test_runs_a_job_once_and_prints_the_outcome(
    invoke: Invoke, register: Register, database_url: str
) -> None:
    async def count_things(ctx: JobContext, business_id: uuid.UUID) -> str:
        return f"counted for {business_id}"

    name = register(count_things)
    business_id = uuid.uuid4()
    result = invoke("jobs", "run", name, "--business-id", str(business_id))

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{name} succeeded in ")
    assert result.stdout.rstrip().endswith(f": counted for {business_id}")
    [run] = _runs(database_url, name)
    assert (run.status, run.args) == (JobStatus.succeeded, {"business_id": str(business_id)})


def test_a_failing_job_exits_non_zero_and_is_recorded(
    invoke: Invoke, register: Register, database_url: str
) -> None:
    async def explode(ctx: JobContext) -> None:
        raise RuntimeError("boom")

    name = register(explode, max_tries=3)
    result = invoke("jobs", "run", name)

    assert result.exit_code == 1
    assert f"{name} failed: RuntimeError: boom" in result.stderr
    # A manual run is one attempt: failed, not retrying.
    assert [(r.attempt, r.status) for r in _runs(database_url, name)] == [(1, JobStatus.failed)]


def test_unknown_job_lists_the_registered_ones(invoke: Invoke) -> None:
    result = invoke("jobs", "run", "no_such_job")

    assert result.exit_code == 2
    assert "unknown job 'no_such_job'; registered jobs: " in result.stderr
    assert "prune_job_runs" in result.stderr


def test_business_id_for_a_job_without_one_is_refused(invoke: Invoke, register: Register) -> None:
    async def everything(ctx: JobContext) -> None:
        return None

    name = register(everything)
    result = invoke("jobs", "run", name, "--business-id", str(uuid.uuid4()))

    assert result.exit_code == 2
    assert "does not take a business id" in result.stderr


def test_worker_needs_redis(invoke: Invoke) -> None:
    result = invoke("worker")

    assert result.exit_code == 2
    assert "REDIS_URL is not set" in result.stderr
