"""Accounts: signup, login, tokens, and single-use OAuth `state`."""

import uuid
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.exceptions import (
    CommonPassword,
    InvalidCredentials,
    InvalidState,
    InvalidToken,
    TokenNotFound,
)
from app.auth.models import LoginFailure, OAuthState, PersonalAccessToken
from app.auth.throttle import LoginThrottle
from app.core import security
from app.core.config import Settings
from app.users import service as users_service
from app.users.models import User

STATE_TTL_SECONDS = 10 * 60
PAT_PREFIX = "vtr_pat_"
# `last_used_at` is refreshed at most this often, so token use is not a write per request.
PAT_TOUCH_SECONDS = 60


@lru_cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("app.auth").joinpath("common_passwords.txt").read_text()
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def check_password_strength(password: str, email: str) -> None:
    lowered = password.lower()
    if lowered in _common_passwords() or lowered == email.split("@")[0].lower():
        raise CommonPassword()


def issue_token(settings: Settings, user: User) -> tuple[str, datetime]:
    return security.create_access_token(
        user_id=user.id,
        email=user.email,
        secret=settings.resolved_jwt_secret(),
        expires_minutes=settings.jwt_expire_minutes,
    )


async def signup(session: AsyncSession, *, email: str, password: str, name: str) -> User:
    check_password_strength(password, email)
    return await users_service.create_user(
        session, email=email, name=name, password_hash=security.hash_password(password)
    )


async def login(
    session: AsyncSession,
    throttle: LoginThrottle,
    *,
    email: str,
    password: str,
    client_ip: str,
) -> User:
    email = users_service.normalize_email(email)
    keys = [f"email:{email}", f"ip:{client_ip}"]
    await throttle.check(keys)
    user = await users_service.get_user_by_email(session, email)
    if user is None or not security.verify_password(password, user.password_hash):
        await throttle.record_failure(keys)
        raise InvalidCredentials()
    await throttle.clear(f"email:{email}")
    if user.password_hash and security.password_needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
        await session.flush()
    return user


async def authenticate(session: AsyncSession, settings: Settings, token: str) -> User:
    """The user behind a bearer token: a JWT from login, or a personal access token."""
    if is_personal_access_token(token):
        return await authenticate_personal_access_token(session, token)
    try:
        payload = security.decode_access_token(token, secret=settings.resolved_jwt_secret())
    except security.InvalidToken as exc:
        raise InvalidToken() from exc
    user = await users_service.get_user(session, uuid.UUID(payload["user_id"]))
    if user is None:
        raise InvalidToken()
    return user


async def issue_state(
    session: AsyncSession,
    settings: Settings,
    *,
    purpose: str,
    user_id: uuid.UUID | None = None,
    business_id: uuid.UUID | None = None,
    code_verifier: str | None = None,
    nonce: str | None = None,
) -> str:
    """A signed `state` that expires in 10 minutes and can be consumed once."""
    jti = security.random_token(24)
    session.add(
        OAuthState(
            jti=jti,
            purpose=purpose,
            user_id=user_id,
            business_id=business_id,
            code_verifier=code_verifier,
            nonce=nonce,
            expires_at=datetime.now(UTC) + timedelta(seconds=STATE_TTL_SECONDS),
        )
    )
    await session.flush()
    claims: dict[str, Any] = {"jti": jti}
    if user_id:
        claims["sub"] = str(user_id)
    if business_id:
        claims["business_id"] = str(business_id)
    return security.sign_payload(
        claims,
        secret=settings.resolved_jwt_secret(),
        audience=purpose,
        ttl_seconds=STATE_TTL_SECONDS,
    )


async def consume_state(
    session: AsyncSession, settings: Settings, *, token: str, purpose: str
) -> OAuthState:
    """Verify signature, purpose, expiry and binding; mark used. A second use fails."""
    try:
        claims = security.verify_signed_payload(
            token, secret=settings.resolved_jwt_secret(), audience=purpose
        )
    except security.InvalidToken as exc:
        raise InvalidState() from exc
    state = await session.get(OAuthState, str(claims.get("jti", "")), with_for_update=True)
    now = datetime.now(UTC)
    if (
        state is None
        or state.purpose != purpose
        or state.used_at is not None
        or state.expires_at <= now
        or str(state.user_id or "") != claims.get("sub", "")
        or str(state.business_id or "") != claims.get("business_id", "")
    ):
        raise InvalidState()
    state.used_at = now
    await session.flush()
    return state


def is_personal_access_token(token: str) -> bool:
    return token.startswith(PAT_PREFIX)


async def create_personal_access_token(
    session: AsyncSession, user: User, *, name: str, expires_in_days: int | None = None
) -> tuple[PersonalAccessToken, str]:
    """A new token and its secret; the secret is not stored and cannot be shown again."""
    secret = PAT_PREFIX + security.random_token(32)
    expires_at = (
        datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days is not None else None
    )
    token = PersonalAccessToken(
        user_id=user.id,
        name=name,
        token_prefix=secret[: len(PAT_PREFIX) + 6],
        token_hash=security.sha256_hex(secret),
        expires_at=expires_at,
    )
    session.add(token)
    await session.flush()
    return token, secret


async def list_personal_access_tokens(
    session: AsyncSession, user_id: uuid.UUID
) -> list[PersonalAccessToken]:
    result = await session.execute(
        select(PersonalAccessToken)
        .where(PersonalAccessToken.user_id == user_id, PersonalAccessToken.revoked_at.is_(None))
        .order_by(PersonalAccessToken.created_at, PersonalAccessToken.id)
    )
    return list(result.scalars())


async def revoke_personal_access_token(
    session: AsyncSession, user_id: uuid.UUID, token_id: uuid.UUID
) -> None:
    token = await session.get(PersonalAccessToken, token_id)
    # Another user's token answers like a missing one.
    if token is None or token.user_id != user_id or token.revoked_at is not None:
        raise TokenNotFound()
    token.revoked_at = datetime.now(UTC)
    await session.flush()


async def authenticate_personal_access_token(session: AsyncSession, secret: str) -> User:
    result = await session.execute(
        select(PersonalAccessToken).where(
            PersonalAccessToken.token_hash == security.sha256_hex(secret)
        )
    )
    token = result.scalar_one_or_none()
    now = datetime.now(UTC)
    if (
        token is None
        or token.revoked_at is not None
        or (token.expires_at is not None and token.expires_at <= now)
    ):
        raise InvalidToken()
    user = await users_service.get_user(session, token.user_id)
    if user is None:
        raise InvalidToken()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > PAT_TOUCH_SECONDS:
        token.last_used_at = now
        await session.flush()
    return user


async def delete_business_data(session: AsyncSession, business_id: uuid.UUID) -> None:
    """OAuth states bound to the business (a Stripe connect under way; teams)."""
    await session.execute(delete(OAuthState).where(OAuthState.business_id == business_id))


async def delete_user_data(session: AsyncSession, user_id: uuid.UUID, email: str) -> None:
    """The user's access tokens, OAuth states and failed-login records (keyed by email) in the
    database; Redis counters expire on their own within the throttle window (teams)."""
    await session.execute(delete(PersonalAccessToken).where(PersonalAccessToken.user_id == user_id))
    await session.execute(delete(OAuthState).where(OAuthState.user_id == user_id))
    email = users_service.normalize_email(email)
    await session.execute(
        delete(LoginFailure).where(
            or_(LoginFailure.key == f"email:{email}", LoginFailure.key == email)
        )
    )
