from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from app.core.config import Settings
from tests.auth.oidc_provider import CLIENT_ID, CLIENT_SECRET, LocalOpenIDProvider
from tests.servers import serve_in_thread


@pytest.fixture
def provider() -> Iterator[LocalOpenIDProvider]:
    provider = LocalOpenIDProvider()
    with serve_in_thread(provider.asgi()) as base_url:
        provider.issuer = base_url
        yield provider


@pytest.fixture
def settings(settings: Settings, provider: LocalOpenIDProvider) -> Settings:
    return settings.model_copy(
        update={
            "google_client_id": CLIENT_ID,
            "google_client_secret": SecretStr(CLIENT_SECRET),
            "google_auth_url": f"{provider.issuer}/authorize",
            "google_token_url": f"{provider.issuer}/token",
            "google_jwks_url": f"{provider.issuer}/jwks",
            "google_issuers": [provider.issuer],
        }
    )


async def _start(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.get("/api/v1/auth/google/login")
    assert response.status_code == 302
    location = response.headers["location"]
    params = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
    assert params["code_challenge_method"] == "S256"
    assert params["nonce"]
    assert params["state"]
    return params


async def _sign_in(
    client: httpx.AsyncClient,
    provider: LocalOpenIDProvider,
    *,
    state: str | None = None,
    **login: str,
) -> dict[str, Any]:
    """The browser's round trip: Vaultra → provider → Vaultra's callback → frontend."""
    params = await _start(client)
    if state is not None:
        params["state"] = state
    async with httpx.AsyncClient() as browser:
        authorize = await browser.get(
            f"{provider.issuer}/authorize",
            params={**params, **{f"login_{key}": value for key, value in login.items()}},
        )
    callback = urlsplit(authorize.headers["location"])
    response = await client.get(f"{callback.path}?{callback.query}")
    assert response.status_code == 302
    target = urlsplit(response.headers["location"])
    assert target.path == "/auth/callback/google"
    assert "token" not in target.query
    return {key: values[0] for key, values in parse_qs(target.fragment).items()}


async def test_happy_path_creates_user_and_returns_token_in_fragment(
    client: httpx.AsyncClient, provider: LocalOpenIDProvider
) -> None:
    result = await _sign_in(client, provider, sub="g-123", email="New.Founder@Gmail.example")
    assert "token" in result
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {result['token']}"})
    assert me.status_code == 200
    assert me.json()["email"] == "new.founder@gmail.example"
    # PKCE: the verifier reached the provider's token endpoint.
    assert provider.token_requests[-1]["code_verifier"]

    again = await _sign_in(client, provider, sub="g-123", email="new.founder@gmail.example")
    me_again = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {again['token']}"}
    )
    assert me_again.json()["id"] == me.json()["id"]


async def test_existing_password_account_is_linked(
    client: httpx.AsyncClient, provider: LocalOpenIDProvider, make_account: Any
) -> None:
    account = await make_account(email="linked@example.com")
    result = await _sign_in(client, provider, sub="g-link", email="LINKED@example.com")
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {result['token']}"})
    assert me.json()["id"] == account.id


@pytest.mark.parametrize(
    ("profile", "name", "avatar_url"),
    [
        # What the user typed at Google is user text like any other: invalid parts are dropped.
        ({"name": "Ev\x00il", "picture": "https://lh3.example/" + "a" * 3000}, "odd", None),
        ({"name": "x" * 201, "picture": "javascript:alert(1)"}, "odd", None),
        (
            {"name": " Zoe\u0301 ", "picture": "https://lh3.example/p.png"},
            "Zo\u00e9",
            "https://lh3.example/p.png",
        ),
    ],
)
async def test_google_profile_is_checked_like_user_input(
    client: httpx.AsyncClient,
    provider: LocalOpenIDProvider,
    profile: dict[str, str],
    name: str,
    avatar_url: str | None,
) -> None:
    provider.overrides = profile
    result = await _sign_in(client, provider, sub="g-odd", email="odd@gmail.example")
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {result['token']}"})
    assert me.json()["name"] == name
    assert me.json()["avatar_url"] == avatar_url


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"aud": "someone-else.apps.example"}, "invalid_audience"),
        ({"nonce": "not-the-nonce"}, "invalid_nonce"),
        ({"email_verified": False}, "email_not_verified"),
        ({"exp": 1_000_000_000, "iat": 999_999_000}, "id_token_expired"),
        ({"iss": "https://evil.example"}, "invalid_issuer"),
    ],
)
async def test_bad_id_tokens_are_refused(
    client: httpx.AsyncClient,
    provider: LocalOpenIDProvider,
    override: dict[str, Any],
    error: str,
) -> None:
    provider.overrides = override
    result = await _sign_in(client, provider, sub="g-bad", email="bad@gmail.example")
    assert result == {"error": error}
    users = await client.post(
        "/api/v1/auth/login", json={"email": "bad@gmail.example", "password": "whatever1"}
    )
    assert users.status_code == 401


async def test_bad_or_replayed_state_is_refused(
    client: httpx.AsyncClient, provider: LocalOpenIDProvider
) -> None:
    assert await _sign_in(client, provider, state="forged.state.value") == {
        "error": "invalid_state"
    }

    params = await _start(client)
    tampered = params["state"][:-4] + ("AAAA" if not params["state"].endswith("AAAA") else "BBBB")
    response = await client.get(
        "/api/v1/auth/callback/google", params={"code": "x", "state": tampered}
    )
    assert parse_qs(urlsplit(response.headers["location"]).fragment) == {"error": ["invalid_state"]}

    # A state works once.
    params = await _start(client)
    async with httpx.AsyncClient() as browser:
        authorize = await browser.get(f"{provider.issuer}/authorize", params=params)
    callback = urlsplit(authorize.headers["location"])
    first = await client.get(f"{callback.path}?{callback.query}")
    assert "token=" in urlsplit(first.headers["location"]).fragment
    replay = await client.get(f"{callback.path}?{callback.query}")
    assert urlsplit(replay.headers["location"]).fragment == "error=invalid_state"


async def test_user_declining_at_google(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/v1/auth/callback/google", params={"error": "access_denied", "state": "s"}
    )
    assert urlsplit(response.headers["location"]).fragment == "error=access_denied"


@pytest.fixture
async def unconfigured_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    app.state.settings = app.state.settings.model_copy(update={"google_client_id": None})
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_not_configured(unconfigured_client: httpx.AsyncClient) -> None:
    for path in ("/api/v1/auth/google/login", "/api/v1/auth/callback/google?code=a&state=b"):
        response = await unconfigured_client.get(path)
        assert response.status_code == 503
        assert response.json()["code"] == "google_not_configured"
        assert "not configured" in response.json()["detail"]


async def test_providers_list_google_when_configured(client: httpx.AsyncClient) -> None:
    """The log-in page shows "Continue with Google" only when it would work."""
    response = await client.get("/api/v1/auth/providers")
    assert response.status_code == 200
    assert response.json() == {"google": True}


async def test_providers_leave_google_out_when_unconfigured(
    unconfigured_client: httpx.AsyncClient,
) -> None:
    response = await unconfigured_client.get("/api/v1/auth/providers")
    assert response.json() == {"google": False}
