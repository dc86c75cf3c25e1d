"""Running one attempt of a job, recorded in `job_runs` (shared by every runner)."""

import asyncio
import contextlib
import logging
import random
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

import httpx
from pydantic import SecretStr
from pydantic_core import to_jsonable_python
from sqlalchemy import String, cast, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import observability
from app.core.config import Settings
from app.core.db import Database, utcnow
from app.jobs.models import JobRun, JobStatus
from app.jobs.registry import JobContext, JobSpec

logger = logging.getLogger("vaultra.jobs")

ERROR_LIMIT = 2000
ABANDONED = "abandoned: its worker stopped before the attempt ended"
_SECRET_PATTERNS = re.compile(
    r"\b(?:sk|rk)_(?:live|test)_\w+|\bwhsec_\w+|(?i:bearer)\s+[\w.~+/=-]+|(?<=://)[^/\s@]+(?=@)"
)


@asynccontextmanager
async def job_context(settings: Settings) -> AsyncIterator[JobContext]:
    """The database and HTTP client a job runner needs (worker, CLI)."""
    database = Database.from_settings(settings)
    try:
        async with httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0)) as http:
            yield JobContext(db=database, settings=settings, http=http)
    finally:
        await database.dispose()


def retry_delay(base_seconds: float, attempt: int) -> float:
    """Exponential backoff after failed `attempt`, jittered so retries don't stampede."""
    delay = base_seconds * 2.0 ** (attempt - 1)
    return delay * (0.5 + random.random() / 2)  # noqa: S311


async def run_attempt(
    context: JobContext,
    spec: JobSpec,
    kwargs: dict[str, Any],
    *,
    job_key: str | None,
    attempt: int,
    final: bool,
) -> Any:
    """Run the job once as attempt `attempt`, recorded in `job_runs`; its error is re-raised.

    A failure is recorded as `failed` if `final`, else as `retrying`.
    """
    context = replace(context, attempt=attempt)
    run_id = await _start(context.db, spec.name, kwargs, job_key, attempt)
    started = time.monotonic()
    try:
        result = await asyncio.wait_for(spec.function(context, **kwargs), spec.timeout_seconds)
    except asyncio.CancelledError:
        observability.observe_job(spec.name, "cancelled", time.monotonic() - started)
        # Shutdown: don't leave the row "running" forever.
        with contextlib.suppress(Exception):
            await asyncio.shield(
                _finish(context.db, run_id, started, JobStatus.failed, "cancelled")
            )
        raise
    except Exception as exc:
        logger.exception("job failed", extra={"job": spec.name, "attempt": attempt, "final": final})
        status = JobStatus.failed if final else JobStatus.retrying
        observability.observe_job(spec.name, status, time.monotonic() - started)
        await _finish(context.db, run_id, started, status, describe_error(exc, context.settings))
        raise
    observability.observe_job(spec.name, JobStatus.succeeded, time.monotonic() - started)
    await _finish(context.db, run_id, started, JobStatus.succeeded, None)
    return result


def describe_error(exc: BaseException, settings: Settings) -> str:
    message = str(exc)
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    for value in settings.model_dump().values():
        if isinstance(value, SecretStr) and len(value.get_secret_value()) >= 8:
            text = text.replace(value.get_secret_value(), "[redacted]")
    text = _SECRET_PATTERNS.sub("[redacted]", text)
    return text if len(text) <= ERROR_LIMIT else text[: ERROR_LIMIT - 1] + "…"


async def _start(
    db: Database, name: str, kwargs: dict[str, Any], job_key: str | None, attempt: int
) -> uuid.UUID:
    run = JobRun(
        name=name,
        args=to_jsonable_python(kwargs),
        job_key=job_key,
        status=JobStatus.running,
        attempt=attempt,
        started_at=utcnow(),
    )
    async with db.session() as session:
        if job_key is not None and attempt > 1:
            # Runs of a key never overlap, so one still "running" when its job is tried again
            # died with its process (a killed worker): say so rather than leave it running.
            await session.execute(
                update(JobRun)
                .where(
                    JobRun.name == name,
                    JobRun.job_key == job_key,
                    JobRun.status == JobStatus.running,
                )
                .values(status=JobStatus.failed, finished_at=run.started_at, error=ABANDONED)
            )
        session.add(run)
    return run.id


async def _finish(
    db: Database, run_id: uuid.UUID, started: float, status: JobStatus, error: str | None
) -> None:
    async with db.session() as session:
        await session.execute(
            update(JobRun)
            .where(JobRun.id == run_id)
            .values(
                status=status,
                finished_at=utcnow(),
                duration_ms=round((time.monotonic() - started) * 1000),
                error=error,
            )
        )


async def last_success_started_at(session: AsyncSession, name: str) -> datetime | None:
    """When the latest successful run of `name` started (e.g. "since the last digest")."""
    result = await session.execute(
        select(func.max(JobRun.started_at)).where(
            JobRun.name == name, JobRun.status == JobStatus.succeeded
        )
    )
    started: datetime | None = result.scalar_one()
    return started


async def prune_runs(session: AsyncSession, *, before: datetime) -> int:
    result = await session.execute(delete(JobRun).where(JobRun.started_at < before))
    return int(getattr(result, "rowcount", 0) or 0)


async def delete_runs_mentioning(session: AsyncSession, value: str) -> int:
    """Runs whose arguments or key name `value` (a business or user id): teams' deletions.

    Arguments are JSON; their text is searched, which finds an id at any depth on both dialects.
    Deletions are rare and `job_runs` is pruned, so a scan is fine here.
    """
    result = await session.execute(
        delete(JobRun).where(
            or_(cast(JobRun.args, String).contains(value), JobRun.job_key.contains(value))
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
