"""The optional Redis connection (rate-limit counters, the ARQ queue)."""

from redis.asyncio import Redis


def create_redis(url: str) -> Redis:
    client: Redis = Redis.from_url(url, decode_responses=True)
    return client
