"""The ARQ worker (`vaultra worker`), built from the job registry and SCHEDULE."""

import logging
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC
from typing import Any, cast

from arq import Retry
from arq.cron import CronJob, cron
from arq.typing import WorkerCoroutine
from arq.worker import Function, Worker, func

from app.core.config import Settings
from app.jobs.arq_queue import ArqQueue
from app.jobs.queue import set_queue
from app.jobs.registry import JOBS, JobContext, JobSpec
from app.jobs.runs import job_context, retry_delay, run_attempt
from app.jobs.schedule import SCHEDULE, ScheduledJob, check_schedule, schedule_key

logger = logging.getLogger("vaultra.jobs")

RUNTIME = "vaultra"
# ARQ's own timeout is a backstop: the runner's (spec.timeout_seconds) fires first and is recorded.
TIMEOUT_GRACE_SECONDS = 60
# Longest pause between checks while a keyed run waits for the key's current run to end.
MAX_WAIT_SECONDS = 60.0


@dataclass
class WorkerRuntime:
    context: JobContext
    queue: ArqQueue
    resources: AsyncExitStack


def create_worker(
    settings: Settings,
    *,
    schedule: Sequence[ScheduledJob] = SCHEDULE,
    burst: bool = False,
    handle_signals: bool = True,
    poll_delay: float = 0.5,
) -> Worker:
    if not settings.redis_url:
        raise ValueError("REDIS_URL is not set: without it the API runs jobs in-process")
    check_schedule(schedule)
    queue = ArqQueue.from_url(settings.redis_url, settings.jobs_queue_name)

    async def startup(ctx: dict[str, Any]) -> None:
        resources = AsyncExitStack()
        context = await resources.enter_async_context(job_context(settings))
        # Jobs enqueue follow-ups (e.g. refresh after a sync) onto the same queue.
        set_queue(queue)
        ctx[RUNTIME] = WorkerRuntime(context, queue, resources)

    async def shutdown(ctx: dict[str, Any]) -> None:
        runtime: WorkerRuntime = ctx[RUNTIME]
        await runtime.resources.aclose()

    return Worker(
        functions=[_function(spec) for spec in JOBS.values()],
        cron_jobs=[_cron_job(entry) for entry in schedule],
        queue_name=settings.jobs_queue_name,
        redis_pool=queue.redis,
        burst=burst,
        handle_signals=handle_signals,
        poll_delay=poll_delay,
        on_startup=startup,
        on_shutdown=shutdown,
        # job_runs is the record; ARQ results would also keep a finished job's id taken.
        keep_result=0,
        timezone=UTC,
    )


def _function(spec: JobSpec) -> Function:
    async def run(
        ctx: dict[str, Any], job_key: str | None, kwargs: dict[str, Any], waits: int
    ) -> Any:
        runtime: WorkerRuntime = ctx[RUNTIME]
        attempt: int = ctx["job_try"]
        token: str = ctx["job_id"]
        if job_key is not None:
            lease = spec.timeout_seconds + TIMEOUT_GRACE_SECONDS
            if not await runtime.queue.start_run(job_key, token, lease):
                # Another run of the key is in progress: check again later (backing off, as
                # that run may take hours), keeping this run's attempt number.
                wait = min(max(spec.debounce_seconds, 1.0) * 2**waits, MAX_WAIT_SECONDS)
                await runtime.queue.requeue_waiting(
                    spec.name, job_key, kwargs, defer_seconds=wait, attempt=attempt, waits=waits + 1
                )
                return None
        final = attempt >= spec.max_tries
        try:
            return await run_attempt(
                runtime.context, spec, kwargs, job_key=job_key, attempt=attempt, final=final
            )
        except Exception as exc:
            if final:
                raise
            base = runtime.context.settings.jobs_retry_base_seconds
            raise Retry(defer=retry_delay(base, attempt)) from exc
        finally:
            if job_key is not None:
                await runtime.queue.end_run(job_key, token)

    return func(
        cast(WorkerCoroutine, run),
        name=spec.name,
        timeout=spec.timeout_seconds + TIMEOUT_GRACE_SECONDS,
        max_tries=spec.max_tries,
        keep_result=0,
    )


def _cron_job(entry: ScheduledJob) -> CronJob:
    """ARQ's cron only enqueues: the run itself is an ordinary keyed job, retried and recorded.

    The cron job's id is unique per slot, so with several workers each slot is enqueued once.
    """

    async def tick(ctx: dict[str, Any]) -> None:
        runtime: WorkerRuntime = ctx[RUNTIME]
        await runtime.queue.enqueue(entry.name, job_key=schedule_key(entry.name))

    return cron(
        cast(WorkerCoroutine, tick),
        name=f"cron:{entry.name}",
        **entry.cron_options(),
        max_tries=1,
    )


def run_worker(settings: Settings) -> None:
    logger.info("worker starting", extra={"queue": settings.jobs_queue_name})
    create_worker(settings).run()
