"""Imports every module's jobs so they register (the worker and the in-process runner use this).

Also the jobs module's own housekeeping job.
"""

from datetime import timedelta

from app.core.db import utcnow
from app.jobs import pipeline as _pipeline  # noqa: F401
from app.jobs.names import PRUNE_JOB_RUNS
from app.jobs.registry import JobContext, job
from app.jobs.runs import prune_runs
from app.metrics import tasks as _metrics_tasks  # noqa: F401
from app.notifications import tasks as _notifications_tasks  # noqa: F401
from app.recommendations import tasks as _recommendations_tasks  # noqa: F401
from app.stripe import tasks as _stripe_tasks  # noqa: F401

JOB_RUNS_RETENTION = timedelta(days=30)


@job(PRUNE_JOB_RUNS)
async def prune_job_runs(ctx: JobContext) -> int:
    """Forget runs older than the retention period (the every-minute sweeper adds 1,440 a day)."""
    async with ctx.db.session() as session:
        return await prune_runs(session, before=utcnow() - JOB_RUNS_RETENTION)
