"""Where jobs go: ARQ on Redis at scale, an in-process runner in the embedded default.

The process picks one queue at start-up (`set_queue`); services enqueue through
`enqueue_after_commit`, so a job never runs before the data it needs is committed.
"""

import logging
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import after_commit

logger = logging.getLogger("vaultra.jobs")


class QueueUnavailable(Exception):
    """The queue could not take the job (Redis down or hung). Work enqueued after a commit is
    not lost with it: each such job has a scheduled sweeper that finds the work undone."""


class JobQueue(Protocol):
    async def enqueue(self, name: str, *, job_key: str | None = None, **kwargs: Any) -> None: ...


class DroppingQueue:
    """No runner configured (e.g. a one-off CLI): jobs are logged and left to the sweepers."""

    async def enqueue(self, name: str, *, job_key: str | None = None, **kwargs: Any) -> None:
        logger.info("job not enqueued: no queue", extra={"job": name, "job_args": kwargs})


_queue: JobQueue = DroppingQueue()


def set_queue(queue: JobQueue) -> None:
    global _queue
    _queue = queue


def get_queue() -> JobQueue:
    return _queue


async def enqueue(name: str, *, job_key: str | None = None, **kwargs: Any) -> None:
    await _queue.enqueue(name, job_key=job_key, **kwargs)


def enqueue_after_commit(
    session: AsyncSession, name: str, *, job_key: str | None = None, **kwargs: Any
) -> None:
    """Enqueue once the caller's unit of work commits; nothing is enqueued on rollback."""

    async def _enqueue() -> None:
        try:
            await enqueue(name, job_key=job_key, **kwargs)
        except QueueUnavailable as error:
            # One line, not a trace: during an outage every commit ends up here.
            logger.warning(
                "job not enqueued: the queue is unavailable; its sweeper will do the work",
                extra={"job": name, "error": str(error.__cause__ or error)},
            )

    after_commit(session, _enqueue)
