"""The outbox, notification preferences and unsubscribe tokens.

Every email goes through the outbox: a module writes it with `enqueue_email` in the same unit of
work as its cause (so a rolled-back cause sends nothing), and the `send_email_outbox` job sends
it after commit (`app.notifications.sender`). This module imports no other module's service, so
any module (users, teams) can call it without an import cycle.

Services flush; the caller's unit of work commits.
"""

import hashlib
import hmac
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

import jwt
from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.jobs.names import SEND_EMAIL_OUTBOX
from app.jobs.queue import enqueue_after_commit
from app.notifications.exceptions import InvalidUnsubscribeToken
from app.notifications.models import (
    DigestFrequency,
    NotificationPreference,
    OutboxEmail,
    OutboxStatus,
)

SEND_JOB = SEND_EMAIL_OUTBOX
SEND_JOB_KEY = "email-outbox"

# The kinds a user can turn off, each with its own one-click unsubscribe link.
Kind = Literal["digest", "alert_tier", "alert_dispute", "alert_sync", "alert_stripe_revoked"]
KINDS: tuple[Kind, ...] = (
    "digest",
    "alert_tier",
    "alert_dispute",
    "alert_sync",
    "alert_stripe_revoked",
)
KIND_LABELS: dict[str, str] = {
    "digest": "the readiness digest",
    "alert_tier": "tier change alerts",
    "alert_dispute": "dispute ratio alerts",
    "alert_sync": "sync failure alerts",
    "alert_stripe_revoked": "Stripe access alerts",
}
_UNSUBSCRIBE_AUDIENCE = "vaultra:unsubscribe"


# --- the outbox ------------------------------------------------------------------------------


async def enqueue_email(
    session: AsyncSession,
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    kind: str = "notice",
    business_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    headers: dict[str, str] | None = None,
) -> OutboxEmail:
    """Write one email to the outbox and have it sent after the caller's commit.

    `kind` names what it is (e.g. "invitation"); `business_id`/`user_id` tie it to what a
    deletion removes. The row gets its own message key, the Message-ID's unique left part.
    """
    email = OutboxEmail(
        to=to.strip(),
        subject=_one_line(subject)[:300],
        body=text,
        html=html,
        kind=kind,
        business_id=business_id,
        user_id=user_id,
        headers=dict(headers or {}),
        status=OutboxStatus.pending,
    )
    session.add(email)
    await session.flush()
    enqueue_after_commit(session, SEND_JOB, job_key=SEND_JOB_KEY)
    return email


async def list_outbox(
    session: AsyncSession,
    *,
    to: str | None = None,
    kind: str | None = None,
    business_id: uuid.UUID | None = None,
    status: OutboxStatus | None = None,
    limit: int = 100,
) -> list[OutboxEmail]:
    """Newest first; `to` matches case-insensitively."""
    statement = select(OutboxEmail)
    if to is not None:
        statement = statement.where(func.lower(OutboxEmail.to) == to.strip().lower())
    if kind is not None:
        statement = statement.where(OutboxEmail.kind == kind)
    if business_id is not None:
        statement = statement.where(OutboxEmail.business_id == business_id)
    if status is not None:
        statement = statement.where(OutboxEmail.status == status)
    statement = statement.order_by(OutboxEmail.created_at.desc(), OutboxEmail.id).limit(limit)
    return list(await session.scalars(statement))


async def get_email(session: AsyncSession, email_id: uuid.UUID) -> OutboxEmail | None:
    return await session.get(OutboxEmail, email_id)


async def delete_for_recipient(
    session: AsyncSession, email: str, *, user_id: uuid.UUID | None = None
) -> int:
    """Forget every email to `email` (any case), or tied to `user_id`: an account's deletion."""
    condition = func.lower(OutboxEmail.to) == email.strip().lower()
    if user_id is not None:
        condition = or_(condition, OutboxEmail.user_id == user_id)
    result = await session.execute(delete(OutboxEmail).where(condition))
    return int(getattr(result, "rowcount", 0) or 0)


