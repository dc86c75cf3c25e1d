"""Businesses connected to sandbox sample merchants, synced, for the recommendations and funding
pages' browser tests. Syncing costs seconds, so modules share them (module-scoped fixtures)."""

import time
from dataclasses import dataclass
from typing import Any

from tests.web.conftest import WebServer
from tests.web.helpers import WebUser, new_user
from tests.web.overview_fixtures import connect_merchant

SYNC_TIMEOUT_SECONDS = 120


@dataclass
class SyncedBusiness:
    """A user whose business is connected to a sample merchant, synced and scored."""

    user: WebUser
    business_id: str
    merchant: str


def connect_sample_merchant(server: WebServer, merchant: str) -> SyncedBusiness:
    """Signs up, creates a business and connects `merchant` the browser's way (the sandbox's
    authorize page, the merchant's link, the callback), then waits for the sync and the score."""
    user = new_user(server.api)
    business_id = str(user.create_business("Recs & Funding Co")["id"])
    assert connect_merchant(user, business_id, merchant)["stripe"] == "connected"
    _wait(user, business_id)
    return SyncedBusiness(user, business_id, merchant)


def _wait(user: WebUser, business_id: str) -> None:
    """Until the sync has finished and the readiness score and recommendations exist."""
    deadline = time.monotonic() + SYNC_TIMEOUT_SECONDS
    while True:
        status: dict[str, Any] = user.get(
            "/api/v1/integrations/stripe/status", business_id=business_id
        )
        state = status["sync"]["state"]
        assert state != "failed", status
        if state == "succeeded":
            readiness = user.api.get(
                "/api/v1/readiness", params={"business_id": business_id}, headers=user.headers
            )
            recs = user.get("/api/v1/recommendations", business_id=business_id)
            if (
                readiness.status_code == 200
                and readiness.json()["stored"]
                and recs["recommendations"]
            ):
                return
        assert time.monotonic() < deadline, status
        time.sleep(0.25)
