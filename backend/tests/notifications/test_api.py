"""Preferences, unsubscribe and the development mailbox through the API: who may do what."""

import asyncio
import base64
import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import AppEnv, Settings, get_settings
from app.core.db import Database
from app.main import create_app
from app.notifications import service
from app.notifications.models import OutboxEmail
from app.users.models import Role
from tests.conftest import Account
from tests.notifications.conftest import add_member

PREFERENCES = "/api/v1/notifications/preferences"
DEFAULTS = {
    "digest": "weekly",
    "alert_tier": True,
    "alert_dispute": True,
    "alert_sync": True,
    "alert_stripe_revoked": True,
}


@pytest.fixture
async def team(make_account: Any, db: Database) -> dict[str, Any]:
    owner: Account = await make_account()
    business = await owner.create_business("Team Co")
    accounts: dict[str, Any] = {"owner": owner, "business_id": business["id"]}
    for role in (Role.admin, Role.member):
        account: Account = await make_account()
        await add_member(db, business["id"], account.id, role)
        accounts[role.value] = account
    accounts["outsider"] = await make_account()
    return accounts


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("owner", True), ("admin", True), ("member", True), ("outsider", False)],
)
async def test_role_matrix_for_preferences(
    client: httpx.AsyncClient, team: dict[str, Any], role: str, allowed: bool
) -> None:
    """Everyone in the business keeps their own preferences; an outsider gets 403."""
    account: Account = team[role]
    business_id = team["business_id"]
    read = await client.get(
        PREFERENCES, params={"business_id": business_id}, headers=account.headers
    )
    change = await client.patch(
        PREFERENCES,
        json={"business_id": business_id, "digest": "daily", "alert_tier": False},
        headers=account.headers,
    )
    if not allowed:
        assert read.status_code == 403
        assert change.status_code == 403
        assert change.json()["code"] == "business_forbidden"
        return
    assert read.status_code == 200
    assert read.json() == {"business_id": business_id, **DEFAULTS}
    assert change.status_code == 200, change.text
    assert change.json() == {
        **read.json(),
        "digest": "daily",
        "alert_tier": False,
    }
    # Only this user's: the owner's stay the defaults (unless the owner is this user).
    if role != "owner":
        owner = await client.get(
            PREFERENCES, params={"business_id": business_id}, headers=team["owner"].headers
        )
        assert owner.json() == {"business_id": business_id, **DEFAULTS}


async def test_preferences_need_a_login_and_valid_values(
    client: httpx.AsyncClient, team: dict[str, Any]
) -> None:
    owner: Account = team["owner"]
    business_id = team["business_id"]
    assert (await client.get(PREFERENCES, params={"business_id": business_id})).status_code == 401
    for body, field in (
        ({"digest": "hourly"}, "digest"),
        ({"alert_tier": "sometimes"}, "alert_tier"),
        ({"unknown": True}, "unknown"),
    ):
        response = await client.patch(
            PREFERENCES, json={"business_id": business_id, **body}, headers=owner.headers
        )
        assert response.status_code == 400, body
        assert field in response.text
    # Nothing changed.
    read = await client.get(PREFERENCES, params={"business_id": business_id}, headers=owner.headers)
    assert read.json() == {"business_id": business_id, **DEFAULTS}


@pytest.mark.parametrize("role", ["owner", "admin", "member", "outsider", "nobody"])
async def test_unsubscribe_needs_no_login_only_the_signed_token(
    app: FastAPI, client: httpx.AsyncClient, team: dict[str, Any], role: str
) -> None:
    """The token is the authorization: anyone holding the link turns off that one kind for its
    user, whoever is logged in (or no one)."""
    member: Account = team["member"]
    business_id = team["business_id"]
    token = service.unsubscribe_token(
        app.state.settings, _uuid(member.id), _uuid(business_id), "alert_tier"
    )
    headers = {} if role == "nobody" else team[role].headers
    described = await client.get(
        "/api/v1/notifications/unsubscribe", params={"token": token}, headers=headers
    )
    assert described.status_code == 200
    assert described.json()["unsubscribed"] is False
    response = await client.post(
        "/api/v1/notifications/unsubscribe", params={"token": token}, headers=headers
    )
    assert response.status_code == 200
    assert response.json() == {
        "kind": "alert_tier",
        "label": "tier change alerts",
        "business_name": "Team Co",
        "unsubscribed": True,
    }
    mine = await client.get(
        PREFERENCES, params={"business_id": business_id}, headers=member.headers
    )
    assert mine.json()["alert_tier"] is False
    assert mine.json()["digest"] == "weekly"


