"""A business with a connected account and a month of charges, and Stripe events for it."""

import json
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from app.core.db import Database, utcnow
from app.stripe.models import IntegrationAccount
from tests.conftest import Account
from tests.metrics.conftest import StripeData, at
from tests.stripe.conftest import sign

CHARGES_PER_MONTH = 600


def previous_months(today: date | None = None) -> tuple[date, date]:
    """The first days of the last complete calendar month and the one before."""
    today = today or utcnow().date()
    m1 = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    m2 = (m1 - timedelta(days=1)).replace(day=1)
    return m1, m2


def _days(month: date) -> list[date]:
    following = (month + timedelta(days=32)).replace(day=1)
    return [month + timedelta(days=i) for i in range((following - month).days)]


async def connected_business(
    db: Database, owner: Account, name: str = "Acme"
) -> tuple[uuid.UUID, str, list[str]]:
    """The owner's new business, its account connected 90 days ago, with 600 successful charges
    in each of the last two complete months. Returns (business id, account id, m1 charge ids)."""
    business = await owner.create_business(name)
    business_id = uuid.UUID(business["id"])
    account_id = f"acct_{uuid.uuid4().hex[:16]}"
    async with db.session() as session:
        session.add(
            IntegrationAccount(
                business_id=business_id,
                stripe_user_id=account_id,
                connected_at=utcnow() - timedelta(days=90),
                last_synced_at=utcnow(),
                sync_state="succeeded",
            )
        )
    data = StripeData(business_id, account_id=account_id)
    m1, m2 = previous_months()
    charges: list[str] = []
    for month in (m2, m1):
        days = _days(month)
        for i in range(CHARGES_PER_MONTH):
            charge = data.charge(days[i % len(days)], 5_000, customer=f"cus_{i % 150}")
            if month == m1:
                charges.append(charge)
    await data.save(db)
    return business_id, account_id, charges


def event(obj: dict[str, Any], event_type: str, account_id: str) -> dict[str, Any]:
    return {
        "id": f"evt_test_{uuid.uuid4().hex[:20]}",
        "object": "event",
        "account": account_id,
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def dispute_object(charge_id: str, created: datetime) -> dict[str, Any]:
    return {
        "id": f"dp_{uuid.uuid4().hex[:16]}",
        "object": "dispute",
        "amount": 5_000,
        "charge": charge_id,
        "created": int(created.timestamp()),
        "currency": "usd",
        "livemode": False,
        "reason": "fraudulent",
        "status": "needs_response",
        "evidence_details": {"due_by": int(created.timestamp()) + 7 * 86_400},
        "balance_transactions": [],
    }


async def post_event(app: FastAPI, client: httpx.AsyncClient, payload: dict[str, Any]) -> None:
    """Deliver a signed event as Stripe does, and wait for what it sets off (processing, the
    refresh, its alerts, sending)."""
    secret = app.state.stripe_config.webhook_secrets[0]
    body = json.dumps(payload)
    response = await client.post(
        "/api/v1/webhooks/stripe",
        content=body,
        headers={"Stripe-Signature": sign(body, secret), "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    await app.state.queue.join()


async def dispute_event(
    app: FastAPI, client: httpx.AsyncClient, account_id: str, charge_id: str, day: date
) -> None:
    obj = dispute_object(charge_id, at(day, 15))
    await post_event(app, client, event(obj, "charge.dispute.created", account_id))


def utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
