"""Requests per minute per key (a share's token, a client address): fixed one-minute windows.

Redis counters (INCR, expiring with the window) when REDIS_URL is set, so every replica shares
them; otherwise, or while Redis is unreachable, a counter in this process. A lender reading a
report makes a handful of requests a minute; a scraper or a token-guessing loop makes hundreds.
"""

import logging
import math
import time
from threading import Lock

from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger("vaultra.reports")
WINDOW_SECONDS = 60
_local: dict[tuple[str, int], int] = {}
_local_lock = Lock()


async def hit(redis: Redis | None, key: str, limit: int) -> int:
    """Count a request against `key`; the seconds to wait when over `limit`, else 0."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    retry_after = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
    name = f"vaultra:report-rate:{key}:{window}"
    if redis is not None:
        try:
            async with redis.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, WINDOW_SECONDS * 2)
                count, _ = await pipe.execute()
            return retry_after if int(count) > limit else 0
        except (RedisError, OSError) as error:
            logger.warning(
                "redis unavailable: report rate counted in process", extra={"error": str(error)}
            )
    with _local_lock:
        for stale in [k for k in _local if k[1] < window]:
            del _local[stale]
        count = _local.get((key, window), 0) + 1
        _local[(key, window)] = count
    return retry_after if count > limit else 0


def reset() -> None:
    with _local_lock:
        _local.clear()
