"""The ARQ worker (`vaultra worker`), built from the job registry and SCHEDULE."""

import asyncio
import contextlib
import logging
import socket
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC
from typing import Any, cast

from arq import Retry
from arq.cron import CronJob, cron
from arq.typing import WorkerCoroutine
from arq.worker import Function, Worker, func
from redis.exceptions import RedisError

from app.core.config import Settings
from app.core.observability import init_error_reporting, serve_metrics
from app.jobs import tasks as _registered_jobs  # noqa: F401  (every module's jobs register on import)
from app.jobs.arq_queue import ArqQueue
from app.jobs.queue import set_queue
from app.jobs.registry import JOBS, JobContext, JobSpec
from app.jobs.runs import job_context, retry_delay, run_attempt
from app.jobs.schedule import SCHEDULE, ScheduledJob, check_schedule, schedule_key
from app.stripe.monitoring import read_operational_state

logger = logging.getLogger("vaultra.jobs")

RUNTIME = "vaultra"
# ARQ's own timeout is a backstop: the runner's (spec.timeout_seconds) fires first and is recorded.
TIMEOUT_GRACE_SECONDS = 60
# Longest pause between checks while a keyed run waits for the key's current run to end.
MAX_WAIT_SECONDS = 60.0
# While Redis is unreachable, the worker tries it again this often.
REDIS_RETRY_SECONDS = 1.0
# How often a worker refreshes its health key (ARQ writes it from its poll loop; default 1 h).
HEALTH_CHECK_SECONDS = 30


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
        # This process's job metrics, and the gauges an operator alerts on (deploy/README.md).
        await resources.enter_async_context(
            serve_metrics(
                settings.metrics_port,
                lambda: read_operational_state(context.db),
                refresh_seconds=settings.metrics_refresh_seconds,
            )
        )
        # Jobs enqueue follow-ups (e.g. refresh after a sync) onto the same queue.
        set_queue(queue)
        ctx[RUNTIME] = WorkerRuntime(context, queue, resources)

    async def shutdown(ctx: dict[str, Any]) -> None:
        runtime: WorkerRuntime = ctx[RUNTIME]
        await runtime.resources.aclose()

    return ResilientWorker(
        settings.jobs_lease_seconds,
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
        # Each worker process keeps its own key alive (`vaultra worker --check` reads it): ARQ's
        # default key is shared by the queue, so one live worker would vouch for a hung one.
        health_check_key=health_check_key(settings),
        health_check_interval=HEALTH_CHECK_SECONDS,
    )


def health_check_key(settings: Settings) -> str:
    """The worker's health key: per host, i.e. per pod (the liveness probe runs in the pod)."""
    return f"{settings.jobs_queue_name}:health-check:{socket.gethostname()}"


async def check_health(settings: Settings) -> bool:
    """Whether this host's worker wrote its health key within the last HEALTH_CHECK_SECONDS.

    The key expires a second after its interval, so a worker whose poll loop hangs, or that
    has been waiting for Redis that long, fails the check; so does an unreachable Redis.
    """
    if not settings.redis_url:
        return False
    queue = ArqQueue.from_url(settings.redis_url, settings.jobs_queue_name)
    try:
        return bool(await queue.redis.exists(health_check_key(settings)))
    except (RedisError, OSError):
        return False
    finally:
        await queue.close()


class ResilientWorker(Worker):
    """ARQ's worker, made to let go of a dead worker's jobs soon and to outlive Redis outages.

    - ARQ claims a job for its registry's longest timeout plus 10 s (here 6 hours, the Stripe
      sync's), so a job whose worker was killed would run again only hours later. Here a claim
      lasts `lease_seconds` and the running job renews it (`_renew_claims`).
    - ARQ stops at the first Redis error of its poll loop, and a worker that starts while Redis
      is down stops at once; this one waits for Redis and then goes on. Running jobs keep
      running meanwhile (they need only the database).

    Both reach into ARQ's internals (pinned: arq==0.28.0).
    """

    def __init__(self, lease_seconds: float, **options: Any) -> None:
        super().__init__(**options)
        self.in_progress_timeout_s = lease_seconds
        self.redis_down = False

    async def main(self) -> None:
        await self._until_redis_answers()
        await super().main()

    async def _until_redis_answers(self) -> None:
        while True:
            try:
                await self.pool.ping()
            except (RedisError, OSError) as error:
                self._redis_failed(error)
                await asyncio.sleep(REDIS_RETRY_SECONDS)
                continue
            self._redis_answered()
            return

    async def _poll_iteration(self) -> None:
        try:
            await super()._poll_iteration()
        except (RedisError, OSError) as error:
            self._redis_failed(error)
            await asyncio.sleep(REDIS_RETRY_SECONDS)
            return
        self._redis_answered()

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        try:
            await super().start_jobs(job_ids)
        except (RedisError, OSError):
            # ARQ had counted the job it was starting (its slot among max_jobs) and nothing
            # would give the slot back: after ten such failures the worker would run nothing.
            self._release_sem_dec_counter_on_complete()
            raise

    def _redis_failed(self, error: BaseException) -> None:
        if not self.redis_down:
            logger.warning(
                "redis unavailable: the worker waits for it", extra={"error": str(error)}
            )
        self.redis_down = True

    def _redis_answered(self) -> None:
        if self.redis_down:
            logger.info("redis is back: the worker resumes")
        self.redis_down = False


async def _renew_claims(queue: ArqQueue, job_id: str, job_key: str | None, lease: float) -> None:
    """Renew a running job's claims every third of their lease, until cancelled."""
    while True:
        try:
            await queue.renew_run(job_id, job_key, lease)
        except (RedisError, OSError):
            # Tried again shortly; if Redis stays away longer than the lease, another worker
            # may run the job again (jobs are idempotent).
            logger.warning("could not renew a job's claim", extra={"job_id": job_id})
        await asyncio.sleep(lease / 3)


def _function(spec: JobSpec) -> Function:
    async def run(
        ctx: dict[str, Any], job_key: str | None, kwargs: dict[str, Any], waits: int
    ) -> Any:
        runtime: WorkerRuntime = ctx[RUNTIME]
        attempt: int = ctx["job_try"]
        token: str = ctx["job_id"]
        lease = runtime.context.settings.jobs_lease_seconds
        if job_key is not None and not await runtime.queue.start_run(job_key, token, lease):
            # Another run of the key is in progress: check again later (backing off, as
            # that run may take hours), keeping this run's attempt number.
            wait = min(max(spec.debounce_seconds, 1.0) * 2**waits, MAX_WAIT_SECONDS)
            await runtime.queue.requeue_waiting(
                spec.name, job_key, kwargs, defer_seconds=wait, attempt=attempt, waits=waits + 1
            )
            return None
        final = attempt >= spec.max_tries
        renewal = asyncio.create_task(_renew_claims(runtime.queue, token, job_key, lease))
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
            renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewal
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
    dsn = settings.sentry_dsn.get_secret_value() if settings.sentry_dsn else None
    init_error_reporting(dsn, environment=settings.app_env, release=settings.sentry_release)
    create_worker(settings).run()
