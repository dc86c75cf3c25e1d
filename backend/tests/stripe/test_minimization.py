import json
import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.stripe.models import StripeEvent
from app.stripe.normalize import project_event, project_object
from stripe_sandbox import SandboxConfig
from tests.stripe.conftest import post_event

PII = [
    "Ada Lovelace",
    "ada@example.com",
    "+1 512-555-0199",
    "12 Analytical Engine Way",
    "Apt 3",
    "London",
    "SW1A 1AA",
    "Birthday present for Charles",
    "call before delivery",
    "fp_Xk29dLq0Zr7",
    "4242",
    "Handmade in Portugal",
]


def _charge() -> dict[str, Any]:
    address = {
        "line1": "12 Analytical Engine Way",
        "line2": "Apt 3",
        "city": "London",
        "postal_code": "SW1A 1AA",
        "country": "GB",
        "state": None,
    }
    person = {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+1 512-555-0199"}
    return {
        "id": "ch_minimized",
        "object": "charge",
        "amount": 2500,
        "amount_captured": 2500,
        "amount_refunded": 0,
        "currency": "gbp",
        "created": 1_780_000_000,
        "livemode": False,
        "status": "succeeded",
        "paid": True,
        "captured": True,
        "billing_details": {**person, "address": address},
        "shipping": {**person, "address": address, "carrier": None},
        "receipt_email": "ada@example.com",
        "description": "Birthday present for Charles",
        "metadata": {"note": "call before delivery"},
        "customer": {"id": "cus_ada", "object": "customer", "email": "ada@example.com"},
        "outcome": {"type": "authorized", "seller_message": "Ada Lovelace paid"},
        "payment_method_details": {
            "type": "card",
            "card": {
                "brand": "visa",
                "country": "GB",
                "last4": "4242",
                "fingerprint": "fp_Xk29dLq0Zr7",
            },
        },
        "balance_transaction": {
            "id": "txn_1",
            "object": "balance_transaction",
            "amount": 3100,
            "fee": 120,
            "net": 2980,
            "currency": "usd",
            "description": "Handmade in Portugal",
            "created": 1_780_000_000,
        },
        # A field Stripe might add tomorrow: not on the allow-list, so never kept.
        "customer_notes": "Ada Lovelace, ada@example.com",
    }


def test_projection_keeps_the_allow_list_only() -> None:
    projected = project_object(_charge())
    text = json.dumps(projected)
    assert [value for value in PII if value in text] == []
    assert projected["amount"] == 2500
    assert projected["customer"] == {"id": "cus_ada"}
    assert projected["payment_method_details"] == {
        "type": "card",
        "card": {"brand": "visa", "country": "GB"},
    }
    assert projected["balance_transaction"]["fee"] == 120
    assert projected["outcome"] == {"type": "authorized"}
    assert "customer_notes" not in projected
    assert project_object({"id": "cus_1", "object": "customer", "name": "Ada Lovelace"}) == {
        "id": "cus_1",
        "object": "customer",
    }
    # An object type Vaultra does not read keeps only its id and type.
    assert project_object({"id": "in_1", "object": "invoice", "customer_email": "a@b.c"}) == {
        "id": "in_1",
        "object": "invoice",
    }


def test_event_projection_drops_previous_attributes_and_request() -> None:
    event = {
        "id": "evt_1",
        "object": "event",
        "type": "charge.updated",
        "created": 1,
        "account": "acct_1",
        "livemode": False,
        "data": {"object": _charge(), "previous_attributes": {"description": "Ada Lovelace"}},
        "request": {"id": "req_1", "idempotency_key": "Ada Lovelace"},
    }
    text = json.dumps(project_event(event))
    assert [value for value in PII if value in text] == []
    assert "previous_attributes" not in text


@pytest.mark.usefixtures("app")
async def test_stored_event_payloads_are_minimized(
    app: FastAPI, client: httpx.AsyncClient, sandbox_config: SandboxConfig
) -> None:
    event = {
        "id": "evt_minimized",
        "object": "event",
        "type": "charge.succeeded",
        "created": int(time.time()),
        "account": "acct_1Unknown",
        "livemode": False,
        "data": {"object": _charge()},
    }
    response = await post_event(client, event, sandbox_config.webhook_secret)
    assert response.status_code == 200
    async with app.state.db.session() as session:
        stored = (await session.execute(select(StripeEvent))).scalar_one()
    text = json.dumps(stored.payload)
    assert [value for value in PII if value in text] == []
    assert stored.payload["data"]["object"]["amount"] == 2500
