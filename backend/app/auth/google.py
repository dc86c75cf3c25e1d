"""Google sign-in: authorization code flow with PKCE and nonce, ID token verified via JWKS."""

import base64
import hashlib
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service as auth_service
from app.auth.exceptions import GoogleNotConfigured, OAuthError
from app.core import security
from app.core.config import Settings
from app.users import service as users_service
from app.users.models import User
from app.users.schemas import AvatarUrl, UserName

STATE_PURPOSE = "google-login"
JWKS_TTL_SECONDS = 3600
# The name and picture are what the user typed at Google: checked like any user input.
_NAME = TypeAdapter(UserName)
_AVATAR_URL = TypeAdapter(AvatarUrl)


@dataclass
class _JwksCache:
    url: str = ""
    fetched_at: float = 0.0
    keys: jwt.PyJWKSet | None = None


_jwks_cache = _JwksCache()


def callback_url(settings: Settings) -> str:
    return f"{settings.app_base_url.rstrip('/')}/api/v1/auth/callback/google"


def _pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def authorization_url(session: AsyncSession, settings: Settings) -> str:
    if not settings.google_enabled:
        raise GoogleNotConfigured()
    verifier = security.random_token(48)
    nonce = security.random_token(24)
    state = await auth_service.issue_state(
        session, settings, purpose=STATE_PURPOSE, code_verifier=verifier, nonce=nonce
    )
    params = {
        "response_type": "code",
        "client_id": settings.google_client_id,
        "redirect_uri": callback_url(settings),
        "scope": "openid email profile",
        "state": state,
        "nonce": nonce,
        "code_challenge": _pkce_challenge(verifier),
        "code_challenge_method": "S256",
        "prompt": "select_account",
    }
    return f"{settings.google_auth_url}?{urlencode(params)}"


async def complete_login(
    session: AsyncSession, settings: Settings, http: httpx.AsyncClient, *, code: str, state: str
) -> User:
    """Exchange the code, verify the ID token, then find, link or create the user."""
    if not settings.google_enabled:
        raise GoogleNotConfigured()
    stored = await auth_service.consume_state(session, settings, token=state, purpose=STATE_PURPOSE)
    id_token = await _exchange_code(settings, http, code, stored.code_verifier or "")
    claims = await _verify_id_token(settings, http, id_token, expected_nonce=stored.nonce or "")
    return await _find_or_create_user(session, claims)


async def _exchange_code(
    settings: Settings, http: httpx.AsyncClient, code: str, verifier: str
) -> str:
    secret = settings.google_client_secret
    try:
        response = await http.post(
            settings.google_token_url,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": callback_url(settings),
                "client_id": settings.google_client_id,
                "client_secret": secret.get_secret_value() if secret else "",
                "code_verifier": verifier,
            },
            headers={"Accept": "application/json"},
        )
    except httpx.HTTPError as exc:
        raise OAuthError("Google could not be reached.", code="google_unreachable") from exc
    if response.status_code != 200:
        raise OAuthError("Google refused the sign-in code.", code="code_exchange_failed")
    id_token = response.json().get("id_token")
    if not isinstance(id_token, str):
        raise OAuthError("Google returned no ID token.", code="code_exchange_failed")
    return id_token


async def _signing_keys(
    settings: Settings, http: httpx.AsyncClient, *, refresh: bool
) -> jwt.PyJWKSet:
    cache = _jwks_cache
    fresh = time.monotonic() - cache.fetched_at < JWKS_TTL_SECONDS
    if cache.keys is not None and cache.url == settings.google_jwks_url and fresh and not refresh:
        return cache.keys
    try:
        response = await http.get(settings.google_jwks_url)
        response.raise_for_status()
        keys = jwt.PyJWKSet.from_dict(response.json())
    except (httpx.HTTPError, jwt.PyJWTError, ValueError) as exc:
        raise OAuthError("Google's signing keys are unavailable.", code="jwks_unavailable") from exc
    cache.url, cache.fetched_at, cache.keys = settings.google_jwks_url, time.monotonic(), keys
    return keys


async def _verify_id_token(
    settings: Settings, http: httpx.AsyncClient, id_token: str, *, expected_nonce: str
) -> dict[str, Any]:
    try:
        kid = jwt.get_unverified_header(id_token).get("kid")
    except jwt.PyJWTError as exc:
        raise OAuthError("The ID token is malformed.", code="invalid_id_token") from exc
    key = None
    for refresh in (False, True):  # a key rotation shows up as an unknown kid
        keys = await _signing_keys(settings, http, refresh=refresh)
        key = next((k for k in keys.keys if k.key_id == kid), None)
        if key is not None:
            break
    if key is None:
        raise OAuthError("The ID token's signing key is unknown.", code="invalid_id_token")
    try:
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key=key,
            algorithms=["RS256"],
            audience=settings.google_client_id,
            options={"require": ["iss", "sub", "aud", "exp", "iat"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise OAuthError("The ID token has expired.", code="id_token_expired") from exc
    except jwt.InvalidAudienceError as exc:
        raise OAuthError("The ID token is for another app.", code="invalid_audience") from exc
    except jwt.PyJWTError as exc:
        raise OAuthError("The ID token is invalid.", code="invalid_id_token") from exc
    if claims["iss"] not in settings.google_issuers:
        raise OAuthError("The ID token's issuer is not Google.", code="invalid_issuer")
    if not security.constant_time_equals(str(claims.get("nonce", "")), expected_nonce):
        raise OAuthError("The ID token's nonce does not match.", code="invalid_nonce")
    if claims.get("email_verified") is not True or not claims.get("email"):
        raise OAuthError("Google has not verified this email.", code="email_not_verified")
    return claims


async def _find_or_create_user(session: AsyncSession, claims: dict[str, Any]) -> User:
    sub = str(claims["sub"])
    user = await users_service.get_user_by_google_sub(session, sub)
    if user is not None:
        return user
    user = await users_service.get_user_by_email(session, claims["email"])
    if user is not None:
        # The email is verified by Google, so the existing account is the same person.
        user.google_sub = sub
        await session.flush()
        return user
    name, avatar_url = _profile(claims)
    return await users_service.create_user(
        session, email=claims["email"], name=name, google_sub=sub, avatar_url=avatar_url
    )


def _profile(claims: dict[str, Any]) -> tuple[str, str | None]:
    """The Google name, else the email's local part; the picture's URL when it is valid."""
    try:
        name = _NAME.validate_python(claims.get("name"))
    except ValidationError:
        name = str(claims["email"]).split("@")[0]
    try:
        avatar_url: str | None = str(_AVATAR_URL.validate_python(claims.get("picture")))
    except ValidationError:
        avatar_url = None
    return name, avatar_url
