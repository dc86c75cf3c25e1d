"""The outbox (every email, whatever sends it), notification preferences, and the state that
makes alerts fire once per change and digests report changes since the previous one."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, JSONType, UUIDPrimaryKey, utcnow


class OutboxStatus(StrEnum):
    # Waiting for the send job (again after a temporary failure, from `next_attempt_at`).
    pending = "pending"
    # Claimed by a sender that has not yet started the SMTP DATA phase: safe to send again if
    # that sender dies (its claim lapses).
    sending = "sending"
    # The DATA phase began: the SMTP server may have the message. Never sent again.
    handed_over = "handed_over"
    sent = "sent"
    # A permanent failure (5xx, a refused recipient, or too many temporary failures).
    failed = "failed"
    # The sender died during DATA: the server may or may not have it. Not sent again, so a
    # message is never delivered twice.
    unconfirmed = "unconfirmed"
    # No SMTP server is configured (the embedded default): kept here, never sent.
    kept = "kept"


class OutboxEmail(UUIDPrimaryKey, Base):
    """One email. Written in the same unit of work as its cause, then sent by a job."""

    __tablename__ = "email_outbox"
    __table_args__ = (Index("ix_email_outbox_status_next_attempt", "status", "next_attempt_at"),)

    to: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    # The plain-text part.
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # The idempotency key: the Message-ID's left part. Unique, set once, never reused.
    message_key: Mapped[str] = mapped_column(
        String(64), unique=True, default=lambda: uuid.uuid4().hex
    )
    # invitation, digest, alert_tier, alert_dispute, alert_sync, alert_stripe_revoked, ...
    kind: Mapped[str] = mapped_column(String(40), default="notice")
    business_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # Extra headers (List-Unsubscribe, List-Unsubscribe-Post).
    headers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[OutboxStatus] = mapped_column(
        Enum(OutboxStatus, native_enum=False, length=20, validate_strings=True),
        default=OutboxStatus.pending,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The sender holding a `sending`/`handed_over` row, and until when.
    claim_token: Mapped[str | None] = mapped_column(String(36))
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))


class DigestFrequency(StrEnum):
    daily = "daily"
    weekly = "weekly"
    off = "off"


class NotificationPreference(Base):
    """One user's choices for one business; no row means the defaults (weekly, alerts on)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "business_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), index=True
    )
    digest: Mapped[DigestFrequency] = mapped_column(
        Enum(DigestFrequency, native_enum=False, length=10, validate_strings=True),
        default=DigestFrequency.weekly,
    )
    alert_tier: Mapped[bool] = mapped_column(Boolean, default=True)
    alert_dispute: Mapped[bool] = mapped_column(Boolean, default=True)
    alert_sync: Mapped[bool] = mapped_column(Boolean, default=True)
    alert_stripe_revoked: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AlertState(Base):
    """What the alerts last saw for a business, so each change alerts once, not once per
    event or recompute."""

    __tablename__ = "notification_alert_states"

    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True
    )
    tier: Mapped[str | None] = mapped_column(String(30))
    # How many of the dispute thresholds (0.65%, 0.9%, 1.5%) the last month's ratio is over.
    dispute_level: Mapped[int] = mapped_column(default=0)
    # The failing sync streak already alerted (reset by a successful sync).
    sync_failure_alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    # The Stripe-side revocation already alerted.
    stripe_revoked_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DigestState(Base):
    """What a user's last digest for a business said, for the next one's "since last time"."""

    __tablename__ = "notification_digest_states"
    __table_args__ = (UniqueConstraint("user_id", "business_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), index=True
    )
    sent_at: Mapped[datetime]
    score: Mapped[int | None]
    tier: Mapped[str | None] = mapped_column(String(30))
    # Open recommendation ids and eligible funding option types at that digest.
    recommendation_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    eligible_options: Mapped[list[str]] = mapped_column(JSONType, default=list)
