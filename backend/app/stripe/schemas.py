from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

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
    """The envelope of a Stripe event, as the receiver reads it (the body is signed as sent)."""

    id: str = Field(min_length=1)
    type: str
    created: int
    account: str | None = None
    data: dict[str, Any]


class WebhookReceipt(BaseModel):
    received: bool
    duplicate: bool
