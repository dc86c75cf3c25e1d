"""Set-up shared by the assistant and settings browser tests: the knowledge base ingested into
the web server's database, and waiting for a sync (connections: overview_fixtures.py)."""

import asyncio
import threading
import time
from typing import Any

from app.agent.runtime import AgentRuntime
from app.core.config import Settings
from app.core.db import Database
from tests.web.helpers import WebUser


def ingest_knowledge(settings: Settings) -> None:
    """The shipped knowledge base into the server's database (the web server starts with
    `kb_auto_ingest` off). Its retriever notices new chunks within 5 s (RECHECK_SECONDS); run
    this before the first question. A thread of its own: Playwright's loop owns this one."""
    errors: list[BaseException] = []

    async def ingest() -> None:
        database = Database.from_settings(settings)
        try:
            await AgentRuntime(settings, database).ingest()
        finally:
            await database.engine.dispose()

    def run() -> None:
        try:
            asyncio.run(ingest())
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def wait_for_sync(user: WebUser, business_id: str, *, limit: float = 120) -> dict[str, Any]:
    """The Stripe status once the sync has ended; fails if it did not succeed."""
    deadline = time.monotonic() + limit
    while True:
        status: dict[str, Any] = user.get(
            "/api/v1/integrations/stripe/status", business_id=business_id
        )
        if status["sync"]["state"] in ("succeeded", "failed"):
            assert status["sync"]["state"] == "succeeded", status
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.2)
