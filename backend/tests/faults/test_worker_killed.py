"""A `vaultra worker` killed (SIGKILL) in the middle of a Stripe backfill: another worker runs
the job again soon, it resumes where the dead one stopped, and the rows and rollups end the
same as after an uninterrupted run.

The other worker runs in the test's process: a second `vaultra worker` would spend seconds
importing the app."""

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select, update

from app.core.config import Settings
from app.core.db import Database
from app.jobs.arq_queue import ArqQueue
from app.jobs.models import JobRun, JobStatus
from app.jobs.queue import get_queue, set_queue
from app.jobs.runs import ABANDONED
from app.jobs.worker import create_worker
from app.metrics.models import DailyRollup, MetricSnapshot, ReadinessScore, RollupState
from app.recommendations.models import Recommendation
from app.stripe import service as stripe_service
from app.stripe import sync
from app.stripe.config import stripe_config
from app.stripe.models import IntegrationAccount
from stripe_sandbox import connect_merchant as sandbox_connect
from stripe_sandbox import create_app as create_sandbox_app
from tests.conftest import REDIS_URL, TEST_DB, Account
from tests.servers import serve_in_thread
from tests.stripe.conftest import _TABLES, forget_sync, make_sandbox_config, stripe_settings

pytestmark = [
    pytest.mark.skipif(TEST_DB == "sqlite", reason="ARQ workers are the scale path, on PostgreSQL"),
    # ARQ closes its pool with the redis client's deprecated close().
    pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning"),
]

LEASE_SECONDS = 1.0
BACKEND = Path(__file__).resolve().parents[2]
VAULTRA = str(Path(sys.executable).with_name("vaultra"))


async def test_a_worker_killed_mid_backfill(
    app: FastAPI, settings: Settings, make_account: Any, db: Database, tmp_path: Path
) -> None:
    sandbox = make_sandbox_config(tmp_path / "sandbox.db", size=600)
    account: Account = await make_account()
    business_id = uuid.UUID((await account.create_business())["id"])
    with serve_in_thread(create_sandbox_app(sandbox)) as url:
        scale = stripe_settings(
            settings,
            sandbox,
            url,
            redis_url=REDIS_URL,
            jobs_queue_name=f"vaultra-faults:{uuid.uuid4().hex[:8]}",
            jobs_lease_seconds=LEASE_SECONDS,
        )
        stripe_user_id = sandbox_connect(sandbox, "seasonal_retail")
        async with db.session() as session:
            await stripe_service.link_account(
                session, business_id, stripe_user_id=stripe_user_id, livemode=False, scope=None
            )

        # The reference: the same backfill, uninterrupted, and the refresh it asks for (which
        # the test app runs in-process).
        await sync.sync_business(db, stripe_config(scale), business_id)
        await app.state.queue.join()
        reference = await _state(db, business_id)
        assert reference["stripe_charges"]
        assert reference["metric_daily_rollups"]
        await _forget(db, business_id)

        # Slow enough (10 requests/s) to be killed mid-way.
        env = _worker_env(scale.model_copy(update={"stripe_max_rps": 10.0}))
        queue = ArqQueue.from_url(REDIS_URL, scale.jobs_queue_name)
        log = tmp_path / "worker.log"
        doomed = _start_worker(env, log)
        try:
            await queue.enqueue(
                "stripe_sync_business",
                job_key=stripe_service.sync_job_key(business_id, full=False),
                business_id=str(business_id),
                full=False,
            )
            await _until_synced(db, business_id, 300, doomed, log)
            doomed.send_signal(signal.SIGKILL)
            doomed.wait(timeout=10)
            partial = await _account(db, business_id)
            assert partial.sync_state == "running"  # as the dead run left it
            assert partial.sync_objects < sum(len(rows) for rows in reference.values())

            # Another worker, until the queue is empty: the job once its claim lapses, then
            # the refresh it asks for.
            other = create_worker(
                scale, schedule=(), burst=True, handle_signals=False, poll_delay=0.05
            )
            previous = get_queue()
            try:
                await asyncio.wait_for(other.async_run(), 120)
            except TimeoutError:
                queued = await queue.redis.zrange(scale.jobs_queue_name, 0, -1, withscores=True)
                runs = [(r.name, r.attempt, r.status, r.error) for r in await _runs(db, None)]
                pytest.fail(f"the other worker did not finish: queue {queued}, runs {runs}")
            finally:
                await other.close()
                set_queue(previous)
        finally:
            if doomed.poll() is None:
                doomed.kill()
                doomed.wait(timeout=10)
            keys = [key async for key in queue.redis.scan_iter(match=f"{queue.queue_name}*")]
            if keys:
                await queue.redis.delete(*keys)
            await queue.close()

    assert await _state(db, business_id) == reference
    syncs = await _runs(db, "stripe_sync_business")
    assert [(run.attempt, run.status, run.error) for run in syncs] == [
        (1, JobStatus.failed, ABANDONED),
        (2, JobStatus.succeeded, None),
    ]
    refreshes = await _runs(db, "refresh_business")
    assert [(run.attempt, run.status) for run in refreshes] == [(1, JobStatus.succeeded)]


