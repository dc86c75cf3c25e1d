"""Sending the outbox over SMTP (aiosmtplib), exactly once per message.

A message is sent at most once, and retried until then, by recording each step before taking
the next one:

1. claim: `pending` -> `sending` (with a claim token and a lease), committed;
2. connect, MAIL FROM, RCPT TO: nothing is delivered yet, so a sender dying here leaves a
   `sending` row whose lease lapses, and the next run sends it again;
3. `sending` -> `handed_over`, committed, only if the claim is still ours;
4. DATA: from here the server may have the message, so it is never sent again;
5. `handed_over` -> `sent`, committed.

A sender killed between 4 and 5 leaves `handed_over`: when its lease lapses the row becomes
`unconfirmed` and stays so (the server saw the Message-ID once). Temporary failures (4xx,
connection errors before DATA) go back to `pending` with exponential backoff: 1, 2, 4, ... 64
minutes, then `failed` after MAX_ATTEMPTS (8 attempts, about two hours); permanent ones (5xx)
fail at once. Without SMTP_HOST, pending mail is marked `kept` and never sent.
"""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, parseaddr

import aiosmtplib
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.db import Database, utcnow
from app.notifications.models import OutboxEmail, OutboxStatus

logger = logging.getLogger("vaultra.notifications")

MAX_ATTEMPTS = 8
RETRY_BASE = timedelta(minutes=1)
# How long a claimed message stays claimed by a sender that stopped answering: well above a
# send's SMTP timeouts (30 s each for connect and each command).
CLAIM_LEASE = timedelta(minutes=5)
BATCH = 100
SMTPS_PORT = 465
UNCONFIRMED = "the sender stopped during DATA; not sent again, so it is never delivered twice"


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    kept: int = 0
    unconfirmed: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "retrying": self.retrying,
            "failed": self.failed,
            "kept": self.kept,
            "unconfirmed": self.unconfirmed,
        }


def message_id(email: OutboxEmail, settings: Settings) -> str:
    """`<key@domain>`: the key is unique per outbox row, the domain is EMAIL_FROM's."""
    address = parseaddr(settings.email_from)[1]
    domain = address.rpartition("@")[2] or "vaultra.local"
    return f"<{email.message_key}@{domain}>"


def build_message(email: OutboxEmail, settings: Settings) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.email_from
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = format_datetime(email.created_at)
    message["Message-ID"] = message_id(email, settings)
    for name, value in (email.headers or {}).items():
        message[name] = value
    # Quoted-printable keeps the message 7-bit (no 8BITMIME needed) and lines short.
    message.set_content(email.body, cte="quoted-printable")
    if email.html:
        message.add_alternative(email.html, subtype="html", cte="quoted-printable")
    return message


def _retry_at(now: datetime, attempts: int) -> datetime:
    delay: timedelta = RETRY_BASE * 2 ** max(attempts - 1, 0)
    return now + delay


class _Permanent(Exception):
    pass


class _Temporary(Exception):
    pass


class _Uncertain(Exception):
    pass


async def send_due(
    db: Database, settings: Settings, *, now: datetime | None = None, limit: int = BATCH
) -> SendReport:
    """Send the messages due now (at most `limit`), each in its own steps (see the module)."""
    now = now or utcnow()
    report = SendReport()
    async with db.session() as session:
        report.unconfirmed = await _recover(session, now)
        if not settings.smtp_enabled:
            report.kept = await _keep_pending(session)
            return report
        due = list(
            await session.scalars(
                select(OutboxEmail.id)
                .where(
                    OutboxEmail.status == OutboxStatus.pending,
                    OutboxEmail.next_attempt_at <= now,
                )
                .order_by(OutboxEmail.next_attempt_at, OutboxEmail.created_at)
                .limit(limit)
            )
        )
    for email_id in due:
        await _send_one(db, settings, email_id, now, report)
    return report


