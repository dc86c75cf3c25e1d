import base64
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from app.core.config import Settings
from tests.conftest import TEST_PASSWORD

SIGNUP = "/api/v1/auth/signup"
LOGIN = "/api/v1/auth/login"
ME = "/api/v1/auth/me"


async def test_signup_returns_user_and_a_working_token(client: httpx.AsyncClient) -> None:
    response = await client.post(
        SIGNUP, json={"email": "Ada@Example.COM", "password": TEST_PASSWORD, "name": "Ada"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["user"]["email"] == "ada@example.com"
    assert body["user"]["businesses"] == []
    assert "password" not in json.dumps(body).lower().replace("password_", "")
    me = await client.get(ME, headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json()["id"] == body["user"]["id"]


async def test_token_carries_the_spec_payload(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    response = await client.post(
        SIGNUP, json={"email": "p@example.com", "password": TEST_PASSWORD, "name": "P"}
    )
    token = response.json()["token"]
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, settings.resolved_jwt_secret(), algorithms=["HS256"])
    assert set(claims) == {"user_id", "email", "exp", "iat"}
    assert claims["email"] == "p@example.com"
    assert claims["exp"] - claims["iat"] == 24 * 3600


async def test_duplicate_signup_ignores_case(client: httpx.AsyncClient, make_account: Any) -> None:
    await make_account(email="dup@example.com")
    response = await client.post(
        SIGNUP, json={"email": "DUP@example.com", "password": TEST_PASSWORD, "name": "Again"}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"
    # Named like a validation error's field, so the sign-up form shows it next to "Email".
    assert response.json()["errors"] == [
        {"field": "email", "message": "An account with this email already exists."}
    ]


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        (
            {"email": "a@example.com", "password": "short", "name": "A"},
            "validation_error",
            "password",
        ),
        (
            {"email": "a@example.com", "password": "x" * 129, "name": "A"},
            "validation_error",
            "password",
        ),
        (
            {"email": "not-an-email", "password": TEST_PASSWORD, "name": "A"},
            "validation_error",
            "email",
        ),
        (
            {"email": "a@example.com", "password": TEST_PASSWORD, "name": ""},
            "validation_error",
            "name",
        ),
        ({"email": "a@example.com", "password": TEST_PASSWORD}, "validation_error", "name"),
        # A NUL in the name was a 500 on PostgreSQL (and logged the email and the hash).
        (
            {"email": "a@example.com", "password": TEST_PASSWORD, "name": "A\x00"},
            "validation_error",
            "name",
        ),
        (
            {"email": "a@example.com", "password": TEST_PASSWORD, "name": "A\x1b[0m"},
            "validation_error",
            "name",
        ),
        (
            {"email": "a@example.com", "password": TEST_PASSWORD, "name": "x" * 201},
            "validation_error",
            "name",
        ),
        (
            {"email": "a@example.com", "password": "password123", "name": "A"},
            "password_too_common",
            "password",
        ),
        (
            {"email": "a@example.com", "password": "Qwerty123", "name": "A"},
            "password_too_common",
            "password",
        ),
    ],
)
async def test_signup_rejects_bad_input(
    client: httpx.AsyncClient, body: dict[str, str], code: str, field: str
) -> None:
    response = await client.post(SIGNUP, json=body)
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == code
    assert field in [item["field"] for item in error["errors"]]
    login = await client.post(LOGIN, json={"email": "a@example.com", "password": TEST_PASSWORD})
    assert login.status_code == 401


async def test_malformed_json_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        SIGNUP, content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


async def test_login(client: httpx.AsyncClient, make_account: Any) -> None:
    account = await make_account(email="login@example.com")
    response = await client.post(
        LOGIN, json={"email": "LOGIN@example.com", "password": TEST_PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["user"]["id"] == account.id

    for body in (
        {"email": "login@example.com", "password": "wrong password"},
        {"email": "nobody@example.com", "password": TEST_PASSWORD},
    ):
        response = await client.post(LOGIN, json=body)
        assert response.status_code == 401
        assert response.json() == {
            "detail": "Email or password is incorrect.",
            "code": "invalid_credentials",
        }


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(user_id: str, **overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "user_id": user_id,
        "email": "t@example.com",
        "iat": now,
        "exp": now + timedelta(hours=1),
        **overrides,
    }


async def test_tampered_tokens_get_401(
    client: httpx.AsyncClient, make_account: Any, settings: Settings
) -> None:
    account = await make_account()
    secret = settings.resolved_jwt_secret()
    header, payload, signature = account.token.split(".")
    other = await make_account()
    changed_payload = _b64(
        {**json.loads(base64.urlsafe_b64decode(payload + "==")), "user_id": other.id}
    )
    now = int(time.time())
    tokens = {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "HS512": jwt.encode(_claims(account.id), secret, algorithm="HS512"),
        "wrong key": jwt.encode(_claims(account.id), "another-secret-" * 4, algorithm="HS256"),
        "changed payload": f"{header}.{changed_payload}.{signature}",
        "expired": jwt.encode(
            _claims(account.id, iat=now - 7200, exp=now - 3600), secret, algorithm="HS256"
        ),
        "no user_id": jwt.encode(
            {"email": "x@example.com", "iat": now, "exp": now + 60}, secret, algorithm="HS256"
        ),
        "unknown user": jwt.encode(_claims(str(uuid.uuid4())), secret, algorithm="HS256"),
        "garbage": "not-a-jwt",
    }
    for name, token in tokens.items():
        response = await client.get(ME, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name
        assert response.headers["www-authenticate"] == "Bearer", name
        assert response.json()["code"] == "invalid_token", name

    response = await client.get(ME, headers={"Authorization": f"Basic {account.token}"})
    assert response.status_code == 401
    # The genuine token still works.
    assert (await client.get(ME, headers=account.headers)).status_code == 200
