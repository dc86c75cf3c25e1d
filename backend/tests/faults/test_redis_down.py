"""Redis down or hung: the API stays up, says so on /health/ready, still stores webhooks and
throttles logins (in the database), and the jobs it could not enqueue run once Redis is back."""

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from arq.worker import Worker
from fastapi import FastAPI
from sqlalchemy import func, select, update

from app.auth.models import LoginFailure
from app.core.config import Settings
from app.core.db import Database, utcnow
from app.jobs.arq_queue import ArqQueue
from app.jobs.models import JobRun, JobStatus
from app.jobs.schedule import ScheduledJob
from app.jobs.worker import create_worker
from app.metrics.models import DailyRollup
from app.stripe import service as stripe_service
from app.stripe.config import stripe_config
from app.stripe.models import StripeCharge, StripeEvent
from app.stripe.webhooks import SWEEP_MIN_AGE
from tests.conftest import TEST_PASSWORD, Account
from tests.servers import PrivateRedis, private_redis
from tests.stripe.conftest import sign

# ARQ closes its pool with the redis client's deprecated close().
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")

LIMIT = 3
# A hung Redis costs each call its socket timeout (1 s); a request makes at most a few.
PROMPT_SECONDS = 5.0


@pytest.fixture
def redis_server() -> Iterator[PrivateRedis]:
    with private_redis() as server:
        yield server


@pytest.fixture
def settings(settings: Settings, redis_server: PrivateRedis) -> Settings:
    return settings.model_copy(
        update={
            "redis_url": redis_server.url,
            "jobs_queue_name": f"vaultra-faults:{uuid.uuid4().hex[:8]}",
            "login_max_failures": LIMIT,
        }
    )


async def _login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password})


async def test_with_redis_down_the_api_serves_and_readiness_names_redis(
    client: httpx.AsyncClient, make_account: Any, redis_server: PrivateRedis
) -> None:
    account: Account = await make_account()
    redis_server.stop()

    assert (await client.get("/health")).status_code == 200
    ready = await client.get("/health/ready")
    # Ready (the pod stays in rotation), and saying why it is degraded.
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "degraded",
        "checks": {"database": "ok", "redis": "error: ConnectionError"},
    }
    assert (await _login(client, account.user["email"], TEST_PASSWORD)).status_code == 200
    assert (await client.get("/api/v1/users/me", headers=account.headers)).status_code == 200
    assert (await make_account()).token

    redis_server.start()
    assert (await client.get("/health/ready")).json()["status"] == "ok"


async def test_with_redis_down_login_throttling_counts_in_the_database(
    client: httpx.AsyncClient, make_account: Any, db: Database, redis_server: PrivateRedis
) -> None:
    account: Account = await make_account()
    email = account.user["email"]
    redis_server.stop()

    for _ in range(LIMIT):
        assert (await _login(client, email, "wrong password")).status_code == 401
    blocked = await _login(client, email, TEST_PASSWORD)
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "too_many_login_attempts"
    async with db.session() as session:
        keys = list(await session.scalars(select(LoginFailure.key)))
    # Each failure counts against the email and against the client's address.
    assert len(keys) == 2 * LIMIT


async def test_with_redis_hung_requests_still_answer_promptly(
    client: httpx.AsyncClient, make_account: Any, redis_server: PrivateRedis
) -> None:
    account: Account = await make_account()
    email = account.user["email"]
    with redis_server.hung():
        ready = await asyncio.wait_for(client.get("/health/ready"), PROMPT_SECONDS)
        assert ready.json()["checks"]["redis"] == "error: TimeoutError"
        wrong = await asyncio.wait_for(_login(client, email, "wrong"), PROMPT_SECONDS)
        assert wrong.status_code == 401
        right = await asyncio.wait_for(_login(client, email, TEST_PASSWORD), PROMPT_SECONDS)
        assert right.status_code == 200


