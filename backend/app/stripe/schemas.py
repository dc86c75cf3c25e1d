from datetime import datetime
from typing import Literal

from pydantic import BaseModel

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


class WebhookReceipt(BaseModel):
    received: bool
    duplicate: bool
