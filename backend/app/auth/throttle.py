"""Sliding-window counters of failed logins, per email and per client IP.

Redis sorted sets when REDIS_URL is set (shared by every replica), else a database table.
"""

import math
import time
import uuid
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from sqlalchemy import delete, select

from app.auth.exceptions import LoginThrottled
from app.auth.models import LoginFailure
from app.core.config import Settings
from app.core.db import Database


class LoginThrottle:
    def __init__(self, settings: Settings, database: Database, redis: Redis | None) -> None:
        self.limit = settings.login_max_failures
        self.window = settings.login_window_seconds
        self.database = database
        self.redis = redis

    async def check(self, keys: list[str]) -> None:
        """Raise 429 while any key has reached the limit within the window."""
        retry_after = 0
        for key in keys:
            retry_after = max(retry_after, await self._retry_after(key))
        if retry_after:
            minutes = math.ceil(retry_after / 60)
            raise LoginThrottled(
                f"Too many failed logins. Try again in {minutes} minute(s).",
                retry_after=retry_after,
            )

    async def record_failure(self, keys: list[str]) -> None:
        now = time.time()
        if self.redis is not None:
            async with self.redis.pipeline(transaction=True) as pipe:
                for key in keys:
                    name = f"vaultra:login-failures:{key}"
                    pipe.zadd(name, {f"{now}:{uuid.uuid4().hex}": now})
                    pipe.zremrangebyscore(name, 0, now - self.window)
                    pipe.expire(name, self.window)
                await pipe.execute()
            return
        # Its own unit of work: the failed login's request rolls back, the count must stay.
        async with self.database.session() as session:
            session.add_all([LoginFailure(key=key) for key in keys])
            cutoff = datetime.now(UTC) - timedelta(seconds=self.window)
            await session.execute(delete(LoginFailure).where(LoginFailure.created_at < cutoff))

    async def clear(self, key: str) -> None:
        if self.redis is not None:
            await self.redis.delete(f"vaultra:login-failures:{key}")
            return
        async with self.database.session() as session:
            await session.execute(delete(LoginFailure).where(LoginFailure.key == key))

    async def _retry_after(self, key: str) -> int:
        """Seconds until the key drops below the limit; 0 when not throttled."""
        now = time.time()
        if self.redis is not None:
            name = f"vaultra:login-failures:{key}"
            await self.redis.zremrangebyscore(name, 0, now - self.window)
            times = [score for _, score in await self.redis.zrange(name, 0, -1, withscores=True)]
        else:
            cutoff = datetime.now(UTC) - timedelta(seconds=self.window)
            async with self.database.session() as session:
                result = await session.execute(
                    select(LoginFailure.created_at)
                    .where(LoginFailure.key == key, LoginFailure.created_at >= cutoff)
                    .order_by(LoginFailure.created_at)
                )
                times = [moment.timestamp() for moment in result.scalars()]
        if len(times) < self.limit:
            return 0
        # The window frees up when the failure that completed the limit ages out.
        blocking = float(sorted(times)[len(times) - self.limit])
        return max(1, math.ceil(blocking + self.window - now))
