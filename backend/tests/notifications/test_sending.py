"""Mail as the SMTP server receives it, retries and permanent failures, and exactly-once
sending when the sender is killed."""

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI

from app.core.config import Settings
from app.core.db import Database, utcnow
from app.jobs.queue import enqueue
from app.notifications import sender, service
from app.notifications.models import OutboxEmail, OutboxStatus
from app.notifications.tasks import DIGEST_JOB
from tests.conftest import Account
from tests.notifications.conftest import SmtpServer, outbox
from tests.notifications.helpers import connected_business

BACKEND = Path(__file__).resolve().parents[2]
PAGES = BACKEND.parent / "frontend" / "src" / "pages"
URL = re.compile(r"https?://[^\s\"<>]+")


def _page_exists(path: str) -> bool:
    """Whether the web app has a page at `path` (frontend/src/pages)."""
    path = path.strip("/") or "index"
    return (PAGES / f"{path}.astro").is_file() or (PAGES / path / "index.astro").is_file()


async def _queue_and_send(app: FastAPI, db: Database, to: str, subject: str) -> str:
    async with db.session() as session:
        email = await service.enqueue_email(
            session, to=to, subject=subject, text="Plain words.", html="<p>Plain words.</p>"
        )
        key = email.message_key
    await app.state.queue.join()
    return key


