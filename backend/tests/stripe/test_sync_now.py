"""POST /integrations/stripe/sync: "Sync now", at most once a minute per business."""

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from app.core.config import Settings
from app.core.db import utcnow
from app.jobs.models import JobRun
from app.jobs.queue import set_queue
from app.main import create_app
from app.stripe.models import IntegrationAccount
from app.users import service as users_service
from app.users.models import Role
from tests.conftest import Account
from tests.stripe.conftest import connect_merchant, wait_for_sync

pytestmark = pytest.mark.usefixtures("app")
SYNC = "/api/v1/integrations/stripe/sync"
DISCONNECT = "/api/v1/integrations/stripe"


async def _connected(client: httpx.AsyncClient, account: Account) -> dict[str, Any]:
    business = await account.create_business()
    await connect_merchant(client, account, business["id"], "new_store")
    backfill = await wait_for_sync(client, account, business["id"])
    assert backfill["sync"]["state"] == "succeeded"
    return business


async def _sync_runs(app: FastAPI, business_id: str) -> list[JobRun]:
    async with app.state.db.session() as session:
        runs = await session.execute(
            select(JobRun).where(JobRun.name == "stripe_sync_business").order_by(JobRun.started_at)
        )
        return [run for run in runs.scalars() if run.args["business_id"] == business_id]


async def _rewind_request(app: FastAPI, business_id: str, seconds: int) -> None:
    async with app.state.db.session() as session:
        await session.execute(
            update(IntegrationAccount)
            .where(IntegrationAccount.business_id == uuid.UUID(business_id))
            .values(sync_requested_at=utcnow() - timedelta(seconds=seconds))
        )


async def test_sync_now_queues_an_incremental_sync_once_a_minute(
    app: FastAPI, client: httpx.AsyncClient, make_account: Any
) -> None:
    owner: Account = await make_account()
    business = await _connected(client, owner)
    params = {"business_id": business["id"]}
    before = await _sync_runs(app, business["id"])

    response = await client.post(SYNC, params=params, headers=owner.headers)
    assert response.status_code == 202, response.text
    # The status shows the sync coming at once, before the job has started.
    assert response.json()["connected"] is True
    assert response.json()["sync"]["state"] in ("queued", "running")
    done = await wait_for_sync(client, owner, business["id"])
    assert done["sync"]["state"] == "succeeded"
    assert done["sync"]["full"] is False
    assert done["last_synced_at"] >= done["sync"]["started_at"]
    runs = await _sync_runs(app, business["id"])
    assert len(runs) == len(before) + 1
    assert runs[-1].args["full"] is False

    again = await client.post(SYNC, params=params, headers=owner.headers)
    assert again.status_code == 429
    assert again.json()["code"] == "sync_requested_recently"
    assert 55 <= int(again.headers["Retry-After"]) <= 60
    assert len(await _sync_runs(app, business["id"])) == len(runs)

    await _rewind_request(app, business["id"], 50)
    late = await client.post(SYNC, params=params, headers=owner.headers)
    assert late.status_code == 429
    assert 1 <= int(late.headers["Retry-After"]) <= 10
    await _rewind_request(app, business["id"], 61)
    response = await client.post(SYNC, params=params, headers=owner.headers)
    assert response.status_code == 202, response.text
    await wait_for_sync(client, owner, business["id"])
    assert len(await _sync_runs(app, business["id"])) == len(runs) + 1


async def test_the_minute_holds_across_api_processes(
    app: FastAPI, client: httpx.AsyncClient, make_account: Any, settings: Settings
) -> None:
    owner: Account = await make_account()
    business = await _connected(client, owner)
    params = {"business_id": business["id"]}

    # Two asks at the same instant queue one sync.
    first, second = await asyncio.gather(
        client.post(SYNC, params=params, headers=owner.headers),
        client.post(SYNC, params=params, headers=owner.headers),
    )
    assert sorted([first.status_code, second.status_code]) == [202, 429]

    # Another API process on the same database refuses too.
    other = create_app(settings)
    try:
        async with other.router.lifespan_context(other):
            transport = httpx.ASGITransport(app=other, client=("203.0.113.11", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                response = await http.post(SYNC, params=params, headers=owner.headers)
    finally:
        set_queue(app.state.queue)  # the other app's start-up installed its own queue
    assert response.status_code == 429
    assert response.json()["code"] == "sync_requested_recently"
    await wait_for_sync(client, owner, business["id"])


async def test_who_may_ask_and_for_what(
    app: FastAPI, client: httpx.AsyncClient, make_account: Any
) -> None:
    owner: Account = await make_account()
    member: Account = await make_account()
    stranger: Account = await make_account()
    business = await _connected(client, owner)
    params = {"business_id": business["id"]}
    async with app.state.db.session() as session:
        await users_service.add_member(
            session, uuid.UUID(business["id"]), uuid.UUID(member.id), Role.member
        )

    for who, code in ((member, "insufficient_role"), (stranger, "business_forbidden")):
        response = await client.post(SYNC, params=params, headers=who.headers)
        assert response.status_code == 403, response.text
        assert response.json()["code"] == code
    assert (await client.post(SYNC, params=params)).status_code == 401

    never = await owner.create_business("Not connected")
    response = await client.post(SYNC, params={"business_id": never["id"]}, headers=owner.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "stripe_not_connected"

    response = await client.delete(DISCONNECT, params=params, headers=owner.headers)
    assert response.status_code == 200, response.text
    response = await client.post(SYNC, params=params, headers=owner.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "stripe_not_connected"
    assert len(await _sync_runs(app, business["id"])) == 1  # the first sync, on connecting
