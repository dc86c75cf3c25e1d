"""The queue at scale: jobs go to ARQ in Redis and a `vaultra worker` process runs them.

Keyed jobs get the same semantics as in-process (see `app.jobs.inprocess`) from two Redis keys
per job key: `pending` (a run is queued and hasn't started: enqueues add nothing) and `running`
(a lease: one run of the key at a time). ARQ's own job ids can't express "one more run after the
current one", since a job's id stays taken until it finishes.
"""

import contextlib
import uuid
from typing import Any

from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix
from redis.exceptions import RedisError

from app.core.redis import create_pool
from app.jobs.queue import QueueUnavailable
from app.jobs.registry import JobSpec, get_job

# A pending marker outlives any normal wait for a worker; if a worker is down longer, a second
# run may be queued, which idempotent jobs tolerate.
PENDING_TTL_SECONDS = 600
# Compare-and-delete, so a run whose lease expired can't release its successor's.
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"
# Compare-and-extend, likewise.
_RENEW = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
)


class ArqQueue:
    def __init__(self, redis: ArqRedis, queue_name: str) -> None:
        self.redis = redis
        self.queue_name = queue_name

    @classmethod
    def from_url(cls, url: str, queue_name: str) -> "ArqQueue":
        """Connects lazily: the API starts even if Redis is briefly unavailable."""
        return cls(ArqRedis(create_pool(url), default_queue_name=queue_name), queue_name)

    async def enqueue(self, name: str, *, job_key: str | None = None, **kwargs: Any) -> None:
        """Raises QueueUnavailable when Redis can't be reached."""
        spec = get_job(name)
        try:
            await self._enqueue(spec, job_key, kwargs)
        except (RedisError, OSError) as error:
            raise QueueUnavailable(f"job {name} not enqueued") from error

    async def _enqueue(self, spec: JobSpec, job_key: str | None, kwargs: dict[str, Any]) -> None:
        name = spec.name
        if job_key is not None:
            marker = self._key("pending", job_key)
            if not await self.redis.set(marker, b"1", nx=True, ex=PENDING_TTL_SECONDS):
                return
            try:
                await self.push(name, job_key, kwargs, defer_seconds=spec.debounce_seconds)
            except BaseException:
                with contextlib.suppress(Exception):
                    await self.redis.delete(marker)
                raise
            return
        await self.push(name, None, kwargs, defer_seconds=spec.debounce_seconds)

    async def push(
        self,
        name: str,
        job_key: str | None,
        kwargs: dict[str, Any],
        *,
        defer_seconds: float,
        attempt: int | None = None,
        waits: int = 0,
    ) -> None:
        """Put one run on the ARQ queue (the worker calls the job's wrapper with these args).

        `waits` counts how often the run already found its key busy (see the worker).
        """
        job_id = uuid.uuid4().hex if job_key is None else f"{job_key}:{uuid.uuid4().hex}"
        await self.redis.enqueue_job(
            name,
            job_key,
            kwargs,
            waits,
            _job_id=job_id,
            _queue_name=self.queue_name,
            _defer_by=defer_seconds or None,
            _job_try=attempt,
        )

    async def requeue_waiting(
        self,
        name: str,
        job_key: str,
        kwargs: dict[str, Any],
        *,
        defer_seconds: float,
        attempt: int,
        waits: int,
    ) -> None:
        """Queue again a run that found its key busy; it stays the key's pending run, however
        long the current run takes."""
        await self.redis.set(self._key("pending", job_key), b"1", ex=PENDING_TTL_SECONDS)
        await self.push(
            name, job_key, kwargs, defer_seconds=defer_seconds, attempt=attempt, waits=waits
        )

    async def start_run(self, job_key: str, token: str, lease_seconds: float) -> bool:
        """Take the key's run lease; False when another run of the key holds it."""
        running = self._key("running", job_key)
        if not await self.redis.set(running, token, nx=True, px=round(lease_seconds * 1000)):
            return False
        # The queued run is now this one: the next enqueue queues a follow-up.
        await self.redis.delete(self._key("pending", job_key))
        return True

    async def renew_run(self, job_id: str, job_key: str | None, lease_seconds: float) -> None:
        """Extend a running job's claims: ARQ's (so no worker starts it again) and, for a keyed
        run, the key's lease. Both lapse `lease_seconds` after the last renewal."""
        milliseconds = round(lease_seconds * 1000)
        await self.redis.pexpire(in_progress_key_prefix + job_id, milliseconds)
        if job_key is not None:
            running = self._key("running", job_key)
            await self.redis.eval(_RENEW, 1, running, job_id, str(milliseconds))  # type: ignore[misc]

    async def end_run(self, job_key: str, token: str) -> None:
        await self.redis.eval(_RELEASE, 1, self._key("running", job_key), token)  # type: ignore[misc]

    def _key(self, kind: str, job_key: str) -> str:
        return f"{self.queue_name}:{kind}:{job_key}"

    async def close(self) -> None:
        await self.redis.aclose(close_connection_pool=True)
