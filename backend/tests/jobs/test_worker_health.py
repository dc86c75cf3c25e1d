"""`vaultra worker --check`, the worker's liveness probe, and the worker's metrics port."""

import asyncio
import contextlib
import time

from typer.testing import CliRunner

from app.cli import cli
from app.core.config import Settings, get_settings
from app.jobs.arq_queue import ArqQueue
from app.jobs.worker import check_health, create_worker, health_check_key
from tests.core.test_observability import free_port, scrape, value


async def test_check_follows_the_worker_on_this_host(
    jobs_settings: Settings, arq_queue: ArqQueue
) -> None:
    settings = jobs_settings.model_copy(update={"metrics_port": free_port()})
    assert not await check_health(settings)  # no worker yet: the probe fails

    worker = create_worker(settings, schedule=(), handle_signals=False, poll_delay=0.05)
    running = asyncio.create_task(worker.main())
    try:
        deadline = time.monotonic() + 10
        while not await check_health(settings):
            assert time.monotonic() < deadline, "the worker never wrote its health key"
            await asyncio.sleep(0.05)
        # The key is this host's, and expires a second after the refresh interval.
        ttl = await arq_queue.redis.pttl(health_check_key(settings))
        assert 0 < ttl <= 31_000
        # The same check from the command line, as the probe runs it.
        env = {
            "REDIS_URL": settings.redis_url or "",
            "JOBS_QUEUE_NAME": settings.jobs_queue_name,
            "DATABASE_URL": settings.database_url,
        }
        get_settings.cache_clear()
        try:
            result = await asyncio.to_thread(
                CliRunner().invoke, cli, ["worker", "--check"], env=env
            )
        finally:
            get_settings.cache_clear()
        assert result.exit_code == 0, result.output
        # The worker serves its own metrics, the database-derived gauges included.
        assert settings.metrics_port is not None
        samples = await asyncio.to_thread(scrape, settings.metrics_port)
        assert value(samples, "vaultra_webhook_oldest_unprocessed_age_seconds") == 0
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await worker.close()
    # A stopped worker removes its key: the probe fails at once.
    assert not await check_health(settings)


async def test_check_fails_when_redis_is_unreachable(jobs_settings: Settings) -> None:
    settings = jobs_settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    assert not await check_health(settings)
