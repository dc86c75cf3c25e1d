from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.core.db import column_length
from app.stripe.models import StripeEvent

# Envelope fields as the stripe_events columns hold them. Stripe's ids are ASCII letters and
# digits after their prefix; `created` is a Unix time no older than Stripe.
EVENT_ID_PATTERN = rf"^evt_[A-Za-z0-9_]{{1,{column_length(StripeEvent.event_id) - 4}}}$"
ACCOUNT_ID_PATTERN = rf"^acct_[A-Za-z0-9_]{{1,{column_length(StripeEvent.account_id) - 5}}}$"
EVENT_TYPE_PATTERN = r"^[a-z0-9_]+(\.[a-z0-9_]+)*$"
EVENT_TYPE_MAX_LENGTH = column_length(StripeEvent.type)
EARLIEST_CREATED = int(datetime(2010, 1, 1, tzinfo=UTC).timestamp())

SyncState = Literal["idle", "queued", "running", "interrupted", "succeeded", "failed"]


class ConnectUrl(BaseModel):
    url: str


class SyncStatus(BaseModel):
    state: SyncState
    full: bool
    started_at: datetime | None
    finished_at: datetime | None
    objects_synced: int
    error: str | None


class StripeStatus(BaseModel):
    connected: bool
    account_id: str | None
    livemode: bool | None
    connected_at: datetime | None
    last_synced_at: datetime | None
    sync: SyncStatus


class WebhookEvent(BaseModel):
    """The envelope of a Stripe event as the receiver accepts it (`webhooks.verify`). Documented,
    not parsed: the signature covers the raw bytes, which the receiver reads."""

    id: str = Field(pattern=EVENT_ID_PATTERN)
    type: str = Field(pattern=EVENT_TYPE_PATTERN, max_length=EVENT_TYPE_MAX_LENGTH)
    created: int = Field(ge=EARLIEST_CREATED, description="Unix time, at most a year ahead.")
    account: str | None = Field(default=None, pattern=ACCOUNT_ID_PATTERN)
    livemode: bool = False
    data: dict[str, Any]


class WebhookReceipt(BaseModel):
    received: bool
    duplicate: bool
