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
    ScheduledJob("stripe_sync", minute=(0, 15, 30, 45)),
    # Webhooks stored but not yet processed (e.g. the enqueue after commit was lost).
    ScheduledJob("stripe_process_pending_events"),
    # Safety nets: a sync or a webhook batch already refreshes its business within seconds.
    ScheduledJob("compute_metrics", minute=0),
    ScheduledJob("compute_readiness", minute=5),
    ScheduledJob("generate_recommendations", hour=2, minute=0),
    # Morning in the Americas, afternoon in Europe.
    ScheduledJob("send_notification_digest", hour=13, minute=0),
    # Notifications: the outbox's retries and anything an enqueue after commit missed; alerts
    # no refresh brings (a sync failing for a day).
    ScheduledJob("send_email_outbox"),
    ScheduledJob("evaluate_notification_alerts", minute=10),
    ScheduledJob("prune_job_runs", hour=3, minute=30),
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
