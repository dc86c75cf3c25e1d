import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from app.notifications.models import DigestFrequency, OutboxStatus
from app.notifications.service import Kind

# A signed unsubscribe token (three base64url parts); never stored.
UNSUBSCRIBE_TOKEN_PATTERN = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"
UnsubscribeToken = Annotated[
    str, Field(min_length=10, max_length=1000, pattern=UNSUBSCRIBE_TOKEN_PATTERN)
]


class NotificationPreferencesRead(BaseModel):
    business_id: uuid.UUID
    digest: DigestFrequency = Field(description="The readiness digest: daily, weekly or off.")
    alert_tier: bool = Field(description="Email when the readiness tier changes.")
    alert_dispute: bool = Field(
        description="Email when last month's dispute ratio crosses 0.65%, 0.9% or 1.5%."
    )
    alert_sync: bool = Field(description="Email when the Stripe sync has failed for 24 hours.")
    alert_stripe_revoked: bool = Field(
        description="Email when Stripe access is revoked from Stripe's side."
    )


class NotificationPreferencesUpdate(BaseModel):
    """Any subset of the preferences; `business_id` may instead be a query parameter."""

    model_config = ConfigDict(extra="forbid")

    business_id: uuid.UUID | None = None
    digest: DigestFrequency | None = None
    alert_tier: bool | None = None
    alert_dispute: bool | None = None
    alert_sync: bool | None = None
    alert_stripe_revoked: bool | None = None


class UnsubscribeRead(BaseModel):
    kind: Kind
    label: str = Field(description="What the link turns off, e.g. 'dispute ratio alerts'.")
    business_name: str | None = Field(description="None when the business no longer exists.")
    unsubscribed: bool = Field(description="Whether that kind of email is now off.")


class OutboxEmailRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    to: str
    subject: str
    kind: str
    status: OutboxStatus
    message_id: str
    text: str
    html: str | None
    headers: dict[str, Any]
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None


class Mailbox(BaseModel):
    emails: list[OutboxEmailRead]
    smtp_configured: bool = Field(description="False: mail is kept here and never sent.")
