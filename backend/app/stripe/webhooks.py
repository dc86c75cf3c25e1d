"""Stripe webhooks: verify, store (minimized) before acknowledging, then process as a job.

The endpoint only verifies and stores, so it stays fast and an acknowledged event is never
lost: processing runs after the commit (`stripe_process_events`, one keyed job per business),
and a sweeper (`stripe_process_pending_events`) retries whatever was stored but never handled.
Processing is idempotent and order-independent: rows are upserted by Stripe id with the event's
`created` as their version, so an older event never overwrites a newer state.
"""

import asyncio
import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
import stripe
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import observability
from app.core.db import Database, is_unavailable, utcnow
from app.jobs.names import STRIPE_PROCESS_EVENTS
from app.jobs.queue import enqueue_after_commit
from app.stripe import service
from app.stripe.client import StripeApi
from app.stripe.config import StripeConfig
from app.stripe.exceptions import InvalidWebhook, InvalidWebhookEvent, InvalidWebhookPayload
from app.stripe.models import IntegrationAccount, StripeEvent
from app.stripe.normalize import (
    BALANCE_TRANSACTION,
    RowContext,
    project,
    project_event,
    rows_for,
    to_datetime,
)
from app.stripe.schemas import (
    ACCOUNT_ID_PATTERN,
    EARLIEST_CREATED,
    EVENT_ID_PATTERN,
    EVENT_TYPE_MAX_LENGTH,
    EVENT_TYPE_PATTERN,
)

logger = logging.getLogger("vaultra.stripe.webhooks")

SIGNATURE_TOLERANCE_SECONDS = 300
MAX_ATTEMPTS = 10
# The sweeper leaves fresh events to the job enqueued when they arrived.
SWEEP_MIN_AGE = timedelta(minutes=1)
DEAUTHORIZED = service.DEAUTHORIZED_EVENT


# The envelope WebhookEvent documents; `created` may run up to a year ahead (the development
# sandbox's clock can run ahead of the real one).
_EVENT_ID = re.compile(EVENT_ID_PATTERN)
_ACCOUNT_ID = re.compile(ACCOUNT_ID_PATTERN)
_EVENT_TYPE = re.compile(rf"(?=.{{1,{EVENT_TYPE_MAX_LENGTH}}}$){EVENT_TYPE_PATTERN}")
CREATED_AHEAD = timedelta(days=366)


def verify(payload: bytes, signature: str | None, secrets: Sequence[str]) -> dict[str, Any]:
    """The event, if any of the secrets (several during a rotation) signed it recently and it
    can be stored. Raises InvalidWebhook (or a subclass) for anything else, never another error."""
    # Stripe signs the body's text and its header is ASCII; anything else would fail inside the
    # check (decoding, or comparing non-ASCII strings) rather than be refused by it.
    if not signature or not secrets or not signature.isascii():
        raise InvalidWebhook()
    try:
        text = payload.decode()
    except UnicodeDecodeError as exc:
        raise InvalidWebhookPayload() from exc
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(
                text, signature, secret, SIGNATURE_TOLERANCE_SECONDS
            )
            break
        except stripe.SignatureVerificationError:
            continue
    else:
        raise InvalidWebhook()
    try:
        event = orjson.loads(payload)
    except ValueError as exc:
        raise InvalidWebhookPayload() from exc
    if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
        raise InvalidWebhookPayload()
    _check_envelope(event)
    return event


def _check_envelope(event: dict[str, Any]) -> None:
    """Refuse, before storing, what the stripe_events row could not hold."""
    checks = {
        "id": _matches(_EVENT_ID, event.get("id")),
        "type": _matches(_EVENT_TYPE, event.get("type")),
        "account": event.get("account") is None or _matches(_ACCOUNT_ID, event.get("account")),
        "created": _plausible_time(event.get("created")),
        "livemode": isinstance(event.get("livemode", False), bool),
    }
    invalid = [name for name, valid in checks.items() if not valid]
    if invalid:
        raise InvalidWebhookEvent(f"The event's {', '.join(invalid)} is not valid.")