def _worker_env(settings: Settings) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("STRIPE_")}
    env.update(
        {
            "APP_ENV": "test",
            "LOG_LEVEL": "INFO",
            "DATA_DIR": str(settings.data_dir),
            "DATABASE_URL": settings.database_url,
            "REDIS_URL": settings.redis_url or "",
            "JOBS_QUEUE_NAME": settings.jobs_queue_name,
            "JOBS_LEASE_SECONDS": str(settings.jobs_lease_seconds),
            "JOBS_RETRY_BASE_SECONDS": str(settings.jobs_retry_base_seconds),
            "JWT_SECRET": settings.resolved_jwt_secret(),
            "STRIPE_SECRET_KEY": _secret(settings.stripe_secret_key),
            "STRIPE_WEBHOOK_SECRET": _secret(settings.stripe_webhook_secret),
            "STRIPE_CONNECT_CLIENT_ID": settings.stripe_connect_client_id or "",
            "STRIPE_API_BASE": settings.stripe_api_base,
            "STRIPE_CONNECT_BASE": settings.stripe_connect_base,
            "STRIPE_MAX_RPS": str(settings.stripe_max_rps),
        }
    )
    return env


def _secret(value: Any) -> str:
    return "" if value is None else str(value.get_secret_value())


def _start_worker(env: dict[str, str], log: Path) -> "subprocess.Popen[bytes]":
    with log.open("wb") as out:
        return subprocess.Popen(
            [VAULTRA, "worker"], cwd=BACKEND, env=env, stdout=out, stderr=subprocess.STDOUT
        )


async def _until_synced(
    db: Database,
    business_id: uuid.UUID,
    objects: int,
    worker: "subprocess.Popen[bytes]",
    log: Path,
) -> None:
    """Wait for the worker's sync to store `objects`. Generous: on a busy machine the worker
    takes many seconds just to import the app."""
    deadline = time.monotonic() + 120
    while (await _account(db, business_id)).sync_objects < objects:
        if worker.poll() is not None or time.monotonic() > deadline:
            tail = (await asyncio.to_thread(log.read_text, errors="replace"))[-2000:]
            pytest.fail(f"the worker stopped or did not get going:\n{tail}")
        await asyncio.sleep(0.02)


async def _runs(db: Database, name: str | None) -> list[JobRun]:
    """The runs of the job `name` (None: of every job), oldest first."""
    query = select(JobRun).order_by(JobRun.started_at)
    async with db.session() as session:
        result = await session.scalars(query if name is None else query.where(JobRun.name == name))
        return list(result)


async def _account(db: Database, business_id: uuid.UUID) -> IntegrationAccount:
    async with db.session() as session:
        account = await stripe_service.get_account(session, business_id)
    assert account is not None
    return account


_METRICS = (DailyRollup, RollupState, MetricSnapshot, ReadinessScore, Recommendation)
# Columns that say when (or under which id) something was computed, not what.
_WHEN = {"id", "version_at", "computed_at", "created_at", "updated_at", "opened_at",
         "snapshot_id", "last_run_at", "last_full_run_at"}  # fmt: skip


async def _state(db: Database, business_id: uuid.UUID) -> dict[str, list[tuple[Any, ...]]]:
    """The business's Stripe rows, rollups, metrics, score and recommendations."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with db.session() as session:
        for model in (*_TABLES.values(), DailyRollup, MetricSnapshot, ReadinessScore):
            table = model.__table__
            columns = [column for column in table.c if column.name not in _WHEN]
            rows = await session.execute(select(*columns).where(table.c.business_id == business_id))
            out[table.name] = sorted((tuple(row) for row in rows), key=repr)
        rules = await session.scalars(
            select(Recommendation.rule_id).where(Recommendation.business_id == business_id)
        )
        out["recommendations"] = [(rule,) for rule in sorted(rules)]
    return out


async def _forget(db: Database, business_id: uuid.UUID) -> None:
    """Back to a freshly connected account: no rows, no metrics, no runs recorded."""
    await forget_sync(db, business_id)
    async with db.session() as session:
        for model in _METRICS:
            table = model.__table__
            await session.execute(delete(table).where(table.c.business_id == business_id))
        await session.execute(delete(JobRun))
        # The progress the test watches starts from nothing.
        await session.execute(
            update(IntegrationAccount)
            .where(IntegrationAccount.business_id == business_id)
            .values(sync_objects=0)
        )
