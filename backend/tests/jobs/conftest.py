"""Jobs test set-up: a unique ARQ queue per test on the real Redis, and test-only jobs."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from arq.worker import Worker
from sqlalchemy import select

from app.core.config import Settings
from app.core.db import Database
from app.jobs.arq_queue import ArqQueue
from app.jobs.models import JobRun
from app.jobs.queue import get_queue, set_queue
from app.jobs.registry import JOBS, JobFunction, job
from app.jobs.schedule import ScheduledJob
from app.jobs.worker import create_worker
from tests.conftest import REDIS_URL

RETRY_BASE = 0.2
Register = Callable[..., str]


@pytest.fixture
def jobs_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "redis_url": REDIS_URL,
            "jobs_queue_name": f"vaultra-test:{uuid.uuid4().hex[:12]}",
            "jobs_retry_base_seconds": RETRY_BASE,
        }
    )


@pytest.fixture
def register() -> Iterator[Register]:
    """Register a test job under a fresh name (removed afterwards); returns the name."""
    names: list[str] = []

    def add(function: JobFunction, **options: Any) -> str:
        name = f"test_{function.__name__}_{uuid.uuid4().hex[:8]}"
        job(name, **options)(function)
        names.append(name)
        return name

    yield add
    for name in names:
        JOBS.pop(name, None)


@pytest.fixture
async def arq_queue(jobs_settings: Settings) -> AsyncIterator[ArqQueue]:
    assert jobs_settings.redis_url
    queue = ArqQueue.from_url(jobs_settings.redis_url, jobs_settings.jobs_queue_name)
    yield queue
    keys = [key async for key in queue.redis.scan_iter(match=f"{queue.queue_name}*")]
    if keys:
        await queue.redis.delete(*keys)
    await queue.close()


RunWorker = Callable[..., Any]


@pytest.fixture
def run_worker(jobs_settings: Settings) -> RunWorker:
    """Run an ARQ worker in burst mode (until its queue is empty) in this event loop."""

    async def run(
        schedule: tuple[ScheduledJob, ...] = (),
        prepare: Callable[[Worker], None] | None = None,
    ) -> Worker:
        worker = create_worker(
            jobs_settings, schedule=schedule, burst=True, handle_signals=False, poll_delay=0.05
        )
        if prepare is not None:
            prepare(worker)
        previous = get_queue()
        try:
            await asyncio.wait_for(worker.async_run(), 30)
        finally:
            await worker.close()
            set_queue(previous)
        return worker

    return run


async def job_runs(db: Database, name: str) -> list[JobRun]:
    async with db.session() as session:
        result = await session.scalars(
            select(JobRun).where(JobRun.name == name).order_by(JobRun.started_at)
        )
        return list(result)
