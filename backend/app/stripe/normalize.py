"""Data minimization: what Vaultra keeps of a Stripe object, and the table rows made from it.

Every object (from the API or inside a webhook event) is first projected onto an allow-list;
only the projection is stored or read. Ids, amounts, currencies, statuses, reasons, timestamps,
the customer id and the card's brand and country pass; names, emails, addresses, phones,
descriptions, metadata and card fingerprints/last4 never do, because nothing is listed that
holds them. A field Stripe adds tomorrow is dropped until someone lists it here.
"""

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeAlias

from app.core.db import Base
from app.stripe.models import (
    StripeBalanceTransaction,
    StripeCharge,
    StripeCustomer,
    StripeDispute,
    StripePayout,
    StripeRefund,
    StripeSubscription,
)

# A spec: None keeps a scalar; a mapping keeps those keys of a sub-object (or its id when
# Stripe sent only the id); a one-item tuple keeps a list of objects shaped like its item.
Spec: TypeAlias = "Mapping[str, Spec] | tuple[Spec] | None"
Rows = dict[type[Base], list[dict[str, Any]]]


def _keep(*names: str, **nested: Spec) -> dict[str, Spec]:
    return {**dict.fromkeys(names), **nested}


_ID = _keep("id")
BALANCE_TRANSACTION = _keep(
    "id", "object", "amount", "fee", "net", "currency", "exchange_rate", "type",
    "reporting_category", "status", "available_on", "created", source=_ID,
)  # fmt: skip
REFUND = _keep(
    "id", "object", "amount", "currency", "created", "livemode", "status", "reason",
    charge=_ID, balance_transaction=BALANCE_TRANSACTION,
)  # fmt: skip
CHARGE = _keep(
    "id", "object", "amount", "amount_captured", "amount_refunded", "currency", "created",
    "livemode", "status", "paid", "captured", "refunded", "disputed", "failure_code",
    customer=_ID,
    outcome=_keep("type"),
    payment_method_details=_keep("type", card=_keep("brand", "country")),
    balance_transaction=BALANCE_TRANSACTION,
    refunds=_keep(data=(REFUND,)),
)  # fmt: skip
DISPUTE = _keep(
    "id", "object", "amount", "currency", "created", "livemode", "status", "reason",
    "network_reason_code",
    charge=_ID,
    evidence_details=_keep("due_by"),
    payment_method_details=_keep("type", card=_keep("brand", "network_reason_code")),
    balance_transactions=(BALANCE_TRANSACTION,),
)  # fmt: skip
PAYOUT = _keep(
    "id", "object", "amount", "currency", "created", "livemode", "status", "arrival_date",
    "failure_code", "method", "type", "automatic",
    balance_transaction=BALANCE_TRANSACTION,
    failure_balance_transaction=BALANCE_TRANSACTION,
)  # fmt: skip
CUSTOMER = _keep("id", "object", "created", "livemode", "delinquent", "currency", "deleted")
SUBSCRIPTION = _keep(
    "id", "object", "created", "livemode", "status", "currency", "canceled_at", "ended_at",
    customer=_ID,
    items=_keep(
        data=(
            _keep(
                "quantity",
                price=_keep(
                    "currency", "unit_amount", recurring=_keep("interval", "interval_count")
                ),
            ),
        )
    ),
)  # fmt: skip
OBJECTS: dict[str, dict[str, Spec]] = {
    "charge": CHARGE,
    "refund": REFUND,
    "dispute": DISPUTE,
    "payout": PAYOUT,
    "customer": CUSTOMER,
    "subscription": SUBSCRIPTION,
    "balance_transaction": BALANCE_TRANSACTION,
}
OTHER_OBJECT = _keep("id", "object")
EVENT = _keep("id", "object", "type", "created", "account", "livemode", "api_version")


def project(value: Any, spec: Spec) -> Any:
    """`value` reduced to what `spec` allows; anything else becomes None or disappears."""
    if spec is None:
        return value if isinstance(value, str | int | float | bool) else None
    if isinstance(spec, tuple):
        return [project(item, spec[0]) for item in value] if isinstance(value, list) else None
    if isinstance(value, str) and "id" in spec:
        return value  # an object Stripe did not expand: just its id
    if not isinstance(value, Mapping):
        return None
    return {key: project(value[key], sub) for key, sub in spec.items() if key in value}


def project_object(value: Mapping[str, Any]) -> dict[str, Any]:
    spec = OBJECTS.get(str(value.get("object")), OTHER_OBJECT)
    projected: dict[str, Any] = project(value, spec)
    return projected


