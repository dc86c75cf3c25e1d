import uuid

from redis.asyncio import Redis

from app.reports import ratelimit
from tests.conftest import REDIS_URL


async def test_redis_counts_are_shared_and_expire() -> None:
    """Two processes share the count through Redis: two clients stand in for them."""
    key = f"test:{uuid.uuid4().hex}"
    first = Redis.from_url(REDIS_URL)
    second = Redis.from_url(REDIS_URL)
    try:
        assert await ratelimit.hit(first, key, 2) == 0
        assert await ratelimit.hit(second, key, 2) == 0
        wait = await ratelimit.hit(first, key, 2)
        assert 1 <= wait <= ratelimit.WINDOW_SECONDS
        names = [name async for name in first.scan_iter(f"vaultra:report-rate:{key}:*")]
        assert len(names) == 1
        assert 0 < await first.ttl(names[0]) <= 2 * ratelimit.WINDOW_SECONDS
        await first.delete(*names)
    finally:
        await first.aclose()
        await second.aclose()


async def test_without_redis_the_process_counts() -> None:
    ratelimit.reset()
    key = f"test:{uuid.uuid4().hex}"
    assert await ratelimit.hit(None, key, 1) == 0
    assert await ratelimit.hit(None, key, 1) > 0
    ratelimit.reset()