async def delete_for_business(session: AsyncSession, business_id: uuid.UUID) -> int:
    """Forget a business's emails (its preferences and alert state go with its row)."""
    result = await session.execute(
        delete(OutboxEmail).where(OutboxEmail.business_id == business_id)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- preferences -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Preferences:
    digest: DigestFrequency = DigestFrequency.weekly
    alert_tier: bool = True
    alert_dispute: bool = True
    alert_sync: bool = True
    alert_stripe_revoked: bool = True

    def allows(self, kind: str) -> bool:
        if kind == "digest":
            return self.digest != DigestFrequency.off
        return bool(getattr(self, kind, True))


PREFERENCE_FIELDS = ("digest", "alert_tier", "alert_dispute", "alert_sync", "alert_stripe_revoked")


def _as_preferences(row: NotificationPreference | None) -> Preferences:
    if row is None:
        return Preferences()
    return Preferences(**{name: getattr(row, name) for name in PREFERENCE_FIELDS})


async def _preference_row(
    session: AsyncSession, user_id: uuid.UUID, business_id: uuid.UUID
) -> NotificationPreference | None:
    result = await session.execute(
        select(NotificationPreference).where(
            NotificationPreference.user_id == user_id,
            NotificationPreference.business_id == business_id,
        )
    )
    return result.scalar_one_or_none()


async def get_preferences(
    session: AsyncSession, user_id: uuid.UUID, business_id: uuid.UUID
) -> Preferences:
    return _as_preferences(await _preference_row(session, user_id, business_id))


async def preferences_for_business(
    session: AsyncSession, business_id: uuid.UUID, user_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Preferences]:
    """Each user's preferences for the business (the defaults where none are stored)."""
    rows = await session.scalars(
        select(NotificationPreference).where(NotificationPreference.business_id == business_id)
    )
    stored = {row.user_id: _as_preferences(row) for row in rows}
    return {user_id: stored.get(user_id, Preferences()) for user_id in user_ids}


async def update_preferences(
    session: AsyncSession,
    user_id: uuid.UUID,
    business_id: uuid.UUID,
    changes: dict[str, Any],
) -> Preferences:
    row = await _preference_row(session, user_id, business_id)
    if row is None:
        row = NotificationPreference(user_id=user_id, business_id=business_id)
        for name, value in Preferences().__dict__.items():
            setattr(row, name, value)
        session.add(row)
    for name, value in changes.items():
        if name in PREFERENCE_FIELDS and value is not None:
            setattr(row, name, value)
    await session.flush()
    return _as_preferences(row)


# --- one-click unsubscribe -------------------------------------------------------------------


@dataclass(frozen=True)
class Unsubscribe:
    user_id: uuid.UUID
    business_id: uuid.UUID
    kind: Kind


def _unsubscribe_key(settings: Settings) -> bytes:
    # Derived from the signing secret, so an unsubscribe token is no session token and back.
    secret = settings.resolved_jwt_secret().encode()
    return hmac.new(secret, b"vaultra unsubscribe tokens", hashlib.sha256).digest()


def unsubscribe_token(
    settings: Settings, user_id: uuid.UUID, business_id: uuid.UUID, kind: Kind
) -> str:
    """A signed token naming one user, business and kind. It does not expire: an old email's
    link must still work (and it can only turn one kind of email off)."""
    claims = {"sub": str(user_id), "bid": str(business_id), "kind": kind}
    return jwt.encode({**claims, "aud": _UNSUBSCRIBE_AUDIENCE}, _unsubscribe_key(settings))


def read_unsubscribe_token(settings: Settings, token: str) -> Unsubscribe:
    try:
        claims = jwt.decode(
            token,
            _unsubscribe_key(settings),
            algorithms=["HS256"],
            audience=_UNSUBSCRIBE_AUDIENCE,
            options={"require": ["sub", "bid", "kind", "aud"]},
        )
        kind = claims["kind"]
        if kind not in KINDS:
            raise InvalidUnsubscribeToken()
        return Unsubscribe(uuid.UUID(claims["sub"]), uuid.UUID(claims["bid"]), kind)
    except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
        raise InvalidUnsubscribeToken() from exc


async def unsubscribe(session: AsyncSession, target: Unsubscribe) -> Preferences:
    """Turn the token's kind off for its user and business (idempotent)."""
    change: dict[str, Any] = (
        {"digest": DigestFrequency.off} if target.kind == "digest" else {target.kind: False}
    )
    return await update_preferences(session, target.user_id, target.business_id, change)


@dataclass(frozen=True)
class UnsubscribeLinks:
    page: str  # the /unsubscribe page, for the email's body
    one_click: str  # the API URL a mail client POSTs to (RFC 8058)

    def headers(self) -> dict[str, str]:
        return {
            "List-Unsubscribe": f"<{self.one_click}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }


def unsubscribe_links(
    settings: Settings, user_id: uuid.UUID, business_id: uuid.UUID, kind: Kind
) -> UnsubscribeLinks:
    token = quote(unsubscribe_token(settings, user_id, business_id, kind), safe="")
    return UnsubscribeLinks(
        page=f"{settings.frontend_url.rstrip('/')}/unsubscribe?token={token}",
        one_click=(
            f"{settings.app_base_url.rstrip('/')}/api/v1/notifications/unsubscribe?token={token}"
        ),
    )
