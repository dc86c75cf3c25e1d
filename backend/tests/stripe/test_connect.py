import time
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from app.auth import service as auth_service
from app.auth.models import OAuthState
from app.core import security
from app.core.config import Settings
from app.core.db import utcnow
from app.stripe.models import IntegrationAccount, StripeCharge
from app.users import service as users_service
from app.users.models import Role
from stripe_sandbox import SandboxConfig, merchant_account_id
from tests.conftest import Account
from tests.stripe.conftest import (
    connect_merchant,
    post_event,
    redirect_query,
    wait_for_sync,
)

pytestmark = pytest.mark.usefixtures("app")
CONNECT = "/api/v1/integrations/stripe/connect"
CALLBACK = "/api/v1/integrations/stripe/callback"
STATUS = "/api/v1/integrations/stripe/status"
DISCONNECT = "/api/v1/integrations/stripe"


async def _state(client: httpx.AsyncClient, account: Account, business_id: str) -> str:
    response = await client.get(
        CONNECT, params={"business_id": business_id}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    url = response.json()["url"]
    query = parse_qs(urlsplit(url).query)
    assert query["scope"] == ["read_only"]
    assert query["response_type"] == ["code"]
    return query["state"][0]


async def _accounts(app: FastAPI) -> list[IntegrationAccount]:
    async with app.state.db.session() as session:
        return list((await session.execute(select(IntegrationAccount))).scalars())


async def test_connect_url_points_at_stripe_with_a_state(
    client: httpx.AsyncClient, make_account: Any, settings: Settings
) -> None:
    account: Account = await make_account()
    business = await account.create_business()
    response = await client.get(
        CONNECT, params={"business_id": business["id"]}, headers=account.headers
    )
    assert response.status_code == 200
    url = urlsplit(response.json()["url"])
    assert f"{url.scheme}://{url.netloc}" == settings.stripe_connect_base
    assert url.path == "/oauth/authorize"
    query = parse_qs(url.query)
    assert query["client_id"] == [settings.stripe_connect_client_id]
    assert query["redirect_uri"] == [f"{settings.app_base_url}{CALLBACK}"]
    assert account.token not in response.text


async def test_declining_at_stripe_redirects_with_the_reason(
    app: FastAPI, client: httpx.AsyncClient, make_account: Any
) -> None:
    account: Account = await make_account()
    business = await account.create_business()
    response = await connect_merchant(client, account, business["id"], "new_store", deny=True)
    assert redirect_query(response) == {
        "business_id": business["id"],
        "stripe": "error",
        "reason": "access_denied",
    }
    assert await _accounts(app) == []


async def test_state_abuse_is_rejected(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: Any,
    settings: Settings,
    sandbox_config: SandboxConfig,
) -> None:
    from stripe_sandbox import create_authorization_code

    owner: Account = await make_account()
    other: Account = await make_account()
    business = await owner.create_business()
    other_business = await other.create_business()
    secret = settings.resolved_jwt_secret()

    def code() -> str:
        return create_authorization_code(sandbox_config, "new_store")

    async def callback(state: str | None) -> dict[str, str]:
        params = {"code": code()} | ({"state": state} if state is not None else {})
        response = await client.get(CALLBACK, params=params)
        assert "token" not in response.headers["location"]
        return redirect_query(response)

    valid = await _state(client, owner, business["id"])
    tampered = valid[:-3] + ("AAA" if not valid.endswith("AAA") else "BBB")
    assert (await callback(tampered))["reason"] == "invalid_state"
    assert (await callback(None))["reason"] == "invalid_state"
    assert (await callback("not-a-token"))["reason"] == "invalid_state"

    # Re-signed with the right key but bound to someone else: the server-side record disagrees.
    claims = security.verify_signed_payload(valid, secret=secret, audience="stripe-connect")
    for swap in ({"sub": other.id}, {"business_id": other_business["id"]}):
        forged = security.sign_payload(
            {"jti": claims["jti"], "sub": claims["sub"], "business_id": claims["business_id"]}
            | swap,
            secret=secret,
            audience="stripe-connect",
            ttl_seconds=600,
        )
        assert (await callback(forged))["reason"] == "invalid_state"

    # Another flow's state (Google sign-in) does not open this one.
    async with app.state.db.session() as session:
        google = await auth_service.issue_state(
            session,
            settings,
            purpose="google-login",
            user_id=uuid.UUID(owner.id),
            business_id=uuid.UUID(business["id"]),
        )
    assert (await callback(google))["reason"] == "invalid_state"

    # Expired (past its 10 minutes).
    expired = await _state(client, owner, business["id"])
    jti = security.verify_signed_payload(expired, secret=secret, audience="stripe-connect")["jti"]
    async with app.state.db.session() as session:
        await session.execute(
            update(OAuthState)
            .where(OAuthState.jti == jti)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert (await callback(expired))["reason"] == "invalid_state"
    assert await _accounts(app) == []

    # The genuine state works once; replaying it fails.
    assert (await callback(valid)) == {"business_id": business["id"], "stripe": "connected"}
    assert (await callback(valid))["reason"] == "invalid_state"
    assert len(await _accounts(app)) == 1


async def test_a_role_lost_during_the_round_trip_is_refused(
    app: FastAPI, client: httpx.AsyncClient, make_account: Any, sandbox_config: SandboxConfig
) -> None:
    from stripe_sandbox import create_authorization_code

    owner: Account = await make_account()
    admin: Account = await make_account()
    business = await owner.create_business()
    async with app.state.db.session() as session:
        await users_service.add_member(
            session, uuid.UUID(business["id"]), uuid.UUID(admin.id), Role.admin
        )
    state = await _state(client, admin, business["id"])
    async with app.state.db.session() as session:
        access = await users_service.get_access(
            session, uuid.UUID(admin.id), uuid.UUID(business["id"])
        )
        assert access is not None
        from app.users.models import Membership

        await session.execute(
            update(Membership)
            .where(Membership.user_id == uuid.UUID(admin.id))
            .values(role=Role.member)
        )
    code = create_authorization_code(sandbox_config, "new_store")
    response = await client.get(CALLBACK, params={"code": code, "state": state})
    assert redirect_query(response)["reason"] == "insufficient_role"
    assert await _accounts(app) == []


async def test_business_scoping(app: FastAPI, client: httpx.AsyncClient, make_account: Any) -> None:
    owner: Account = await make_account()
    member: Account = await make_account()
    stranger: Account = await make_account()
    business = await owner.create_business("A")
    other = await stranger.create_business("B")
    async with app.state.db.session() as session:
        await users_service.add_member(
            session, uuid.UUID(business["id"]), uuid.UUID(member.id), Role.member
        )
    await connect_merchant(client, owner, business["id"], "new_store")
    await wait_for_sync(client, owner, business["id"])
    params = {"business_id": business["id"]}

    for who in (stranger, member):
        response = await client.get(CONNECT, params=params, headers=who.headers)
        assert response.status_code == 403, response.text
        response = await client.delete(DISCONNECT, params=params, headers=who.headers)
        assert response.status_code == 403, response.text
    response = await client.get(STATUS, params=params, headers=stranger.headers)
    assert response.status_code == 403
    assert response.json()["code"] == "business_forbidden"
    response = await client.get(STATUS, params=params, headers=member.headers)
    assert response.status_code == 200
    assert response.json()["connected"] is True
    # The owner of A is a stranger to B.
    response = await client.get(STATUS, params={"business_id": other["id"]}, headers=owner.headers)
    assert response.status_code == 403
    assert (await client.get(STATUS, params=params)).status_code == 401
    assert (await _accounts(app))[0].status == "connected"


async def test_reconnect_is_idempotent_and_an_account_belongs_to_one_business(
    app: FastAPI, client: httpx.AsyncClient, make_account: Any
) -> None:
    owner: Account = await make_account()
    business = await owner.create_business("A")
    second = await owner.create_business("B")
    for _ in range(2):
        response = await connect_merchant(client, owner, business["id"], "new_store")
        assert redirect_query(response)["stripe"] == "connected"
        await wait_for_sync(client, owner, business["id"])
    accounts = await _accounts(app)
    assert len(accounts) == 1
    assert accounts[0].status == "connected"

    response = await connect_merchant(client, owner, second["id"], "new_store")
    assert redirect_query(response) == {
        "business_id": second["id"],
        "stripe": "error",
        "reason": "account_already_linked",
    }
    response = await connect_merchant(client, owner, business["id"], "declining")
    assert redirect_query(response)["reason"] == "already_connected"
    assert [a.business_id for a in await _accounts(app)] == [uuid.UUID(business["id"])]


async def test_disconnect_deauthorizes_keeps_data_and_stops_syncing(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: Any,
    sandbox_config: SandboxConfig,
    sandbox_url: str,
) -> None:
    from app.stripe import sync

    owner: Account = await make_account()
    business = await owner.create_business()
    await connect_merchant(client, owner, business["id"], "new_store")
    await wait_for_sync(client, owner, business["id"])
    params = {"business_id": business["id"]}

    response = await client.delete(DISCONNECT, params=params, headers=owner.headers)
    assert response.status_code == 200, response.text
    assert response.json()["connected"] is False
    acct = merchant_account_id(sandbox_config, "new_store")
    async with httpx.AsyncClient(base_url=sandbox_url) as http:
        refused = await http.get(
            "/v1/charges",
            headers={
                "Authorization": f"Bearer {sandbox_config.secret_key}",
                "Stripe-Account": acct,
            },
        )
    assert refused.status_code in (401, 403), refused.text  # Stripe no longer lets us read it

    async with app.state.db.session() as session:
        kept = (await session.execute(select(func.count()).select_from(StripeCharge))).scalar_one()
    assert kept > 0
    result = await sync.sync_business(
        app.state.db, app.state.stripe_config, uuid.UUID(business["id"])
    )
    assert result.state == "not_connected"
    response = await client.delete(DISCONNECT, params=params, headers=owner.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "stripe_not_connected"

    # Connecting again resumes from what is kept.
    response = await connect_merchant(client, owner, business["id"], "new_store")
    assert redirect_query(response)["stripe"] == "connected"
    status = await wait_for_sync(client, owner, business["id"])
    assert status["connected"] is True
    assert status["sync"]["state"] == "succeeded"


async def test_the_deauthorized_webhook_disconnects(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: Any,
    sandbox_config: SandboxConfig,
) -> None:
    owner: Account = await make_account()
    business = await owner.create_business()
    await connect_merchant(client, owner, business["id"], "new_store")
    await wait_for_sync(client, owner, business["id"])
    acct = merchant_account_id(sandbox_config, "new_store")
    event = {
        "id": "evt_deauthorized_1",
        "object": "event",
        "account": acct,
        "created": int(time.time()) + 5,
        "data": {"object": {"id": sandbox_config.client_id, "object": "application"}},
        "livemode": False,
        "type": "account.application.deauthorized",
    }
    assert (await post_event(client, event, sandbox_config.webhook_secret)).status_code == 200
    await app.state.queue.join()
    response = await client.get(
        STATUS, params={"business_id": business["id"]}, headers=owner.headers
    )
    assert response.json()["connected"] is False


async def test_a_code_stripe_refuses_redirects_with_the_reason(
    app: FastAPI, client: httpx.AsyncClient, make_account: Any
) -> None:
    owner: Account = await make_account()
    business = await owner.create_business()
    state = await _state(client, owner, business["id"])
    response = await client.get(CALLBACK, params={"code": "ac_made_up", "state": state})
    assert redirect_query(response) == {
        "business_id": business["id"],
        "stripe": "error",
        "reason": "invalid_grant",
    }
    assert await _accounts(app) == []
