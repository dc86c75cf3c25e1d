"""The embedded runner: jobs run as asyncio tasks in the API process, with retries."""

import asyncio
import logging
import random
from typing import Any

from app.jobs.registry import JOBS, JobContext

logger = logging.getLogger("vaultra.jobs")


class InProcessQueue:
    def __init__(self, context: JobContext, *, retry_base_seconds: float = 1.0) -> None:
        self.context = context
        self.retry_base_seconds = retry_base_seconds
        self.tasks: set[asyncio.Task[Any]] = set()
        # A key already queued or running is not queued again (e.g. one sync per business).
        self.active_keys: set[str] = set()

    async def enqueue(self, name: str, *, job_key: str | None = None, **kwargs: Any) -> None:
        if name not in JOBS:
            raise KeyError(f"unknown job {name!r}")
        if job_key is not None:
            if job_key in self.active_keys:
                return
            self.active_keys.add(job_key)
        task = asyncio.create_task(self._run(name, job_key, kwargs), name=f"job:{name}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, name: str, job_key: str | None, kwargs: dict[str, Any]) -> None:
        spec = JOBS[name]
        try:
            for attempt in range(1, spec.max_tries + 1):
                context = JobContext(
                    db=self.context.db,
                    settings=self.context.settings,
                    http=self.context.http,
                    attempt=attempt,
                )
                try:
                    await asyncio.wait_for(spec.function(context, **kwargs), spec.timeout_seconds)
                    return
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.exception("job failed", extra={"job": name, "attempt": attempt})
                    if attempt == spec.max_tries:
                        return
                    delay = self.retry_base_seconds * 2 ** (attempt - 1)
                    await asyncio.sleep(delay * (0.5 + random.random()))  # noqa: S311
        finally:
            if job_key is not None:
                self.active_keys.discard(job_key)

    async def join(self, limit_seconds: float = 60.0) -> None:
        """Wait until no job is running (tests, shutdown)."""
        async with asyncio.timeout(limit_seconds):
            while self.tasks:
                await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
