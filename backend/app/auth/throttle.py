"""Sliding-window counters of failed logins, per email and per client IP.

Redis sorted sets when REDIS_URL is set (shared by every replica), else a database table. When
Redis can't be reached, the table stands in for it, so an outage neither locks everyone out (a
500 on every login) nor lifts the limit. Failures counted in the table during an outage are not
seen again once Redis answers.
"""

import logging
import math
import time
import uuid
from datetime import UTC, datetime

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import delete, select

from app.auth.exceptions import LoginThrottled
from app.auth.models import LoginFailure
from app.core.config import Settings
from app.core.db import Database

logger = logging.getLogger("vaultra.auth")


class LoginThrottle:
    def __init__(self, settings: Settings, database: Database, redis: Redis | None) -> None:
        self.limit = settings.login_max_failures
        self.window = settings.login_window_seconds
        self.database = database
        self.redis = redis

    async def check(self, keys: list[str]) -> None:
        """Raise 429 while any key has reached the limit within the window."""
        now = time.time()
        failures = await self._recent_failures(keys, now)
        retry_after = max((self._retry_after(times, now) for times in failures), default=0)
        if retry_after:
            minutes = math.ceil(retry_after / 60)
            raise LoginThrottled(
                f"Too many failed logins. Try again in {minutes} minute(s).",
                retry_after=retry_after,
            )

    async def record_failure(self, keys: list[str]) -> None:
        now = time.time()
        if self.redis is not None:
            try:
                async with self.redis.pipeline(transaction=True) as pipe:
                    for key in keys:
                        name = _redis_key(key)
                        pipe.zadd(name, {f"{now}:{uuid.uuid4().hex}": now})
                        pipe.zremrangebyscore(name, 0, now - self.window)
                        pipe.expire(name, self.window)
                    await pipe.execute()
                return
            except (RedisError, OSError) as error:
                _redis_unavailable(error)
        # Its own unit of work: the failed login's request rolls back, the count must stay.
        async with self.database.session() as session:
            session.add_all([LoginFailure(key=key) for key in keys])
            cutoff = datetime.fromtimestamp(now - self.window, UTC)
            await session.execute(delete(LoginFailure).where(LoginFailure.created_at < cutoff))

    async def clear(self, key: str) -> None:
        if self.redis is not None:
            try:
                await self.redis.delete(_redis_key(key))
                return
            except (RedisError, OSError) as error:
                _redis_unavailable(error)
        async with self.database.session() as session:
            await session.execute(delete(LoginFailure).where(LoginFailure.key == key))

    async def _recent_failures(self, keys: list[str], now: float) -> list[list[float]]:
        """For each key, when its failures within the window happened (unix times)."""
        if self.redis is not None:
            try:
                # One round trip for every key: a hung Redis costs one timeout, not four.
                async with self.redis.pipeline(transaction=False) as pipe:
                    for key in keys:
                        pipe.zremrangebyscore(_redis_key(key), 0, now - self.window)
                        pipe.zrange(_redis_key(key), 0, -1, withscores=True)
                    replies = await pipe.execute()
                return [[score for _, score in entries] for entries in replies[1::2]]
            except (RedisError, OSError) as error:
                _redis_unavailable(error)
        cutoff = datetime.fromtimestamp(now - self.window, UTC)
        async with self.database.session() as session:
            result = await session.execute(
                select(LoginFailure.key, LoginFailure.created_at).where(
                    LoginFailure.key.in_(keys), LoginFailure.created_at >= cutoff
                )
            )
            by_key: dict[str, list[float]] = {key: [] for key in keys}
            for key, moment in result:
                by_key[key].append(moment.timestamp())
        return list(by_key.values())

    def _retry_after(self, times: list[float], now: float) -> int:
        """Seconds until a key with failures at `times` drops below the limit; 0 when not
        throttled."""
        if len(times) < self.limit:
            return 0
        # The window frees up when the failure that completed the limit ages out.
        blocking = float(sorted(times)[len(times) - self.limit])
        return max(1, math.ceil(blocking + self.window - now))


def _redis_key(key: str) -> str:
    return f"vaultra:login-failures:{key}"


def _redis_unavailable(error: BaseException) -> None:
    logger.warning(
        "redis unavailable: login failures counted in the database", extra={"error": str(error)}
    )