def _as_stored(event: dict[str, Any]) -> dict[str, Any]:
    """The event as stored (minimized); PostgreSQL's JSONB refuses a NUL in any string."""
    stored = project_event(event)
    if _holds_nul(stored):
        raise InvalidWebhookEvent("The event's data.object holds a NUL character.")
    return stored


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def _matches(pattern: re.Pattern[str], value: Any) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def _plausible_time(value: Any) -> bool:
    if not isinstance(value, int) or isinstance(value, bool):
        return False
    latest = (utcnow() + CREATED_AHEAD).timestamp()
    return EARLIEST_CREATED <= value <= latest


@dataclass(eq=False)
class _Delivery:
    payload: dict[str, Any]
    created: datetime
    stored: asyncio.Future[bool]


class WebhookInbox:
    """Stores verified events with group commit.

    Deliveries that arrive while a write is in flight wait for it, then are stored together by
    the next one, in one transaction. Each delivery is answered only once the transaction that
    holds its event has committed, so an acknowledged event is never lost; under load one
    commit (and its round trips) serves many deliveries instead of one each. With no
    concurrency there is no wait: a lone delivery is written at once.
    """

    def __init__(self, db: Database, *, max_batch: int = 256) -> None:
        self.db = db
        self.max_batch = max_batch
        self._waiting: list[_Delivery] = []
        self._writer: asyncio.Task[None] | None = None

    async def receive(self, config: StripeConfig, payload: bytes, signature: str | None) -> bool:
        """Verify and store an event; False for a duplicate delivery. Raises InvalidWebhook."""
        event = verify(payload, signature, config.webhook_secrets)
        delivery = _Delivery(
            payload=_as_stored(event),
            created=to_datetime(event["created"]) or utcnow(),
            stored=asyncio.get_running_loop().create_future(),
        )
        self._waiting.append(delivery)
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_waiting())
        # Shielded: a sender that hangs up does not cancel a write other deliveries share.
        stored = await asyncio.shield(delivery.stored)
        observability.observe_webhook_delivery(stored=stored)
        return stored

    async def close(self) -> None:
        if self._writer is not None:
            await self._writer

    async def _write_waiting(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[: self.max_batch]
                del self._waiting[: self.max_batch]
                await self._write(batch)
        finally:
            self._writer = None

    async def _write(self, batch: list[_Delivery]) -> None:
        try:
            stored = await self._store(batch)
        except Exception as error:
            if len(batch) > 1 and _refused_data(error):
                # One event the database refuses must not fail the others.
                for delivery in batch:
                    await self._write([delivery])
                return
            for delivery in batch:
                delivery.stored.set_exception(error)
            return
        except BaseException:
            for delivery in batch:
                delivery.stored.cancel()
            raise
        for delivery in batch:
            delivery.stored.set_result(delivery in stored)

    async def _store(self, batch: list[_Delivery]) -> set[_Delivery]:
        """The deliveries whose event was stored now (the first of any repeated in the batch)."""
        first: dict[str, _Delivery] = {}
        for delivery in batch:
            first.setdefault(delivery.payload["id"], delivery)
        async with self.db.session() as session:
            stored = await service.store_events(
                session, [(delivery.payload, delivery.created) for delivery in first.values()]
            )
            for business_id in {owner for owner in stored.values() if owner is not None}:
                # Keyed: while the business's run is queued, more events add nothing (that run
                # will see them); during a run, one follow-up is queued.
                enqueue_after_commit(
                    session,
                    STRIPE_PROCESS_EVENTS,
                    job_key=f"stripe-events:{business_id}",
                    business_id=str(business_id),
                )
        return {delivery for event_id, delivery in first.items() if event_id in stored}


def _refused_data(error: Exception) -> bool:
    """The database answered and refused a statement (worth retrying its rows one by one),
    rather than being unreachable (every retry would fail the same way)."""
    return isinstance(error, DBAPIError) and not is_unavailable(error)


async def process_events(
    db: Database,
    config: StripeConfig,
    *,
    business_id: uuid.UUID | None = None,
    received_before: datetime | None = None,
    batch: int = 500,
) -> int:
    """Process stored events not yet handled, oldest first, until none are left: one
    business's (its job) or everyone's (the sweeper). Then ask the metrics module, once per
    business, to recompute. Returns how many events were applied."""
    processed = 0
    touched: set[uuid.UUID] = set()
    tried: set[str] = set()
    async with StripeApi(config) as api:
        while True:
            async with db.session() as session:
                pending = await service.pending_events(
                    session,
                    business_id=business_id,
                    received_before=received_before,
                    max_attempts=MAX_ATTEMPTS,
                    limit=batch,
                )
            fresh = [(event_id, owner) for event_id, owner in pending if event_id not in tried]
            if not fresh:
                break
            for event_id, owner in fresh:
                tried.add(event_id)
                try:
                    if await process_event(db, config, event_id, api=api):
                        processed += 1
                        if owner is not None:
                            touched.add(owner)
                except Exception:
                    # Recorded on the event; a later run retries it up to MAX_ATTEMPTS times.
                    logger.exception("stripe event processing failed", extra={"event": event_id})
    if touched:
        async with db.session() as session:
            for owner in touched:
                service.notify_data_changed(session, owner)
    return processed


async def process_event(
    db: Database, config: StripeConfig, event_id: str, *, api: StripeApi | None = None
) -> bool:
    """Apply a stored event to the normalized tables; False when there was nothing to do."""
    async with db.session() as session:
        event = await service.get_event(session, event_id)
        if event is None or event.processed_at is not None:
            return False
        account = (
            await service.get_account(session, event.business_id) if event.business_id else None
        )
    if account is not None and (
        account.status != service.CONNECTED or account.stripe_user_id != event.account_id
    ):
        account = None  # disconnected since it arrived: nothing to apply
    try:
        obj: dict[str, Any] = event.payload.get("data", {}).get("object") or {}
        if account is not None and event.type != DEAUTHORIZED:
            obj = await _with_balance_transaction(config, api, account.stripe_user_id, obj)
        async with db.session() as session:
            # Read again: another worker may have handled it meanwhile.
            stored = await service.get_event(session, event_id)
            if stored is None or stored.processed_at is not None:
                return False
            if account is not None:
                await _apply(session, stored, obj, account)
            await service.mark_event_processed(session, stored)
            received_at = stored.received_at
    except Exception as exc:
        async with db.session() as session:
            await service.record_event_failure(session, event_id, f"{type(exc).__name__}: {exc}")
        raise
    observability.observe_webhook_lag((utcnow() - received_at).total_seconds())
    return True


async def _apply(
    session: AsyncSession,
    event: StripeEvent,
    obj: Mapping[str, Any],
    account: IntegrationAccount,
) -> None:
    if event.type == DEAUTHORIZED:
        # A deauthorization older than the current connection belongs to an earlier one.
        attached = await service.get_account(session, account.business_id)
        if attached is not None and event.created >= attached.connected_at:
            await service.mark_disconnected(session, attached, at=event.created)
        return
    context = RowContext(
        business_id=account.business_id,
        account_id=account.stripe_user_id,
        livemode=event.livemode,
        version_at=event.created,
    )
    closed_at = event.created if event.type == "charge.dispute.closed" else None
    await service.store_rows(session, rows_for(obj, context, closed_at=closed_at))


async def _with_balance_transaction(
    config: StripeConfig, api: StripeApi | None, account: str, obj: dict[str, Any]
) -> dict[str, Any]:
    """Events carry a charge's or refund's balance transaction as an id: read it for the
    settled amount and fee. If Stripe cannot answer, the row keeps what it had."""
    transaction = obj.get("balance_transaction")
    if obj.get("object") not in ("charge", "refund") or not isinstance(transaction, str):
        return obj
    try:
        if api is not None:
            expanded = await api.balance_transaction(account, transaction)
        else:
            async with StripeApi(config) as own_api:
                expanded = await own_api.balance_transaction(account, transaction)
    except stripe.StripeError:
        logger.warning("balance transaction unavailable", extra={"id": transaction})
        return obj
    return {**obj, "balance_transaction": project(expanded, BALANCE_TRANSACTION)}


async def process_pending_events(
    db: Database, config: StripeConfig, *, min_age: timedelta = SWEEP_MIN_AGE
) -> int:
    """The sweeper: process stored events that no job handled (e.g. the queue was down)."""
    return await process_events(db, config, received_before=utcnow() - min_age)
