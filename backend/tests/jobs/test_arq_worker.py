"""The ARQ worker on the real Redis: schedule, runs, retries, keyed debounce, isolation."""

import asyncio
import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from arq.worker import Worker
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.db import Database
from app.jobs.arq_queue import ArqQueue
from app.jobs.batch import for_each_business
from app.jobs.models import JobStatus
from app.jobs.queue import get_queue, set_queue
from app.jobs.registry import JobContext
from app.jobs.schedule import SCHEDULE, ScheduledJob
from app.jobs.worker import create_worker
from app.notifications.models import OutboxEmail
from tests.jobs.conftest import RETRY_BASE, Register, RunWorker, job_runs

# ARQ closes its pool with the redis client's deprecated close().
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")


async def test_worker_cron_table_is_the_schedule(jobs_settings: Settings) -> None:
    worker = create_worker(jobs_settings, handle_signals=False)
    try:
        crons = {c.name: (c.minute, c.hour, c.second) for c in worker.cron_jobs}
    finally:
        await worker.pool.aclose(close_connection_pool=True)
    assert crons == {
        "cron:stripe_sync": ({0, 15, 30, 45}, None, 0),
        "cron:stripe_process_pending_events": (None, None, 0),
        "cron:compute_metrics": (0, None, 0),
        "cron:compute_readiness": (5, None, 0),
        "cron:generate_recommendations": (0, 2, 0),
        "cron:send_notification_digest": (0, 13, 0),
        "cron:send_email_outbox": (None, None, 0),
        "cron:evaluate_notification_alerts": (10, None, 0),
        "cron:prune_job_runs": (30, 3, 0),
    }
    assert {entry.name for entry in SCHEDULE} <= set(worker.functions)
    assert all(c.unique for c in worker.cron_jobs)


def test_schedule_next_runs() -> None:
    at = datetime(2026, 3, 2, 10, 7, 30, tzinfo=UTC)
    by_name = {entry.name: entry for entry in SCHEDULE}
    assert by_name["stripe_sync"].next_run(at) == at.replace(minute=15, second=0)
    assert by_name["stripe_process_pending_events"].next_run(at) == at.replace(minute=8, second=0)
    assert by_name["compute_readiness"].next_run(at) == at.replace(hour=11, minute=5, second=0)
    assert by_name["generate_recommendations"].next_run(at) == datetime(
        2026, 3, 3, 2, 0, tzinfo=UTC
    )


async def test_cron_enqueues_the_job_which_runs(
    db: Database, register: Register, run_worker: RunWorker
) -> None:
    async def scheduled(ctx: JobContext) -> None:
        return None

    name = register(scheduled)

    def fire_now(worker: Worker) -> None:
        worker.cron_jobs[0].run_at_startup = True

    await run_worker(schedule=(ScheduledJob(name, hour=0, minute=0),), prepare=fire_now)
    runs = await job_runs(db, name)
    assert [(r.status, r.job_key) for r in runs] == [(JobStatus.succeeded, f"schedule:{name}")]


async def test_enqueued_job_runs_and_is_recorded(
    db: Database, register: Register, arq_queue: ArqQueue, run_worker: RunWorker
) -> None:
    seen: list[uuid.UUID] = []

    async def work(ctx: JobContext, business_id: uuid.UUID) -> None:
        seen.append(business_id)

    name = register(work)
    business_id = uuid.uuid4()
    await arq_queue.enqueue(name, business_id=business_id)
    await run_worker()

    assert seen == [business_id]
    [run] = await job_runs(db, name)
    assert run.status == JobStatus.succeeded
    assert run.args == {"business_id": str(business_id)}
    assert (run.attempt, run.error, run.job_key) == (1, None, None)
    assert run.finished_at is not None
    assert run.finished_at.tzinfo is not None
    assert run.duration_ms is not None


async def test_failed_job_is_retried_with_backoff(
    db: Database, register: Register, arq_queue: ArqQueue, run_worker: RunWorker
) -> None:
    calls: list[int] = []

    async def flaky(ctx: JobContext) -> None:
        calls.append(ctx.attempt)
        if len(calls) < 3:
            raise RuntimeError(f"transient {len(calls)}")

    name = register(flaky, max_tries=3)
    await arq_queue.enqueue(name)
    await run_worker()

    assert calls == [1, 2, 3]
    runs = await job_runs(db, name)
    assert [(r.attempt, r.status) for r in runs] == [
        (1, JobStatus.retrying),
        (2, JobStatus.retrying),
        (3, JobStatus.succeeded),
    ]
    assert runs[0].error == "RuntimeError: transient 1"
    for previous, following in itertools.pairwise(runs):
        assert previous.finished_at is not None
        waited = (following.started_at - previous.finished_at).total_seconds()
        # Jitter keeps the delay within [1/2, 1] of base * 2^(attempt - 1).
        assert waited >= RETRY_BASE * 2 ** (previous.attempt - 1) / 2 - 0.01