async def test_webhooks_stored_while_redis_is_down_are_processed_when_it_returns(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: Any,
    db: Database,
    settings: Settings,
    redis_server: PrivateRedis,
) -> None:
    account: Account = await make_account()
    business = await account.create_business()
    business_id = uuid.UUID(business["id"])
    async with db.session() as session:
        await stripe_service.link_account(
            session, business_id, stripe_user_id="acct_redisdown", livemode=False, scope=None
        )
    secret = stripe_config(settings).webhook_secrets[0]
    redis_server.stop()

    for index in range(5):
        event = _charge_event(index)
        body = json.dumps(event)
        response = await client.post(
            "/api/v1/webhooks/stripe",
            content=body,
            headers={"Stripe-Signature": sign(body, secret)},
        )
        assert response.status_code == 200, response.text
        assert response.json() == {"received": True, "duplicate": False}
    async with db.session() as session:
        pending = await session.scalar(
            select(func.count()).where(StripeEvent.processed_at.is_(None))
        )
    assert pending == 5  # stored, but the job that would apply them was never enqueued

    # Redis returns empty, as one without persistence does. A minute later, the sweeper (on
    # the worker's schedule every minute) finds the events no job handled.
    redis_server.start()
    async with db.session() as session:
        await session.execute(
            update(StripeEvent).values(received_at=utcnow() - SWEEP_MIN_AGE - timedelta(seconds=1))
        )
    sweeper = ScheduledJob("stripe_process_pending_events")

    def fire_now(worker: Worker) -> None:
        worker.cron_jobs[0].run_at_startup = True

    worker = create_worker(
        settings, schedule=(sweeper,), burst=True, handle_signals=False, poll_delay=0.05
    )
    fire_now(worker)
    try:
        await asyncio.wait_for(worker.async_run(), 30)
    finally:
        await worker.close()
        await app.state.queue.close()

    async with db.session() as session:
        pending = await session.scalar(
            select(func.count()).where(StripeEvent.processed_at.is_(None))
        )
        charges = await session.scalar(
            select(func.count()).where(StripeCharge.business_id == business_id)
        )
        rollup_charges = await session.scalar(
            select(func.sum(DailyRollup.charge_count)).where(DailyRollup.business_id == business_id)
        )
        runs = dict((await session.execute(select(JobRun.name, JobRun.status))).all())
    assert (pending, charges, rollup_charges) == (0, 5, 5)
    # The sweeper applied them and asked for the refresh that computed the rollups.
    assert runs == {
        "stripe_process_pending_events": JobStatus.succeeded,
        "refresh_business": JobStatus.succeeded,
    }


async def test_a_worker_waits_out_a_redis_outage(
    db: Database, settings: Settings, redis_server: PrivateRedis
) -> None:
    """Started while Redis is down, and Redis going down under it: the worker waits, then runs
    what is enqueued. ARQ's own worker stops at the first Redis error, at start-up too."""
    redis_server.stop()
    worker = create_worker(settings, schedule=(), handle_signals=False, poll_delay=0.05)
    running = asyncio.create_task(worker.async_run())
    queue = ArqQueue.from_url(redis_server.url, settings.jobs_queue_name)
    try:
        for runs in (1, 2):
            if runs == 2:
                redis_server.stop()
            await asyncio.sleep(1.5)
            assert not running.done()
            redis_server.start()
            await queue.enqueue("prune_job_runs")
            await _until_succeeded(db, "prune_job_runs", runs)
        await _idle(worker)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        # A job cut short by the cancel (only when the test failed first) re-raises it here.
        with contextlib.suppress(asyncio.CancelledError):
            await worker.close()
        await queue.close()


async def _idle(worker: Worker) -> None:
    """ARQ finishes a job (its result, the queue entry) after the run is recorded as succeeded;
    cancelling the worker in between cancels that bookkeeping, and close() re-raises it."""
    deadline = time.monotonic() + 15
    while any(not task.done() for task in worker.tasks.values()):
        assert time.monotonic() < deadline, "the worker did not finish its last job"
        await asyncio.sleep(0.05)


async def _until_succeeded(db: Database, name: str, runs: int) -> None:
    deadline = time.monotonic() + 15
    while True:
        async with db.session() as session:
            done = await session.scalar(
                select(func.count()).where(
                    JobRun.name == name, JobRun.status == JobStatus.succeeded
                )
            )
        if done == runs:
            return
        assert time.monotonic() < deadline, f"{runs - (done or 0)} run(s) of {name} missing"
        await asyncio.sleep(0.1)


def _charge_event(index: int) -> dict[str, Any]:
    created = int(time.time()) - 3600
    return {
        "id": f"evt_redisdown_{index}_{uuid.uuid4().hex[:8]}",
        "object": "event",
        "type": "charge.succeeded",
        "account": "acct_redisdown",
        "created": created,
        "livemode": False,
        "data": {
            "object": {
                "id": f"ch_redisdown_{index}",
                "object": "charge",
                "amount": 1000 + index,
                "currency": "usd",
                "status": "succeeded",
                "paid": True,
                "captured": True,
                "created": created,
                "customer": f"cus_redisdown_{index}",
            }
        },
    }
