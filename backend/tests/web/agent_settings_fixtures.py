"""Set-up shared by the assistant, knowledge and settings browser tests: the knowledge base
ingested into the web server's database, and a business connected to a synced sample merchant
of the sandbox mounted on the server (the same steps as tests/stripe's `connect_merchant`,
with a synchronous client)."""

import asyncio
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

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


def connect_sample_merchant(user: WebUser, business_id: str, merchant: str) -> None:
    """Connect Stripe the browser's way: authorize URL, the sandbox's page, the merchant's
    link, the callback."""
    response = user.api.get(
        "/api/v1/integrations/stripe/connect",
        params={"business_id": business_id},
        headers=user.headers,
    )
    assert response.status_code == 200, response.text
    authorize_url = response.json()["url"]
    with httpx.Client(timeout=30) as browser:
        page = browser.get(authorize_url)
        assert page.status_code == 200, page.text
        href = page.text.split(f'id="{merchant}" href="', 1)[1].split('"', 1)[0]
        parts = urlsplit(authorize_url)
        choice = browser.get(f"{parts.scheme}://{parts.netloc}{href.replace('&amp;', '&')}")
    assert choice.status_code == 302, choice.text
    callback = urlsplit(choice.headers["location"])
    done = user.api.get(f"{callback.path}?{callback.query}")
    assert done.status_code == 302, done.text
    assert "stripe=connected" in done.headers["location"], done.headers["location"]


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


def wait_for_readiness(user: WebUser, business_id: str, *, limit: float = 60) -> dict[str, Any]:
    """The readiness score, once the jobs after the sync have computed it."""
    deadline = time.monotonic() + limit
    while True:
        response = user.api.get(
            "/api/v1/readiness", params={"business_id": business_id}, headers=user.headers
        )
        if response.status_code == 200 and response.json().get("score") is not None:
            body: dict[str, Any] = response.json()
            return body
        assert time.monotonic() < deadline, response.text
        time.sleep(0.2)
