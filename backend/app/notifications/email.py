"""How email leaves Vaultra. Development (and the MVP) writes to the outbox table and the log;
a provider- or SMTP-backed sender implements the same protocol."""

import logging
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from app.notifications.models import OutboxEmail

logger = logging.getLogger("vaultra.notifications")


@dataclass(frozen=True)
class EmailMessage:
    to: str
    subject: str
    body: str


class EmailSender(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class OutboxEmailSender:
    """Stores the message in `email_outbox`, in the caller's unit of work, and logs it."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def send(self, message: EmailMessage) -> None:
        self.session.add(OutboxEmail(to=message.to, subject=message.subject, body=message.body))
        await self.session.flush()
        logger.info(
            "email written to the outbox",
            extra={"to": message.to, "subject": message.subject, "body": message.body},
        )