def project_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event as stored: its envelope and the minimized object, nothing else."""
    projected: dict[str, Any] = project(event, EVENT)
    data = event.get("data")
    obj = data.get("object") if isinstance(data, Mapping) else None
    projected["data"] = {"object": project_object(obj) if isinstance(obj, Mapping) else {}}
    return projected


@dataclass(frozen=True)
class RowContext:
    business_id: uuid.UUID
    account_id: str
    livemode: bool
    # Orders states of one object: the event's time for webhooks, the fetch time for reads.
    version_at: datetime


def to_datetime(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value is not None else None


def _date(value: Any) -> date | None:
    moment = to_datetime(value)
    return moment.date() if moment else None


def _id(value: Any) -> str | None:
    if isinstance(value, Mapping):
        return str(value["id"]) if value.get("id") else None
    return str(value) if value else None


def _expanded(value: Any) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


def _known_balance_transaction(value: Any) -> bool:
    """True when we know the balance transaction: expanded, or none exists."""
    return value is None or isinstance(value, Mapping)


def rows_for(obj: Mapping[str, Any], ctx: RowContext, *, closed_at: datetime | None = None) -> Rows:
    """The table rows a projected object fills; unknown facts are left out, not nulled."""
    rows: Rows = {}
    builder = _BUILDERS.get(str(obj.get("object")))
    if builder is not None and obj.get("id") and obj.get("created") is not None:
        builder(obj, ctx, rows, closed_at)
    return rows


def _common(obj: Mapping[str, Any], ctx: RowContext) -> dict[str, Any]:
    created = datetime.fromtimestamp(int(obj["created"]), UTC)
    return {
        "business_id": ctx.business_id,
        "stripe_id": str(obj["id"]),
        "account_id": ctx.account_id,
        "livemode": bool(obj.get("livemode", ctx.livemode)),
        "created": created,
        "day": created.date(),
        "version_at": ctx.version_at,
    }


def _add(rows: Rows, table: type[Base], row: dict[str, Any]) -> None:
    rows.setdefault(table, []).append(row)


def _balance_transaction(obj: Mapping[str, Any], ctx: RowContext, rows: Rows) -> None:
    if not obj.get("id") or obj.get("created") is None:
        return
    rate = obj.get("exchange_rate")
    row = _common(obj, ctx) | {
        "type": obj.get("type") or "unknown",
        "reporting_category": obj.get("reporting_category"),
        "amount": int(obj.get("amount") or 0),
        "fee": int(obj.get("fee") or 0),
        "net": int(obj.get("net") or 0),
        "currency": obj.get("currency") or "",
        "exchange_rate": None if rate is None else str(rate),
        "source_id": _id(obj.get("source")),
        "status": obj.get("status"),
        "available_on": to_datetime(obj.get("available_on")),
    }
    _add(rows, StripeBalanceTransaction, row)


def _charge(obj: Mapping[str, Any], ctx: RowContext, rows: Rows, _closed: datetime | None) -> None:
    method = obj.get("payment_method_details") or {}
    card = method.get("card") or {}
    transaction = obj.get("balance_transaction")
    row = _common(obj, ctx) | {
        "amount": int(obj.get("amount") or 0),
        "amount_captured": int(obj.get("amount_captured") or 0),
        "amount_refunded": int(obj.get("amount_refunded") or 0),
        "currency": obj.get("currency") or "",
        "status": obj.get("status") or "unknown",
        "paid": bool(obj.get("paid")),
        "captured": bool(obj.get("captured")),
        "refunded": bool(obj.get("refunded")),
        "disputed": bool(obj.get("disputed")),
        "failure_code": obj.get("failure_code"),
        "outcome_type": (obj.get("outcome") or {}).get("type"),
        "customer_id": _id(obj.get("customer")),
        "balance_transaction_id": _id(transaction),
        "payment_method_type": method.get("type"),
        "card_brand": card.get("brand"),
        "card_country": card.get("country"),
    }
    if _known_balance_transaction(transaction):
        expanded = _expanded(transaction)
        row["settled_amount"] = expanded.get("amount") if expanded else None
        row["settled_currency"] = expanded.get("currency") if expanded else None
        row["fee"] = expanded.get("fee") if expanded else None
        if expanded:
            _balance_transaction(expanded, ctx, rows)
    _add(rows, StripeCharge, row)
    # `charge.refunded` and older API versions carry the charge's refunds inside it.
    for refund in (obj.get("refunds") or {}).get("data") or []:
        if isinstance(refund, Mapping):
            _refund({"charge": obj["id"], **refund}, ctx, rows, None)


def _refund(obj: Mapping[str, Any], ctx: RowContext, rows: Rows, _closed: datetime | None) -> None:
    transaction = obj.get("balance_transaction")
    row = _common(obj, ctx) | {
        "charge_id": _id(obj.get("charge")),
        "amount": int(obj.get("amount") or 0),
        "currency": obj.get("currency") or "",
        "status": obj.get("status") or "unknown",
        "reason": obj.get("reason"),
        "balance_transaction_id": _id(transaction),
    }
    if _known_balance_transaction(transaction):
        expanded = _expanded(transaction)
        # Same sign as `amount`: the balance transaction of a refund is negative.
        row["settled_amount"] = -int(expanded.get("amount") or 0) if expanded else None
        row["settled_currency"] = expanded.get("currency") if expanded else None
        if expanded:
            _balance_transaction(expanded, ctx, rows)
    _add(rows, StripeRefund, row)


def _dispute(obj: Mapping[str, Any], ctx: RowContext, rows: Rows, closed: datetime | None) -> None:
    card = (obj.get("payment_method_details") or {}).get("card") or {}
    transactions = [t for t in obj.get("balance_transactions") or [] if isinstance(t, Mapping)]
    withdrawal = next((t for t in transactions if int(t.get("amount") or 0) < 0), None)
    row = _common(obj, ctx) | {
        "charge_id": _id(obj.get("charge")),
        "amount": int(obj.get("amount") or 0),
        "currency": obj.get("currency") or "",
        # The disputed amount in the settlement currency, whatever the outcome.
        "settled_amount": -int(withdrawal.get("amount") or 0) if withdrawal else None,
        "settled_currency": withdrawal.get("currency") if withdrawal else None,
        "status": obj.get("status") or "unknown",
        "reason": obj.get("reason"),
        "network_reason_code": obj.get("network_reason_code") or card.get("network_reason_code"),
        "evidence_due_by": to_datetime((obj.get("evidence_details") or {}).get("due_by")),
    }
    if closed is not None:
        row["closed_at"] = closed
    for transaction in transactions:
        _balance_transaction(transaction, ctx, rows)
    _add(rows, StripeDispute, row)


def _payout(obj: Mapping[str, Any], ctx: RowContext, rows: Rows, _closed: datetime | None) -> None:
    transaction = obj.get("balance_transaction")
    row = _common(obj, ctx) | {
        "amount": int(obj.get("amount") or 0),
        "currency": obj.get("currency") or "",
        "status": obj.get("status") or "unknown",
        "arrival_date": _date(obj.get("arrival_date")),
        "failure_code": obj.get("failure_code"),
        "method": obj.get("method"),
        "type": obj.get("type"),
        "automatic": bool(obj.get("automatic", True)),
        "balance_transaction_id": _id(transaction),
    }
    for expanded in (transaction, obj.get("failure_balance_transaction")):
        if isinstance(expanded, Mapping):
            _balance_transaction(expanded, ctx, rows)
    _add(rows, StripePayout, row)


def _customer(
    obj: Mapping[str, Any], ctx: RowContext, rows: Rows, _closed: datetime | None
) -> None:
    row = _common(obj, ctx) | {
        "delinquent": bool(obj.get("delinquent")),
        "currency": obj.get("currency"),
    }
    _add(rows, StripeCustomer, row)


_MONTHS_PER_INTERVAL = {"day": 12 / 365, "week": 12 / 52, "month": 1.0, "year": 12.0}


def monthly_amount(obj: Mapping[str, Any]) -> int | None:
    """The subscription's recurring amount per month, in minor units (None if unknown)."""
    total = 0.0
    items = (obj.get("items") or {}).get("data") or []
    for item in items:
        price = item.get("price") or {}
        recurring = price.get("recurring") or {}
        months = _MONTHS_PER_INTERVAL.get(str(recurring.get("interval")))
        if price.get("unit_amount") is None or months is None:
            return None
        per_period = int(price["unit_amount"]) * int(item.get("quantity") or 1)
        total += per_period / (months * int(recurring.get("interval_count") or 1))
    return round(total) if items else None


def _subscription(
    obj: Mapping[str, Any], ctx: RowContext, rows: Rows, _closed: datetime | None
) -> None:
    row = _common(obj, ctx) | {
        "customer_id": _id(obj.get("customer")),
        "status": obj.get("status") or "unknown",
        "currency": obj.get("currency"),
        "monthly_amount": monthly_amount(obj),
        "canceled_at": to_datetime(obj.get("canceled_at")),
        "ended_at": to_datetime(obj.get("ended_at")),
    }
    _add(rows, StripeSubscription, row)


Builder = Callable[[Mapping[str, Any], RowContext, Rows, datetime | None], None]
_BUILDERS: dict[str, Builder] = {
    "charge": _charge,
    "refund": _refund,
    "dispute": _dispute,
    "payout": _payout,
    "customer": _customer,
    "subscription": _subscription,
    "balance_transaction": lambda obj, ctx, rows, _closed: _balance_transaction(obj, ctx, rows),
}