async def test_last_failure_is_recorded_without_secrets(
    db: Database, register: Register, arq_queue: ArqQueue, run_worker: RunWorker
) -> None:
    async def broken(ctx: JobContext) -> None:
        # Built at run time, so the repository holds nothing shaped like a live key.
        raise ValueError("stripe said no to " + "sk_live_" + "abc123DEF456 " + "x" * 5000)

    name = register(broken, max_tries=2)
    await arq_queue.enqueue(name)
    worker = await run_worker()

    runs = await job_runs(db, name)
    assert [(r.attempt, r.status) for r in runs] == [
        (1, JobStatus.retrying),
        (2, JobStatus.failed),
    ]
    error = runs[1].error or ""
    assert error.startswith("ValueError: stripe said no to [redacted] xxx")
    assert len(error) <= 2000
    assert worker.jobs_failed == 1


async def test_one_business_failing_does_not_stop_the_others(
    db: Database, register: Register, arq_queue: ArqQueue, run_worker: RunWorker
) -> None:
    ids = [uuid.uuid4() for _ in range(3)]
    bad = ids[1]

    async def step(session: AsyncSession, business_id: uuid.UUID) -> None:
        # Written in the business's own unit of work: kept for the others, rolled back for `bad`.
        session.add(OutboxEmail(to=f"{business_id}@example.com", subject="s", body="b"))
        await session.flush()
        if business_id == bad:
            raise RuntimeError("bad data")

    async def sweep(ctx: JobContext) -> None:
        await for_each_business(ctx, ids, step)

    name = register(sweep, max_tries=1)
    await arq_queue.enqueue(name)
    await run_worker()

    [run] = await job_runs(db, name)
    assert run.status == JobStatus.failed
    assert run.error == f"BusinessesFailed: 1 of 3 businesses failed: {bad}: RuntimeError: bad data"
    async with db.session() as session:
        written = set(await session.scalars(select(OutboxEmail.to)))
    assert written == {f"{ids[0]}@example.com", f"{ids[2]}@example.com"}


async def test_keyed_enqueues_collapse_into_one_run(
    db: Database, register: Register, arq_queue: ArqQueue, run_worker: RunWorker
) -> None:
    seen: list[str] = []

    async def refresh(ctx: JobContext, business_id: str) -> None:
        seen.append(business_id)

    name = register(refresh, debounce_seconds=0.3)
    for _ in range(5):
        await arq_queue.enqueue(name, job_key="refresh:a", business_id="a")
    await arq_queue.enqueue(name, job_key="refresh:b", business_id="b")
    await run_worker()

    assert sorted(seen) == ["a", "b"]
    assert len(await job_runs(db, name)) == 2


async def test_enqueue_during_a_run_causes_exactly_one_more_run(
    db: Database, register: Register, arq_queue: ArqQueue, run_worker: RunWorker
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

    name = register(refresh, debounce_seconds=0.2)
    await arq_queue.enqueue(name, job_key="refresh:a", business_id="a")
    worker = asyncio.create_task(run_worker())
    await asyncio.wait_for(started.wait(), 10)
    for _ in range(3):
        await arq_queue.enqueue(name, job_key="refresh:a", business_id="a")
    # The follow-up comes due while the first run still holds the key: it must wait its turn,
    # and stays the one pending run while it waits.
    await asyncio.sleep(0.6)
    await arq_queue.enqueue(name, job_key="refresh:a", business_id="a")
    release.set()
    await worker

    runs = await job_runs(db, name)
    assert [(r.status, r.attempt) for r in runs] == [(JobStatus.succeeded, 1)] * 2
    assert runs[0].finished_at is not None
    assert runs[1].started_at >= runs[0].finished_at


async def test_two_workers_run_each_cron_slot_once(
    db: Database, register: Register, jobs_settings: Settings
) -> None:
    ran = asyncio.Event()

    async def scheduled(ctx: JobContext) -> None:
        ran.set()

    name = register(scheduled)
    slot = datetime.now(UTC) + timedelta(seconds=1)
    workers = [
        create_worker(
            jobs_settings,
            schedule=(ScheduledJob(name, hour=0, minute=0),),
            handle_signals=False,
            poll_delay=0.05,
        )
        for _ in range(2)
    ]
    for worker in workers:
        # Both replicas reach the same slot; ARQ's cron job id is derived from it.
        worker.cron_jobs[0].next_run = slot
    previous = get_queue()
    running = [asyncio.create_task(worker.async_run()) for worker in workers]
    try:
        await asyncio.wait_for(ran.wait(), 10)
        # Time for a duplicate to show up, were there one.
        await asyncio.sleep(0.5)
    finally:
        for worker in workers:
            await worker.close()
        await asyncio.gather(*running, return_exceptions=True)
        set_queue(previous)

    runs = await job_runs(db, name)
    assert [r.status for r in runs] == [JobStatus.succeeded]
    assert sum(w.jobs_complete for w in workers) == 2  # one tick, one run