async def test_a_token_signed_with_another_key_or_for_another_kind_is_refused(
    app: FastAPI, client: httpx.AsyncClient, team: dict[str, Any]
) -> None:
    member: Account = team["member"]
    other = app.state.settings.model_copy(update={"jwt_secret": SecretStr("x" * 64)})
    forged = service.unsubscribe_token(
        other, _uuid(member.id), _uuid(team["business_id"]), "digest"
    )
    session_token = member.token  # a login token is no unsubscribe token
    for token in (forged, session_token):
        for method in ("GET", "POST"):
            response = await client.request(
                method, "/api/v1/notifications/unsubscribe", params={"token": token}
            )
            assert response.status_code == 400, (method, response.text)
            assert response.json()["code"] == "invalid_unsubscribe_token"


async def test_the_dev_mailbox_lists_the_outbox_without_login(
    app: FastAPI, client: httpx.AsyncClient, db: Database
) -> None:
    async with db.session() as session:
        await service.enqueue_email(
            session, to="Invitee@Example.com", subject="You're invited", text="Join: http://x/y"
        )
        await service.enqueue_email(session, to="other@example.com", subject="Other", text="t")
    await app.state.queue.join()
    response = await client.get("/api/v1/dev/mailbox", params={"to": "invitee@example.com"})
    assert response.status_code == 200
    body = response.json()
    # The tests' app has SMTP (tests/notifications/conftest.py): the mail was sent.
    assert body["smtp_configured"] is True
    [email] = body["emails"]
    assert email["subject"] == "You're invited"
    assert email["text"] == "Join: http://x/y"
    assert email["status"] == "sent"
    assert email["message_id"].endswith("@vaultra.test>")
    bad = await client.get("/api/v1/dev/mailbox", params={"to": "not an address"})
    assert bad.status_code == 400


@pytest.mark.parametrize("role", ["owner", "admin", "member", "outsider", "nobody"])
async def test_role_matrix_for_the_dev_mailbox(
    client: httpx.AsyncClient, team: dict[str, Any], role: str
) -> None:
    """Outside production anyone reaching the server reads it (that is its purpose: the invitee
    of a local trial is not signed in); production has no such route."""
    headers = {} if role == "nobody" else team[role].headers
    response = await client.get("/api/v1/dev/mailbox", headers=headers)
    assert response.status_code == 200
    assert "emails" in response.json()


def test_production_has_no_dev_mailbox(settings: Settings) -> None:
    production = Settings(
        _env_file=None,  # type: ignore[call-arg]
        app_env=AppEnv.production,
        database_url=settings.database_url,
        data_dir=settings.data_dir,
        jwt_secret=SecretStr(secrets.token_urlsafe(48)),
        stripe_secret_key=SecretStr("sk_live_vaultra_example_key"),
        stripe_webhook_secret=SecretStr("whsec_live_example"),
        stripe_connect_client_id="ca_live_example",
        report_signing_key=SecretStr(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()),
    )
    paths = set(create_app(production).openapi()["paths"])
    assert "/api/v1/dev/mailbox" not in paths
    assert "/api/v1/notifications/unsubscribe" in paths


def test_vaultra_mail_list(database_url: str, tmp_path: Path) -> None:
    async def write() -> None:
        database = Database(database_url)
        try:
            async with database.session() as session:
                session.add(
                    OutboxEmail(to="cli@example.com", subject="Hello from the outbox", body="Hi.")
                )
        finally:
            await database.dispose()

    async def forget() -> None:
        database = Database(database_url)
        try:
            async with database.session() as session:
                await service.delete_for_recipient(session, "CLI@example.com")
        finally:
            await database.dispose()

    asyncio.run(write())
    env = {"APP_ENV": "test", "DATABASE_URL": database_url, "DATA_DIR": str(tmp_path)}
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            cli, ["mail", "list", "--to", "cli@example.com", "--body"], env=env
        )
    finally:
        get_settings.cache_clear()
        asyncio.run(forget())
    assert result.exit_code == 0, result.output
    assert "cli@example.com  Hello from the outbox" in result.output
    assert "pending" in result.output
    assert "  Hi." in result.output


def _uuid(value: str) -> Any:
    import uuid

    return uuid.UUID(value)


async def test_without_a_web_build_dev_mailbox_is_a_plain_page(
    app: FastAPI, client: httpx.AsyncClient, db: Database
) -> None:
    async with db.session() as session:
        await service.enqueue_email(
            session, to="plain@example.com", subject="Plain <page>", text="Line one\nhttp://x/y"
        )
    await app.state.queue.join()
    response = await client.get("/dev/mailbox")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<h2>Plain &lt;page&gt;</h2>" in response.text
    assert "To plain@example.com" in response.text
    assert "Line one\nhttp://x/y" in response.text
