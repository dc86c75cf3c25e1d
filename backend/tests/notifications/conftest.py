"""Notification tests send to a real SMTP server: aiosmtpd, in the test process."""

import email
import email.policy
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import Envelope, Session
from sqlalchemy import select

from app.core.config import Settings
from app.core.db import Database
from app.notifications.models import OutboxEmail
from app.users import service as users_service
from app.users.models import Role
from tests.servers import free_port

EMAIL_FROM = "Vaultra <notify@vaultra.test>"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        # As a mail client shows it: SMTP's CRLF line ends as "\n".
        return str(part.get_content()).replace("\r\n", "\n")  # type: ignore[attr-defined]

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        assert part is not None
        return str(part.get_content())  # type: ignore[attr-defined]


@dataclass
class SmtpServer:
    """What the server accepted, and answers to give instead (e.g. '451 try later')."""

    port: int
    received: list[Received] = field(default_factory=list)
    # Per recipient: SMTP replies to give to DATA, one per attempt, before accepting.
    refusals: dict[str, list[str]] = field(default_factory=dict)
    # Called with each accepted message before the server answers 250.
    on_accept: Any = None
    # Called with each recipient (RCPT TO) before the server answers.
    on_rcpt: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if address in r.rcpt_tos]

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(r.message["Message-ID"]) for r in self.received]


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(
        self,
        server: SMTPServer,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if self.server.on_rcpt is not None:
            self.server.on_rcpt(address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        for rcpt in envelope.rcpt_tos:
            replies = self.server.refusals.get(rcpt)
            if replies:
                return replies.pop(0)
        content = envelope.content
        assert isinstance(content, bytes)
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        received = Received(str(envelope.mail_from), list(envelope.rcpt_tos), message)
        with self.server.lock:
            self.server.received.append(received)
        if self.server.on_accept is not None:
            self.server.on_accept(received)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(port=free_port())
    controller = Controller(_Handler(server), hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


def smtp_settings(base: Settings, port: int, **changes: Any) -> Settings:
    return base.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_starttls": False,
            "smtp_timeout_seconds": 10.0,
            "email_from": EMAIL_FROM,
            **changes,
        }
    )


@pytest.fixture
def settings(settings: Settings, smtp_server: SmtpServer) -> Settings:
    return smtp_settings(settings, smtp_server.port)


async def outbox(db: Database, **filters: Any) -> list[OutboxEmail]:
    async with db.session() as session:
        statement = select(OutboxEmail).order_by(OutboxEmail.created_at, OutboxEmail.id)
        for name, value in filters.items():
            statement = statement.where(getattr(OutboxEmail, name) == value)
        return list(await session.scalars(statement))


async def add_member(db: Database, business_id: str | uuid.UUID, user_id: str, role: Role) -> None:
    async with db.session() as session:
        await users_service.add_member(
            session, uuid.UUID(str(business_id)), uuid.UUID(user_id), role
        )
