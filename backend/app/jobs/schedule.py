"""The schedule (one table, used by the ARQ worker's cron and by the in-process scheduler).

Times are UTC. A scheduled run is enqueued with the key `schedule:NAME`, so a run that overlaps
the next tick is followed by one more run instead of running twice at once.
"""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from arq.cron import next_cron

from app.core.db import utcnow
from app.jobs.names import (
    COMPUTE_METRICS,
    COMPUTE_READINESS,
    EVALUATE_NOTIFICATION_ALERTS,
    GENERATE_RECOMMENDATIONS,
    PRUNE_JOB_RUNS,
    SEND_EMAIL_OUTBOX,
    SEND_NOTIFICATION_DIGEST,
    STRIPE_PROCESS_PENDING_EVENTS,
    STRIPE_SYNC,
)
from app.jobs.queue import JobQueue
from app.jobs.registry import get_job

logger = logging.getLogger("vaultra.jobs")

Minutes = int | tuple[int, ...] | None


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    # None: every minute / every hour.
    minute: Minutes = None
    hour: Minutes = None

    def cron_options(self) -> dict[str, Any]:
        """ARQ's cron fields (it wants sets, not tuples)."""
        return {
            "minute": set(self.minute) if isinstance(self.minute, tuple) else self.minute,
            "hour": set(self.hour) if isinstance(self.hour, tuple) else self.hour,
            "second": 0,
        }

    def next_run(self, after: datetime) -> datetime:
        return next_cron(after, microsecond=0, **self.cron_options())


SCHEDULE: tuple[ScheduledJob, ...] = (
    ScheduledJob(STRIPE_SYNC, minute=(0, 15, 30, 45)),
    # Webhooks stored but not yet processed (e.g. the enqueue after commit was lost).
    ScheduledJob(STRIPE_PROCESS_PENDING_EVENTS),
    # Safety nets: a sync or a webhook batch already refreshes its business within seconds.
    ScheduledJob(COMPUTE_METRICS, minute=0),
    ScheduledJob(COMPUTE_READINESS, minute=5),
    ScheduledJob(GENERATE_RECOMMENDATIONS, hour=2, minute=0),
    # Morning in the Americas, afternoon in Europe.
    ScheduledJob(SEND_NOTIFICATION_DIGEST, hour=13, minute=0),
    # Notifications: the outbox's retries and anything an enqueue after commit missed; alerts
    # no refresh brings (a sync failing for a day).
    ScheduledJob(SEND_EMAIL_OUTBOX),
    ScheduledJob(EVALUATE_NOTIFICATION_ALERTS, minute=10),
    ScheduledJob(PRUNE_JOB_RUNS, hour=3, minute=30),
)


def schedule_key(name: str) -> str:
    return f"schedule:{name}"


def check_schedule(schedule: Sequence[ScheduledJob]) -> None:
    """Fail at start-up, not silently at run time, when a scheduled job isn't registered."""
    for entry in schedule:
        get_job(entry.name)


class Scheduler:
    """The embedded default's cron: enqueues each job when due (see SCHEDULE)."""

    def __init__(
        self,
        queue: JobQueue,
        schedule: Sequence[ScheduledJob] = SCHEDULE,
        *,
        now: datetime | None = None,
    ) -> None:
        check_schedule(schedule)
        self.queue = queue
        start = now or utcnow()
        self.next_runs = {entry: entry.next_run(start) for entry in schedule}
        self.task: asyncio.Task[None] | None = None

    async def tick(self, now: datetime) -> list[str]:
        """Enqueue the jobs due at `now`; returns their names. Missed runs collapse into one."""
        due = [entry for entry, at in self.next_runs.items() if at <= now]
        for entry in due:
            self.next_runs[entry] = entry.next_run(now)
            try:
                await self.queue.enqueue(entry.name, job_key=schedule_key(entry.name))
            except Exception:
                logger.exception("scheduled enqueue failed", extra={"job": entry.name})
        return [entry.name for entry in due]

    async def run(self) -> None:
        while True:
            await self.tick(utcnow())
            wake = min(self.next_runs.values())
            await asyncio.sleep(max((wake - utcnow()).total_seconds(), 0.0))

    def start(self) -> None:
        self.task = asyncio.create_task(self.run(), name="jobs:scheduler")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
