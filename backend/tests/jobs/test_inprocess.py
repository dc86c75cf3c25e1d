"""The embedded runner: the same jobs, run in-process, with the same semantics."""

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.core.db import Database
from app.jobs.arq_queue import ArqQueue
from app.jobs.inprocess import InProcessQueue
from app.jobs.models import JobStatus
from app.jobs.registry import JobContext
from app.jobs.schedule import ScheduledJob, Scheduler
from app.main import create_app
from tests.jobs.conftest import RETRY_BASE, Register, job_runs


@pytest.fixture
async def queue(db: Database, jobs_settings: Settings) -> AsyncIterator[InProcessQueue]:
    async with httpx.AsyncClient() as http:
        queue = InProcessQueue(JobContext(db=db, settings=jobs_settings, http=http))
        yield queue
        await queue.close()


async def test_job_runs_and_is_recorded(
    db: Database, register: Register, queue: InProcessQueue
) -> None:
    async def work(ctx: JobContext, business_id: str) -> None:
        return None

    name = register(work)
    await queue.enqueue(name, business_id="b1")
    await queue.join()
    [run] = await job_runs(db, name)
    assert (run.status, run.attempt, run.args) == (JobStatus.succeeded, 1, {"business_id": "b1"})


async def test_failed_job_is_retried_with_backoff(
    db: Database, register: Register, queue: InProcessQueue
) -> None:
    async def flaky(ctx: JobContext) -> None:
        if ctx.attempt < 3:
            raise RuntimeError(f"transient {ctx.attempt}")

    name = register(flaky, max_tries=3)
    await queue.enqueue(name)
    await queue.join()
    runs = await job_runs(db, name)
    assert [(r.attempt, r.status) for r in runs] == [
        (1, JobStatus.retrying),
        (2, JobStatus.retrying),
        (3, JobStatus.succeeded),
    ]
    for previous, following in itertools.pairwise(runs):
        assert previous.finished_at is not None
        waited = (following.started_at - previous.finished_at).total_seconds()
        assert waited >= RETRY_BASE * 2 ** (previous.attempt - 1) / 2 - 0.01


async def test_last_failure_is_recorded_as_failed(
    db: Database, register: Register, queue: InProcessQueue
) -> None:
    async def broken(ctx: JobContext) -> None:
        raise ValueError("no")

    name = register(broken, max_tries=2)
    await queue.enqueue(name)
    await queue.join()
    runs = await job_runs(db, name)
    assert [(r.attempt, r.status, r.error) for r in runs] == [
        (1, JobStatus.retrying, "ValueError: no"),
        (2, JobStatus.failed, "ValueError: no"),
    ]


async def test_keyed_enqueues_collapse_into_one_run(
    db: Database, register: Register, queue: InProcessQueue
) -> None:
    async def refresh(ctx: JobContext, business_id: str) -> None:
        return None

    name = register(refresh, debounce_seconds=0.2)
    for _ in range(10):
        await queue.enqueue(name, job_key="refresh:a", business_id="a")
    await queue.enqueue(name, job_key="refresh:b", business_id="b")
    await queue.join()
    runs = await job_runs(db, name)
    assert sorted(r.args["business_id"] for r in runs) == ["a", "b"]


async def test_enqueue_during_a_run_causes_exactly_one_more_run(
    db: Database, register: Register, queue: InProcessQueue
) -> None:
    started = asyncio.Event()
    release = asyncio.Event()
    calls = 0

    async def refresh(ctx: JobContext, business_id: str) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            started.set()
            await release.wait()

    name = register(refresh, debounce_seconds=0.1)
    await queue.enqueue(name, job_key="refresh:a", business_id="a")
    await asyncio.wait_for(started.wait(), 10)
    for _ in range(3):
        await queue.enqueue(name, job_key="refresh:a", business_id="a")
    # The follow-up is due now but must wait for the first run to end.
    await asyncio.sleep(0.3)
    release.set()
    await queue.join()

    runs = await job_runs(db, name)
    assert [r.status for r in runs] == [JobStatus.succeeded] * 2
    assert runs[0].finished_at is not None
    assert runs[1].started_at >= runs[0].finished_at
    assert queue.pending == set()
    assert queue.locks == {}


async def test_scheduler_enqueues_due_jobs_as_the_clock_passes(
    db: Database, register: Register, queue: InProcessQueue
) -> None:
    async def scheduled(ctx: JobContext) -> None:
        return None

    name = register(scheduled)
    start = datetime(2026, 3, 2, 10, 7, tzinfo=UTC)
    scheduler = Scheduler(queue, (ScheduledJob(name, minute=(0, 30)),), now=start)

    assert await scheduler.tick(start.replace(minute=29)) == []
    assert await scheduler.tick(start.replace(minute=30)) == [name]
    await queue.join()
    # Asleep for hours: the missed runs collapse into one.
    assert await scheduler.tick(start.replace(hour=13, minute=5)) == [name]
    assert scheduler.next_runs == {
        ScheduledJob(name, minute=(0, 30)): start.replace(hour=13, minute=30)
    }
    await queue.join()
    runs = await job_runs(db, name)
    assert [(r.status, r.job_key) for r in runs] == [(JobStatus.succeeded, f"schedule:{name}")] * 2


async def test_scheduler_refuses_unregistered_jobs(queue: InProcessQueue) -> None:
    with pytest.raises(Exception, match="unknown job 'nope'; registered jobs: "):
        Scheduler(queue, (ScheduledJob("nope"),))


async def test_app_picks_the_queue_from_redis_url(app: FastAPI, jobs_settings: Settings) -> None:
    # No REDIS_URL (the `app` fixture): in-process, and no scheduler in tests.
    assert isinstance(app.state.queue, InProcessQueue)
    assert not app.state.settings.jobs_scheduler_enabled
    assert not _scheduler_running()

    with_redis = create_app(jobs_settings)
    async with with_redis.router.lifespan_context(with_redis):
        assert isinstance(with_redis.state.queue, ArqQueue)
        assert not _scheduler_running()

    embedded = create_app(
        jobs_settings.model_copy(update={"redis_url": None, "jobs_scheduler_enabled": True})
    )
    async with embedded.router.lifespan_context(embedded):
        assert isinstance(embedded.state.queue, InProcessQueue)
        assert _scheduler_running()
    assert not _scheduler_running()


def _scheduler_running() -> bool:
    return any(task.get_name() == "jobs:scheduler" for task in asyncio.all_tasks())


def test_scheduler_is_off_by_default_only_in_tests() -> None:
    def make(**values: object) -> Settings:
        return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]

    assert make(app_env="test").jobs_scheduler_enabled is False
    assert make(app_env="development").jobs_scheduler_enabled is True
    assert make(app_env="test", jobs_scheduler_enabled=True).jobs_scheduler_enabled is True
