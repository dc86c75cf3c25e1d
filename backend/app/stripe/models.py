"""Stripe data, normalized and minimized: ids, amounts, statuses, reasons and timestamps only.

Every row is scoped to a business and keyed by (business_id, stripe_id). Amounts are integers in
minor units with their currency; `settled_amount`/`settled_currency` carry the balance
transaction's amount when the charge currency differs from the settlement currency. `day` is the
UTC date of `created`, so daily rollups are portable `GROUP BY day`. `version_at` orders states:
a webhook's event time, or the fetch time for API reads; an older state never overwrites a newer.
"""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, Money, Timestamps, UUIDPrimaryKey, utcnow


class IntegrationAccount(UUIDPrimaryKey, Timestamps, Base):
    """A business's connected Stripe account (Connect Standard). No OAuth tokens are kept."""

    __tablename__ = "integration_accounts"

    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), unique=True
    )
    provider: Mapped[str] = mapped_column(String(20), default="stripe")
    stripe_user_id: Mapped[str] = mapped_column(String(64), unique=True)
    livemode: Mapped[bool] = mapped_column(Boolean, default=False)
    scope: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="connected")
    connected_at: Mapped[datetime] = mapped_column(default=utcnow)
    disconnected_at: Mapped[datetime | None]
    last_synced_at: Mapped[datetime | None]
    # Everything created before this instant is stored (the incremental sync starts here).
    synced_through: Mapped[datetime | None]
    # The current (or last) sync run: idle | queued | running | succeeded | failed.
    sync_state: Mapped[str] = mapped_column(String(20), default="idle")
    sync_full: Mapped[bool] = mapped_column(Boolean, default=False)
    sync_started_at: Mapped[datetime | None]
    sync_finished_at: Mapped[datetime | None]
    sync_objects: Mapped[int] = mapped_column(default=0)
    sync_error: Mapped[str | None] = mapped_column(String(500))
    # Only the run holding the lease writes; a crashed run's lease lapses and another resumes.
    sync_run_id: Mapped[str | None] = mapped_column(String(36))
    sync_lease_until: Mapped[datetime | None]
    # The last "Sync now" (POST /integrations/stripe/sync), which may come once a minute.
    sync_requested_at: Mapped[datetime | None]


class _StripeObject:
    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True
    )
    stripe_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64))
    livemode: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime]
    day: Mapped[date]
    version_at: Mapped[datetime]


def _version_index(table: str) -> Index:
    """Rows changed since a watermark: metrics' incremental rollups (`app.stripe.ledger`)."""
    return Index(f"ix_{table}_business_version", "business_id", "version_at")


def _charges_index(name: str, status: str, *columns: str, covering: bool = False) -> Index:
    """A partial index on the charges in one status; covering `business_amount` on PostgreSQL."""
    where = text(f"status = '{status}'")
    include = ["business_amount"] if covering else []
    return Index(
        name, *columns, postgresql_include=include, postgresql_where=where, sqlite_where=where
    )


class StripeCharge(_StripeObject, Base):
    __tablename__ = "stripe_charges"
    __table_args__ = (
        Index("ix_stripe_charges_business_day", "business_id", "day"),
        _version_index(__tablename__),
        # Metrics (0006, 0007): successful charges in (day, customer) and (customer, day) order,
        # so per-day unique customers and per-customer revenue stream without sorting or hashing.
        _charges_index(
            "ix_stripe_charges_succeeded_day_customer",
            "succeeded",
            "business_id",
            "day",
            "customer_id",
            covering=True,
        ),
        _charges_index(
            "ix_stripe_charges_succeeded_customer_day",
            "succeeded",
            "business_id",
            "customer_id",
            "day",
            covering=True,
        ),
        _charges_index("ix_stripe_charges_failed_day", "failed", "business_id", "day"),
    )

    amount: Mapped[int] = mapped_column(Money)
    amount_captured: Mapped[int] = mapped_column(Money, default=0)
    amount_refunded: Mapped[int] = mapped_column(Money, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    settled_amount: Mapped[int | None] = mapped_column(Money)
    settled_currency: Mapped[str | None] = mapped_column(String(3))
    # The amount in the business currency: `amount` when in that currency, else
    # `settled_amount` when it settled in it, else NULL. See `app.stripe.ledger`.
    business_amount: Mapped[int | None] = mapped_column(Money)
    fee: Mapped[int | None] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(20))
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    captured: Mapped[bool] = mapped_column(Boolean, default=False)
    refunded: Mapped[bool] = mapped_column(Boolean, default=False)
    disputed: Mapped[bool] = mapped_column(Boolean, default=False)
    failure_code: Mapped[str | None] = mapped_column(String(64))
    outcome_type: Mapped[str | None] = mapped_column(String(40))
    customer_id: Mapped[str | None] = mapped_column(String(64))
    balance_transaction_id: Mapped[str | None] = mapped_column(String(64))
    payment_method_type: Mapped[str | None] = mapped_column(String(40))
    card_brand: Mapped[str | None] = mapped_column(String(20))
    card_country: Mapped[str | None] = mapped_column(String(2))