async def _recover(session: AsyncSession, now: datetime) -> int:
    """Messages whose sender died: before DATA they are sent again, after it never."""
    await session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.status == OutboxStatus.sending, OutboxEmail.claimed_until < now)
        .values(status=OutboxStatus.pending, claim_token=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.status == OutboxStatus.handed_over, OutboxEmail.claimed_until < now)
        .values(
            status=OutboxStatus.unconfirmed,
            claim_token=None,
            claimed_until=None,
            last_error=UNCONFIRMED,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def _keep_pending(session: AsyncSession) -> int:
    result = await session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.status == OutboxStatus.pending)
        .values(status=OutboxStatus.kept)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def _claim(db: Database, email_id: uuid.UUID, token: str, now: datetime) -> bool:
    async with db.session() as session:
        result = await session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id == email_id, OutboxEmail.status == OutboxStatus.pending)
            .values(
                status=OutboxStatus.sending,
                claim_token=token,
                claimed_until=now + CLAIM_LEASE,
                attempts=OutboxEmail.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1


async def _move(
    db: Database,
    email_id: uuid.UUID,
    token: str,
    *,
    source: OutboxStatus,
    **values: object,
) -> bool:
    """Change a claimed row, only while our claim holds."""
    async with db.session() as session:
        result = await session.execute(
            update(OutboxEmail)
            .where(
                OutboxEmail.id == email_id,
                OutboxEmail.status == source,
                OutboxEmail.claim_token == token,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1


async def _send_one(
    db: Database, settings: Settings, email_id: uuid.UUID, now: datetime, report: SendReport
) -> None:
    token = str(uuid.uuid4())
    if not await _claim(db, email_id, token, now):
        return  # another sender took it
    async with db.session() as session:
        email = await session.get(OutboxEmail, email_id)
        if email is None:
            return
        attempts = email.attempts
        recipient = email.to
        error = ""
        message: EmailMessage | None = None
        try:
            message = build_message(email, settings)
        except (ValueError, TypeError) as exc:
            error = f"not a valid message: {type(exc).__name__}: {exc}"
    if message is None:
        report.failed += 1
        report.errors.append(error)
        await _move(
            db,
            email_id,
            token,
            source=OutboxStatus.sending,
            status=OutboxStatus.failed,
            claim_token=None,
            claimed_until=None,
            last_error=error[:500],
        )
        return
    try:
        if not await _deliver(db, settings, email_id, token, message, recipient):
            return
    except _Uncertain as exc:
        report.unconfirmed += 1
        await _move(
            db,
            email_id,
            token,
            source=OutboxStatus.handed_over,
            status=OutboxStatus.unconfirmed,
            claim_token=None,
            claimed_until=None,
            last_error=f"{UNCONFIRMED} ({exc})"[:500],
        )
        return
    except _Permanent as exc:
        logger.warning("email failed", extra={"email_id": str(email_id), "error": str(exc)})
        report.failed += 1
        report.errors.append(str(exc))
        await _move(
            db,
            email_id,
            token,
            source=OutboxStatus.sending,
            status=OutboxStatus.failed,
            claim_token=None,
            claimed_until=None,
            last_error=str(exc)[:500],
        )
        return
    except _Temporary as exc:
        logger.warning(
            "email not sent, will retry",
            extra={"email_id": str(email_id), "attempt": attempts, "error": str(exc)},
        )
        report.errors.append(str(exc))
        final = attempts >= MAX_ATTEMPTS
        if final:
            report.failed += 1
        else:
            report.retrying += 1
        await _move(
            db,
            email_id,
            token,
            source=OutboxStatus.sending,
            status=OutboxStatus.failed if final else OutboxStatus.pending,
            claim_token=None,
            claimed_until=None,
            next_attempt_at=_retry_at(now, attempts),
            last_error=str(exc)[:500],
        )
        return
    report.sent += 1
    await _move(
        db,
        email_id,
        token,
        source=OutboxStatus.handed_over,
        status=OutboxStatus.sent,
        sent_at=utcnow(),
        claim_token=None,
        claimed_until=None,
        last_error=None,
    )


async def _deliver(
    db: Database,
    settings: Settings,
    email_id: uuid.UUID,
    token: str,
    message: EmailMessage,
    recipient: str,
) -> bool:
    """True once the server took the message; False when another sender has it now."""
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    smtp = aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username or None,
        password=password if settings.smtp_username else None,
        # Port 465 is TLS from the first byte (RFC 8314); elsewhere STARTTLS if configured.
        use_tls=settings.smtp_port == SMTPS_PORT,
        start_tls=settings.smtp_starttls and settings.smtp_port != SMTPS_PORT,
        timeout=settings.smtp_timeout_seconds,
    )
    sender = parseaddr(settings.email_from)[1]
    try:
        try:
            await smtp.connect()
            await smtp.mail(sender)
            await smtp.rcpt(recipient)
        except aiosmtplib.SMTPResponseException as exc:
            raise _classify(exc) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise _Temporary(f"{type(exc).__name__}: {exc}") from exc
        except UnicodeError as exc:
            # An address SMTP cannot carry (no SMTPUTF8): sending again would not help.
            raise _Permanent(f"{type(exc).__name__}: {exc}") from exc
        if not await _move(
            db,
            email_id,
            token,
            source=OutboxStatus.sending,
            status=OutboxStatus.handed_over,
            claimed_until=utcnow() + CLAIM_LEASE,
        ):
            # Our claim lapsed and another sender has the message: leave it to that one.
            raise _Lost()
        try:
            await smtp.data(message.as_bytes(policy=SMTP_POLICY))
        except aiosmtplib.SMTPResponseException as exc:
            # The server answered DATA with an error: it did not take the message.
            await _move(
                db,
                email_id,
                token,
                source=OutboxStatus.handed_over,
                status=OutboxStatus.sending,
            )
            raise _classify(exc) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise _Uncertain(f"{type(exc).__name__}: {exc}") from exc
    except _Lost:
        return False
    finally:
        try:
            if smtp.is_connected:
                await smtp.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            smtp.close()
    return True


class _Lost(Exception):
    pass


def _classify(exc: aiosmtplib.SMTPResponseException) -> Exception:
    text = f"SMTP {exc.code}: {exc.message}"
    return _Permanent(text) if 500 <= exc.code < 600 else _Temporary(text)
