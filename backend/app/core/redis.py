"""The optional Redis connections (login-failure counters, the ARQ queue).

Redis answers in well under a millisecond, so a command still unanswered after a second means
Redis is hung (a partition, a paused container): the caller gets an error instead of waiting
with it. Without a timeout, every login and every enqueue would hang as long as Redis does.
"""

from redis.asyncio import ConnectionPool, Redis

TIMEOUT_SECONDS = 1.0


def create_pool(url: str) -> ConnectionPool:
    return ConnectionPool.from_url(
        url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
    )


def create_redis(url: str) -> Redis:
    client: Redis = Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=TIMEOUT_SECONDS,
        socket_connect_timeout=TIMEOUT_SECONDS,
    )
    return client
