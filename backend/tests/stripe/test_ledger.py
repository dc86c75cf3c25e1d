"""The ledger's currency rule: each charge's amount in its business's currency, as stored and
as corrected, and the same rule in SQL and for a row being stored."""

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import literal, select

from app.core.db import Database
from app.stripe import ledger
from app.stripe import service as stripe_service
from app.stripe.models import StripeCharge
from app.users import service as users_service
from app.users.schemas import BusinessCreate

T0 = datetime(2025, 6, 1, 12, tzinfo=UTC)


async def create_business(db: Database, currency: str) -> uuid.UUID:
    async with db.session() as session:
        user = await users_service.create_user(
            session, email=f"owner-{uuid.uuid4().hex[:8]}@example.com", name="Owner"
        )
        access = await users_service.create_business(
            session, user, BusinessCreate(name="Acme", currency=currency)
        )
        return access.business.id


def charge(business_id: uuid.UUID, stripe_id: str, minutes: int, **money: Any) -> dict[str, Any]:
    return {
        "business_id": business_id,
        "stripe_id": stripe_id,
        "account_id": "acct_test",
        "created": T0,
        "day": T0.date(),
        "version_at": T0 + timedelta(minutes=minutes),
        "status": "succeeded",
        **money,
    }


def settled_charge(
    business_id: uuid.UUID, stripe_id: str, amount: int, currency: str, settled: tuple[int, str]
) -> dict[str, Any]:
    """A charge with its balance transaction: `settled` is (amount, currency)."""
    settled_amount, settled_currency = settled
    return charge(
        business_id,
        stripe_id,
        0,
        amount=amount,
        currency=currency,
        settled_amount=settled_amount,
        settled_currency=settled_currency,
    )


async def business_amounts(db: Database, business_id: uuid.UUID) -> dict[str, int | None]:
    async with db.session() as session:
        charges = await session.execute(
            select(StripeCharge.stripe_id, StripeCharge.business_amount).where(
                StripeCharge.business_id == business_id
            )
        )
        return dict(charges.all())


async def test_store_rows_converts_what_it_can_and_keeps_what_it_cannot(db: Database) -> None:
    business_id = await create_business(db, "usd")
    rows = [
        charge(business_id, "ch_usd", 0, amount=1_000, currency="usd"),
        settled_charge(business_id, "ch_eur", 2_000, "eur", (2_150, "usd")),
        settled_charge(business_id, "ch_gbp", 3_000, "gbp", (3_000, "gbp")),
    ]
    async with db.session() as session:
        await stripe_service.store_rows(session, {StripeCharge: rows})
    assert await business_amounts(db, business_id) == {
        "ch_usd": 1_000,
        "ch_eur": 2_150,
        "ch_gbp": None,
    }

    # A webhook's later state of the EUR charge without its balance transaction: the stored
    # settlement, and so the stored amount in USD, stay.
    later = charge(business_id, "ch_eur", 5, amount=2_000, currency="eur", amount_refunded=100)
    async with db.session() as session:
        await stripe_service.store_rows(session, {StripeCharge: [later]})
        corrected = await ledger.convert_charge_amounts(session, business_id, "usd")
    assert corrected == 0
    assert (await business_amounts(db, business_id))["ch_eur"] == 2_150


async def test_a_new_business_currency_restates_every_charge(db: Database) -> None:
    business_id = await create_business(db, "usd")
    rows = [
        charge(business_id, "ch_usd", 0, amount=1_000, currency="usd"),
        settled_charge(business_id, "ch_gbp", 3_000, "usd", (2_400, "gbp")),
    ]
    async with db.session() as session:
        await stripe_service.store_rows(session, {StripeCharge: rows})
        business = await users_service.get_business(session, business_id)
        assert business is not None
        await users_service.update_business(session, business, {"currency": "gbp"})
        # Only charges changed after T0 + 1 minute: none of them.
        assert (
            await ledger.convert_charge_amounts(
                session, business_id, "gbp", changed_after=T0 + timedelta(minutes=1)
            )
            == 0
        )
        assert await ledger.convert_charge_amounts(session, business_id, "gbp") == 2
    assert await business_amounts(db, business_id) == {"ch_usd": None, "ch_gbp": 2_400}


MONEY_ROWS = [
    {"currency": "usd", "amount": 1_000},
    {"currency": "usd", "amount": 1_000, "settled_currency": "gbp", "settled_amount": 800},
    {"currency": "eur", "amount": 2_000, "settled_currency": "usd", "settled_amount": 2_150},
    {"currency": "gbp", "amount": 3_000, "settled_currency": "gbp", "settled_amount": 3_000},
    {"currency": "gbp", "amount": 3_000, "settled_currency": None, "settled_amount": None},
]


@pytest.mark.parametrize("row", MONEY_ROWS)
async def test_the_rule_is_the_same_in_sql_and_for_a_row(db: Database, row: dict[str, Any]) -> None:
    """`store_rows` applies `row_business_amount`, the rollups sum what `converted_amount`
    computes: both must give every row the same amount."""

    # The row's values as SQL literals, where the rule reads columns; absent ones are NULL.
    columns = {key: None for pair in ledger.CONVERSION for key in pair} | row
    model = SimpleNamespace(**{key: literal(value) for key, value in columns.items()})
    async with db.session() as session:
        in_sql = (await session.execute(select(ledger.converted_amount(model, "usd")))).scalar()
    assert ledger.row_business_amount(row, "usd") == (True, in_sql)


def test_a_row_without_its_settlement_is_not_known() -> None:
    row = {"currency": "eur", "amount": 2_000}
    assert ledger.row_business_amount(row, "usd") == (False, None)
    assert ledger.row_business_amount(row, "eur") == (True, 2_000)
