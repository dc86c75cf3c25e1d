"""A builder of hand-made Stripe data, inserted straight into the normalized tables."""

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from app.core.db import Base, Database
from app.stripe import ledger
from app.stripe.models import (
    IntegrationAccount,
    StripeCharge,
    StripeDispute,
    StripePayout,
    StripeRefund,
)
from app.users import service as users_service
from app.users.models import Business
from app.users.schemas import BusinessCreate

_ids = itertools.count(1)


def at(day: date | str, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return datetime.combine(day, time(hour, minute, second), tzinfo=UTC)


@dataclass
class StripeData:
    """Rows for one business; `created` may be a date (noon UTC) or an aware datetime.

    `version_at` defaults to a minute after `created`, as if each object had been synced
    as it happened.
    """

    business_id: uuid.UUID
    account_id: str = "acct_test"
    rows: list[Base] = field(default_factory=list)

    def _common(
        self, prefix: str, created: date | str | datetime, version_at: datetime | None
    ) -> dict[str, Any]:
        when = created if isinstance(created, datetime) else at(created)
        return {
            "business_id": self.business_id,
            "stripe_id": f"{prefix}_{next(_ids)}",
            "account_id": self.account_id,
            "created": when,
            "day": when.astimezone(UTC).date(),
            "version_at": version_at or when + timedelta(minutes=1),
        }

    def charge(
        self,
        created: date | str | datetime,
        amount: int,
        *,
        currency: str = "usd",
        status: str = "succeeded",
        customer: str | None = None,
        settled_amount: int | None = None,
        settled_currency: str | None = None,
        version_at: datetime | None = None,
    ) -> str:
        row = StripeCharge(
            **self._common("ch", created, version_at),
            amount=amount,
            amount_captured=amount if status == "succeeded" else 0,
            currency=currency,
            settled_amount=settled_amount,
            settled_currency=settled_currency,
            status=status,
            paid=status == "succeeded",
            captured=status == "succeeded",
            customer_id=customer,
        )
        self.rows.append(row)
        return row.stripe_id

    def refund(
        self,
        created: date | str | datetime,
        amount: int,
        *,
        charge_id: str | None = None,
        currency: str = "usd",
        status: str = "succeeded",
        settled_amount: int | None = None,
        settled_currency: str | None = None,
        version_at: datetime | None = None,
    ) -> str:
        row = StripeRefund(
            **self._common("re", created, version_at),
            charge_id=charge_id,
            amount=amount,
            currency=currency,
            settled_amount=settled_amount,
            settled_currency=settled_currency,
            status=status,
        )
        self.rows.append(row)
        return row.stripe_id

    def dispute(
        self,
        created: date | str | datetime,
        amount: int,
        *,
        reason: str = "fraudulent",
        status: str = "needs_response",
        charge_id: str | None = None,
        currency: str = "usd",
        version_at: datetime | None = None,
    ) -> str:
        row = StripeDispute(
            **self._common("dp", created, version_at),
            charge_id=charge_id,
            amount=amount,
            currency=currency,
            status=status,
            reason=reason,
        )
        self.rows.append(row)
        return row.stripe_id

    def payout(
        self,
        created: date | str | datetime,
        amount: int,
        *,
        status: str = "paid",
        arrival_days: int | None = 2,
        currency: str = "usd",
        version_at: datetime | None = None,
    ) -> str:
        common = self._common("po", created, version_at)
        row = StripePayout(
            **common,
            amount=amount,
            currency=currency,
            status=status,
            arrival_date=None
            if arrival_days is None
            else common["day"] + timedelta(days=arrival_days),
        )
        self.rows.append(row)
        return row.stripe_id

    async def save(self, db: Database) -> None:
        """Insert the rows, with each charge's `business_amount` as `store_rows` would set it."""
        async with db.session() as session:
            session.add_all(self.rows)
            await session.flush()
            business = await users_service.get_business(session, self.business_id)
            assert business is not None
            await ledger.convert_charge_amounts(session, self.business_id, business.currency)
        self.rows = []


async def create_business(db: Database, currency: str = "usd", name: str = "Acme") -> Business:
    async with db.session() as session:
        user = await users_service.create_user(
            session, email=f"owner-{uuid.uuid4().hex[:8]}@example.com", name="Owner"
        )
        access = await users_service.create_business(
            session, user, BusinessCreate(name=name, currency=currency)
        )
        session.add(
            IntegrationAccount(
                business_id=access.business.id, stripe_user_id=f"acct_{uuid.uuid4().hex[:12]}"
            )
        )
        return access.business


@pytest.fixture
async def business(db: Database) -> Business:
    return await create_business(db)
