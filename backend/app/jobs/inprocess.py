"""The embedded runner: jobs run as asyncio tasks in the API process, with retries.

Keyed jobs behave as on the ARQ worker: while a run of a key waits to start, enqueueing the key
again adds nothing (that run will see the new data); an enqueue while the key runs queues exactly
one follow-up run, started after the current one ends.
"""

import asyncio
from typing import Any

from app.jobs.registry import JobContext, JobSpec, get_job
from app.jobs.runs import retry_delay, run_attempt


class InProcessQueue:
    def __init__(self, context: JobContext) -> None:
        self.context = context
        self.tasks: set[asyncio.Task[Any]] = set()
        # Keys with a run waiting to start.
        self.pending: set[str] = set()
        # One run of a key at a time; its follow-up waits on the lock.
        self.locks: dict[str, asyncio.Lock] = {}

    async def enqueue(self, name: str, *, job_key: str | None = None, **kwargs: Any) -> None:
        spec = get_job(name)
        if job_key is not None:
            if job_key in self.pending:
                return
            self.pending.add(job_key)
        task = asyncio.create_task(self._run(spec, job_key, kwargs), name=f"job:{name}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, spec: JobSpec, job_key: str | None, kwargs: dict[str, Any]) -> None:
        await asyncio.sleep(spec.debounce_seconds)
        if job_key is None:
            await self._attempts(spec, job_key, kwargs)
            return
        lock = self.locks.setdefault(job_key, asyncio.Lock())
        try:
            async with lock:
                # From here on, an enqueue of the key queues a follow-up run.
                self.pending.discard(job_key)
                await self._attempts(spec, job_key, kwargs)
        finally:
            if job_key not in self.pending and not lock.locked():
                self.locks.pop(job_key, None)

    async def _attempts(self, spec: JobSpec, job_key: str | None, kwargs: dict[str, Any]) -> None:
        for attempt in range(1, spec.max_tries + 1):
            try:
                await run_attempt(
                    self.context,
                    spec,
                    kwargs,
                    job_key=job_key,
                    attempt=attempt,
                    final=attempt == spec.max_tries,
                )
                return
            except Exception:
                # Logged and recorded by run_attempt.
                if attempt == spec.max_tries:
                    return
            base = self.context.settings.jobs_retry_base_seconds
            await asyncio.sleep(retry_delay(base, attempt))

    async def join(self, limit_seconds: float = 60.0) -> None:
        """Wait until no job is running or waiting (tests, shutdown)."""
        async with asyncio.timeout(limit_seconds):
            while self.tasks:
                await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