class StripeRefund(_StripeObject, Base):
    __tablename__ = "stripe_refunds"
    __table_args__ = (
        Index("ix_stripe_refunds_business_day", "business_id", "day"),
        _version_index(__tablename__),
    )

    charge_id: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    settled_amount: Mapped[int | None] = mapped_column(Money)
    settled_currency: Mapped[str | None] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(40))
    balance_transaction_id: Mapped[str | None] = mapped_column(String(64))


class StripeDispute(_StripeObject, Base):
    __tablename__ = "stripe_disputes"
    __table_args__ = (
        Index("ix_stripe_disputes_business_day", "business_id", "day"),
        _version_index(__tablename__),
    )

    charge_id: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    settled_amount: Mapped[int | None] = mapped_column(Money)
    settled_currency: Mapped[str | None] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(String(40))
    network_reason_code: Mapped[str | None] = mapped_column(String(20))
    evidence_due_by: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


class StripePayout(_StripeObject, Base):
    __tablename__ = "stripe_payouts"
    __table_args__ = (
        Index("ix_stripe_payouts_business_day", "business_id", "day"),
        _version_index(__tablename__),
    )

    amount: Mapped[int] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))
    arrival_date: Mapped[date | None]
    failure_code: Mapped[str | None] = mapped_column(String(64))
    method: Mapped[str | None] = mapped_column(String(20))
    type: Mapped[str | None] = mapped_column(String(20))
    automatic: Mapped[bool] = mapped_column(Boolean, default=True)
    balance_transaction_id: Mapped[str | None] = mapped_column(String(64))


class StripeBalanceTransaction(_StripeObject, Base):
    __tablename__ = "stripe_balance_transactions"
    __table_args__ = (Index("ix_stripe_balance_transactions_business_day", "business_id", "day"),)

    type: Mapped[str] = mapped_column(String(40))
    reporting_category: Mapped[str | None] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(Money)
    fee: Mapped[int] = mapped_column(Money, default=0)
    net: Mapped[int] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    # Decimal rate as text, exactly as Stripe gives it (None when no conversion happened).
    exchange_rate: Mapped[str | None] = mapped_column(String(32))
    source_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str | None] = mapped_column(String(20))
    available_on: Mapped[datetime | None]


class StripeCustomer(_StripeObject, Base):
    """Only the id and when it appeared: no name, email, address or phone."""

    __tablename__ = "stripe_customers"

    delinquent: Mapped[bool] = mapped_column(Boolean, default=False)
    currency: Mapped[str | None] = mapped_column(String(3))


class StripeSubscription(_StripeObject, Base):
    __tablename__ = "stripe_subscriptions"

    customer_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(30))
    currency: Mapped[str | None] = mapped_column(String(3))
    # Recurring amount normalized to one month, in minor units of `currency`.
    monthly_amount: Mapped[int | None] = mapped_column(Money)
    canceled_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]


class StripeSyncCursor(Base):
    """One slice of a sync pass: objects created in [created_gte, created_lt) of a resource.

    Stripe lists newest first; `starting_after` is the last object stored, saved in the same
    transaction as its page, so a crashed pass resumes exactly where it stopped.
    """

    __tablename__ = "stripe_sync_cursors"

    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True
    )
    resource: Mapped[str] = mapped_column(String(40), primary_key=True)
    segment: Mapped[int] = mapped_column(primary_key=True)
    # None: from the beginning of the account's history.
    created_gte: Mapped[datetime | None]
    created_lt: Mapped[datetime]
    starting_after: Mapped[str | None] = mapped_column(String(64))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    objects_synced: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class StripeEvent(Base):
    """A verified webhook event, stored (minimized) before it is acknowledged."""

    __tablename__ = "stripe_events"
    __table_args__ = (
        Index("ix_stripe_events_unprocessed", "processed_at", "received_at"),
        UniqueConstraint("event_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    event_id: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[str | None] = mapped_column(String(64), index=True)
    business_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("businesses.id", ondelete="SET NULL"), index=True
    )
    type: Mapped[str] = mapped_column(String(80))
    livemode: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime]
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