async def test_a_digest_arrives_with_both_parts_working_links_and_one_click_unsubscribe(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: Database,
    make_account: Any,
    smtp_server: SmtpServer,
) -> None:
    owner: Account = await make_account(name="Ada Owner")
    business_id, _, _ = await connected_business(db, owner)
    await enqueue("refresh_business", job_key=f"refresh:{business_id}", business_id=business_id)
    await app.state.queue.join()
    await enqueue(DIGEST_JOB)
    await app.state.queue.join()

    [mail] = smtp_server.received
    [row] = await outbox(db, kind="digest")
    assert mail.rcpt_tos == [owner.user["email"]]
    assert mail.mail_from == "notify@vaultra.test"
    message = mail.message
    assert message["From"] == "Vaultra <notify@vaultra.test>"
    assert message["To"] == owner.user["email"]
    assert re.fullmatch(r"Vaultra weekly digest for Acme: score \d+", str(message["Subject"]))
    assert message["Message-ID"] == f"<{row.message_key}@vaultra.test>"
    assert row.status == OutboxStatus.sent
    assert row.sent_at is not None
    score = str(message["Subject"]).rsplit(" ", 1)[1]
    for part in (mail.text, mail.html):
        assert f"Score {score}/100" in part
        assert "Hi Ada Owner," in part
    assert message.get_content_type() == "multipart/alternative"

    # Links: the same in both parts, each to a page of the web app or the API.
    text_links = set(URL.findall(mail.text))
    html_links = {link.replace("&amp;", "&") for link in re.findall(r'href="([^"]+)"', mail.html)}
    assert text_links == html_links
    assert len(text_links) == 3  # dashboard, unsubscribe, settings
    for link in text_links:
        parts = urlsplit(link)
        assert parts.netloc == "frontend.test", link
        assert _page_exists(parts.path), f"{link}: no such page"
    assert f"http://frontend.test/dashboard?business_id={business_id}" in text_links
    assert "http://frontend.test/settings#notifications-heading" in text_links

    # RFC 8058: the one-click POST, to the header's URL, needs no login.
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = str(message["List-Unsubscribe"]).strip("<>")
    assert one_click.startswith("http://testserver/api/v1/notifications/unsubscribe?token=")
    page_link = next(link for link in text_links if "/unsubscribe?" in link)
    token = page_link.split("token=", 1)[1]
    described = await client.get(
        "/api/v1/notifications/unsubscribe", params={"token": token.replace("%2E", ".")}
    )
    assert described.status_code == 200, described.text
    assert described.json() == {
        "kind": "digest",
        "label": "the readiness digest",
        "business_name": "Acme",
        "unsubscribed": False,
    }
    response = await client.post(
        one_click.removeprefix("http://testserver"),
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["unsubscribed"] is True
    preferences = await client.get(
        "/api/v1/notifications/preferences",
        params={"business_id": str(business_id)},
        headers=owner.headers,
    )
    assert preferences.json()["digest"] == "off"
    assert preferences.json()["alert_dispute"] is True  # only that kind

    # A forged token is refused; the real one keeps working (idempotent).
    query = urlsplit(one_click).query
    real = query.removeprefix("token=")
    forged = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    refused = await client.post(f"/api/v1/notifications/unsubscribe?token={forged}")
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_unsubscribe_token"
    malformed = await client.post("/api/v1/notifications/unsubscribe?token=not-a-token")
    assert malformed.status_code == 400
    again = await client.post(f"/api/v1/notifications/unsubscribe?token={real}")
    assert again.status_code == 200

    # Unsubscribed: a week later, no digest.
    async with db.session() as session:
        from app.notifications import digest
        from app.users import service as users_service

        business = await users_service.get_business(session, business_id)
        assert business is not None
        written = await digest.send_business_digests(
            session, business, app.state.settings, now=utcnow() + timedelta(days=8)
        )
    assert written == 0


async def test_temporary_failures_are_retried_with_backoff_and_permanent_ones_recorded(
    app: FastAPI, db: Database, settings: Settings, smtp_server: SmtpServer
) -> None:
    smtp_server.refusals["later@example.com"] = ["451 4.3.0 Try again later"]
    smtp_server.refusals["nobody@example.com"] = ["550 5.1.1 No such user"]
    later = await _queue_and_send(app, db, "later@example.com", "Retried")
    await _queue_and_send(app, db, "nobody@example.com", "Bounced")

    [retried] = await outbox(db, to="later@example.com")
    assert retried.status == OutboxStatus.pending
    assert retried.attempts == 1
    assert retried.last_error == "SMTP 451: 4.3.0 Try again later"
    assert retried.next_attempt_at > utcnow() + timedelta(seconds=50)
    [bounced] = await outbox(db, to="nobody@example.com")
    assert bounced.status == OutboxStatus.failed
    assert bounced.last_error == "SMTP 550: 5.1.1 No such user"
    assert smtp_server.received == []

    # Not due yet: nothing happens. Once due, it is sent; the bounce stays failed.
    assert (await sender.send_due(db, settings)).sent == 0
    report = await sender.send_due(db, settings, now=utcnow() + timedelta(minutes=2))
    assert report.sent == 1
    [retried] = await outbox(db, to="later@example.com")
    assert retried.status == OutboxStatus.sent
    assert retried.attempts == 2
    assert smtp_server.message_ids() == [f"<{later}@vaultra.test>"]


async def test_an_unreachable_server_is_retried_then_the_failure_recorded(
    app: FastAPI, db: Database, settings: Settings
) -> None:
    from tests.servers import free_port

    nowhere = settings.model_copy(update={"smtp_port": free_port()})
    await _write(db, "a@example.com")
    now = utcnow()
    for attempt in range(1, sender.MAX_ATTEMPTS + 1):
        report = await sender.send_due(db, nowhere, now=now)
        [row] = await outbox(db)
        assert row.attempts == attempt
        now = row.next_attempt_at
    assert report.failed == 1
    assert row.status == OutboxStatus.failed
    assert row.last_error is not None
    assert "ConnectError" in row.last_error
    # 1 + 2 + ... + 64 minutes of backoff.
    assert row.next_attempt_at - row.created_at >= timedelta(minutes=127)


def _run_sender(settings: Settings, tmp_path: Path) -> subprocess.Popen[bytes]:
    """`vaultra jobs run send_email_outbox` from this worktree, as its own process."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "APP_ENV": "test",
        "DATABASE_URL": settings.database_url,
        "DATA_DIR": str(tmp_path / "child-data"),
        "JWT_SECRET": settings.resolved_jwt_secret(),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(settings.smtp_port),
        "SMTP_STARTTLS": "false",
        "EMAIL_FROM": settings.email_from,
        "LOG_LEVEL": "WARNING",
        # Whatever a local backend/.env says: no Redis, no web build.
        "REDIS_URL": "",
        "FRONTEND_DIST": str(tmp_path / "no-web-build"),
    }
    return subprocess.Popen(
        [sys.executable, "-c", "from app.cli import main; main()", "jobs", "run", sender_job()],
        cwd=BACKEND,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def sender_job() -> str:
    return "send_email_outbox"


async def _wait_for(process: subprocess.Popen[bytes], limit: float = 120) -> int:
    deadline = time.monotonic() + limit
    while process.poll() is None:
        assert time.monotonic() < deadline, "the sender process did not stop"
        await asyncio.sleep(0.1)
    return process.returncode


async def _write(db: Database, to: str) -> str:
    """An outbox row as `enqueue_email` writes it, without the send it asks for after commit:
    the sender process sends it."""
    async with db.session() as session:
        email = OutboxEmail(to=to, subject=f"For {to}", body="Hello.")
        session.add(email)
        await session.flush()
        return email.message_key


async def test_a_sender_killed_after_data_never_sends_twice(
    db: Database, settings: Settings, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    first = await _write(db, "first@example.com")
    second = await _write(db, "second@example.com")
    process = _run_sender(settings, tmp_path)

    def kill_on_first(received: Any) -> None:
        # The server has the message; the sender dies before it hears "250" and records it.
        if "first@example.com" in received.rcpt_tos:
            os.kill(process.pid, signal.SIGKILL)

    smtp_server.on_accept = kill_on_first
    assert await _wait_for(process) == -signal.SIGKILL
    [row] = await outbox(db, to="first@example.com")
    assert row.status == OutboxStatus.handed_over

    # The retry, once the dead sender's claim lapses: the second is sent, the first is not
    # sent again (unconfirmed, and said so).
    smtp_server.on_accept = None
    later = utcnow() + sender.CLAIM_LEASE + timedelta(seconds=1)
    report = await sender.send_due(db, settings, now=later)
    assert (report.sent, report.unconfirmed) == (1, 1)
    assert smtp_server.message_ids() == [f"<{first}@vaultra.test>", f"<{second}@vaultra.test>"]
    [row] = await outbox(db, to="first@example.com")
    assert row.status == OutboxStatus.unconfirmed
    assert row.last_error == sender.UNCONFIRMED
    assert (await sender.send_due(db, settings, now=later + timedelta(hours=3))).sent == 0
    assert len(smtp_server.message_ids()) == 2


async def test_a_sender_killed_before_data_is_followed_by_exactly_one_send(
    db: Database, settings: Settings, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    key = await _write(db, "early@example.com")
    process = _run_sender(settings, tmp_path)

    def kill_at_rcpt(address: str) -> None:
        os.kill(process.pid, signal.SIGKILL)

    smtp_server.on_rcpt = kill_at_rcpt
    assert await _wait_for(process) == -signal.SIGKILL
    [row] = await outbox(db, to="early@example.com")
    assert row.status == OutboxStatus.sending
    assert smtp_server.received == []

    smtp_server.on_rcpt = None
    # Still claimed: not sent meanwhile. Once the claim lapses, sent once.
    assert (await sender.send_due(db, settings)).sent == 0
    later = utcnow() + sender.CLAIM_LEASE + timedelta(seconds=1)
    assert (await sender.send_due(db, settings, now=later)).sent == 1
    assert (await sender.send_due(db, settings, now=later)).sent == 0
    assert smtp_server.message_ids() == [f"<{key}@vaultra.test>"]
    [row] = await outbox(db, to="early@example.com")
    assert row.status == OutboxStatus.sent
    assert row.attempts == 2


async def test_each_message_has_its_own_message_id(
    app: FastAPI, db: Database, smtp_server: SmtpServer
) -> None:
    keys = [await _queue_and_send(app, db, f"r{i}@example.com", "Same subject") for i in range(3)]
    ids = smtp_server.message_ids()
    assert len(set(ids)) == 3
    assert ids == [f"<{key}@vaultra.test>" for key in keys]
    assert all(uuid.UUID(key) for key in keys)


async def test_without_smtp_mail_is_kept_and_never_sent(
    db: Database, settings: Settings, smtp_server: SmtpServer
) -> None:
    """The embedded default: no SMTP_HOST. Turning SMTP on later does not send what was kept."""
    await _write(db, "kept@example.com")
    embedded = settings.model_copy(update={"smtp_host": None})
    assert not embedded.smtp_enabled
    report = await sender.send_due(db, embedded)
    assert (report.kept, report.sent) == (1, 0)
    [row] = await outbox(db, to="kept@example.com")
    assert row.status == OutboxStatus.kept
    assert (await sender.send_due(db, settings)).sent == 0
    assert smtp_server.received == []


async def test_non_ascii_text_and_dot_lines_arrive_intact_and_a_bad_address_fails(
    app: FastAPI, db: Database, smtp_server: SmtpServer
) -> None:
    async with db.session() as session:
        await service.enqueue_email(
            session,
            to="zoe@example.com",
            subject="Vaultra: Café Zoë's tier rose to Ready",
            text="Hi Zoë,\n.\n.. two dots\nBye",
            html="<p>Zoë ✓</p>",
        )
        await service.enqueue_email(session, to="zoë@exämple.com", subject="s", text="t")
    await app.state.queue.join()
    [mail] = smtp_server.received
    assert mail.message["Subject"] == "Vaultra: Café Zoë's tier rose to Ready"
    assert mail.text == "Hi Zoë,\n.\n.. two dots\nBye\n"
    assert "<p>Zoë ✓</p>" in mail.html
    [bad] = await outbox(db, to="zoë@exämple.com")
    assert bad.status == OutboxStatus.failed
    assert bad.last_error is not None
    assert bad.last_error.startswith("UnicodeEncodeError")


async def test_an_email_rolled_back_with_its_cause_is_never_sent(
    app: FastAPI, db: Database, smtp_server: SmtpServer
) -> None:
    class CauseFailed(Exception):
        pass

    try:
        async with db.session() as session:
            await service.enqueue_email(session, to="never@example.com", subject="s", text="t")
            raise CauseFailed
    except CauseFailed:
        pass
    await app.state.queue.join()
    assert await outbox(db) == []
    assert smtp_server.received == []
