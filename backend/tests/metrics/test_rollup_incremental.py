"""Incremental rollups: only touched days are recomputed, and the result equals a full run."""

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from app.core.db import Database
from app.metrics import rollup
from app.metrics import service as metrics_service
from app.metrics.models import DailyRollup
from app.metrics.rollup import ROLLUP_FIGURES
from app.stripe.models import StripeCharge, StripeEvent
from app.users.models import Business
from tests.metrics.conftest import StripeData, at
from tests.metrics.test_metrics_golden import NOW, golden_data

JUNE_16 = date(2025, 6, 16)


async def figures(db: Database, business_id: uuid.UUID) -> dict[date, dict[str, Any]]:
    async with db.session() as session:
        rows = await rollup.load_rollups(session, business_id)
    return {row.day: {name: getattr(row, name) for name in ROLLUP_FIGURES} for row in rows}


async def run(db: Database, business: Business, now: Any, *, full: bool = False) -> Any:
    async with db.session() as session:
        return await rollup.update_rollups(session, business.id, "usd", now=now, full=full)


async def test_new_day_recomputes_only_that_day(db: Database, business: Business) -> None:
    await golden_data(business).save(db)
    first = await run(db, business, NOW)
    assert first.full
    before = await figures(db, business.id)

    data = StripeData(business.id)
    data.charge("2025-06-16", 7_000, customer="cus_z")
    data.charge("2025-06-16", 3_000, status="failed")
    data.refund("2025-06-16", 1_000)
    data.dispute("2025-06-16", 2_000, reason="duplicate")
    data.payout("2025-06-16", 9_000)
    await data.save(db)

    later = at("2025-06-16", 20)
    incremental = await run(db, business, later)
    assert not incremental.full
    assert incremental.recomputed_days == {JUNE_16}
    assert incremental.changed_days == {JUNE_16}
    after = await figures(db, business.id)
    assert {day: row for day, row in after.items() if day != JUNE_16} == before
    assert after[JUNE_16]["net_volume"] == 7_000 - 1_000 - 2_000

    full = await run(db, business, later, full=True)
    assert full.full
    assert not full.changed_days
    assert await figures(db, business.id) == after

    nothing = await run(db, business, later + timedelta(hours=1))
    assert not nothing.recomputed_days


async def test_refund_of_an_old_charge_touches_both_days(db: Database, business: Business) -> None:
    data = StripeData(business.id)
    charge = data.charge("2025-03-10", 10_000)
    await data.save(db)
    await run(db, business, NOW)

    refunded_at = at("2025-06-16", 9)
    data.refund(refunded_at, 4_000, charge_id=charge)
    await data.save(db)
    async with db.session() as session:  # the sync updates the charge's refunded amount too
        await session.execute(
            update(StripeCharge)
            .where(StripeCharge.stripe_id == charge)
            .values(amount_refunded=4_000, version_at=refunded_at)
        )
    result = await run(db, business, at("2025-06-16", 20))
    assert result.recomputed_days == {date(2025, 3, 10), JUNE_16}
    assert result.changed_days == {JUNE_16}  # the charge's own day has nothing new
    rows = await figures(db, business.id)
    assert rows[date(2025, 3, 10)]["net_volume"] == 10_000
    assert rows[JUNE_16]["net_volume"] == -4_000


async def test_late_webhook_event_is_not_missed(db: Database, business: Business) -> None:
    """A webhook delivered late writes an older `version_at` than the watermark."""
    data = StripeData(business.id)
    data.charge("2025-06-10", 10_000)
    data.charge("2025-06-14", 10_000)
    await data.save(db)
    await run(db, business, NOW)

    event_time = at("2025-06-12", 8)
    data.charge(event_time, 5_000, version_at=event_time)
    await data.save(db)
    async with db.session() as session:
        session.add(
            StripeEvent(
                event_id="evt_late",
                account_id="acct_test",
                business_id=business.id,
                type="charge.succeeded",
                created=event_time,
                payload={},
                received_at=at("2025-06-16", 9),
                processed_at=at("2025-06-16", 9),
            )
        )
    result = await run(db, business, at("2025-06-16", 10))
    assert date(2025, 6, 12) in result.changed_days
    assert (await figures(db, business.id))[date(2025, 6, 12)]["gross_volume"] == 5_000


async def test_snapshot_reused_when_nothing_changed(db: Database, business: Business) -> None:
    await golden_data(business).save(db)
    async with db.session() as session:
        first = await metrics_service.compute_metrics(session, business, now=NOW)
    async with db.session() as session:
        again = await metrics_service.compute_metrics(
            session, business, now=NOW + timedelta(minutes=30)
        )
    assert again.id == first.id
    # A new day shifts every trailing window: a new snapshot, customer figures reused.
    async with db.session() as session:
        next_day = await metrics_service.compute_metrics(
            session, business, now=NOW + timedelta(days=1)
        )
    assert next_day.id != first.id
    assert next_day.metrics["top_customer_share"] == first.metrics["top_customer_share"]

    async with db.session() as session:
        score = await metrics_service.compute_readiness(session, business)
        same = await metrics_service.compute_readiness(session, business)
    assert score is not None
    assert same is not None
    assert same.id == score.id


async def test_full_run_adds_changes_and_removes_stored_days(
    db: Database, business: Business
) -> None:
    data = StripeData(business.id)
    data.charge("2025-03-10", 10_000, customer="cus_a")
    data.charge("2025-04-10", 20_000, customer="cus_b")
    gone = data.charge("2025-05-10", 30_000, customer="cus_c")
    await data.save(db)
    await run(db, business, NOW)
    assert set(await figures(db, business.id)) == {
        date(2025, 3, 10),
        date(2025, 4, 10),
        date(2025, 5, 10),
    }

    data.charge("2025-04-10", 5_000, customer="cus_d")  # a changed day
    data.charge("2025-06-01", 1_000, customer="cus_a")  # a new day
    await data.save(db)
    async with db.session() as session:  # the only activity of a day disappears
        await session.execute(delete(StripeCharge).where(StripeCharge.stripe_id == gone))
    later = NOW + timedelta(hours=1)
    result = await run(db, business, later, full=True)

    assert result.changed_days == {date(2025, 4, 10), date(2025, 5, 10), date(2025, 6, 1)}
    rows = await figures(db, business.id)
    assert set(rows) == {date(2025, 3, 10), date(2025, 4, 10), date(2025, 6, 1)}
    assert rows[date(2025, 3, 10)]["gross_volume"] == 10_000
    assert rows[date(2025, 4, 10)]["gross_volume"] == 25_000
    assert rows[date(2025, 4, 10)]["unique_customers"] == 2
    assert rows[date(2025, 6, 1)]["charge_count"] == 1
    async with db.session() as session:
        result = await session.execute(select(DailyRollup.day, DailyRollup.computed_at))
        stamped = dict(result.all())
    assert stamped[date(2025, 4, 10)] == later  # rewritten days carry the run's time
    assert stamped[date(2025, 3, 10)] == NOW  # unchanged days keep theirs


async def test_a_charge_converted_with_a_stale_currency_is_corrected(
    db: Database, business: Business
) -> None:
    """A sync that read the business currency just before it changed wrote amounts in the old
    one; the next run converts the charges changed since the last run again."""
    data = StripeData(business.id)
    data.charge("2025-06-10", 10_000, customer="cus_a")
    await data.save(db)
    await run(db, business, NOW)

    racing = at("2025-06-16", 9)
    data.charge(racing, 4_000, currency="eur", settled_amount=4_300, settled_currency="usd")
    await data.save(db)
    async with db.session() as session:  # as if converted to EUR, the old currency
        await session.execute(
            update(StripeCharge)
            .where(StripeCharge.business_id == business.id, StripeCharge.day == JUNE_16)
            .values(business_amount=4_000)
        )
    await run(db, business, at("2025-06-16", 20))
    assert (await figures(db, business.id))[JUNE_16]["gross_volume"] == 4_300


async def test_a_new_business_currency_restates_every_amount(
    db: Database, business: Business
) -> None:
    data = StripeData(business.id)
    data.charge("2025-05-10", 10_000, customer="cus_a")
    data.charge("2025-05-11", 5_000, currency="eur", settled_amount=5_400, settled_currency="usd")
    await data.save(db)
    async with db.session() as session:
        await metrics_service.compute_metrics(session, business, now=NOW)
        stored = await session.get(Business, business.id)
        assert stored is not None
        stored.currency = "eur"
    async with db.session() as session:
        stored = await session.get(Business, business.id)
        assert stored is not None
        await metrics_service.compute_metrics(session, stored, now=NOW + timedelta(hours=1))
    rows = await figures(db, business.id)
    assert rows[date(2025, 5, 10)]["gross_volume"] == 0
    assert rows[date(2025, 5, 10)]["unconverted_charge_count"] == 1
    assert rows[date(2025, 5, 11)]["gross_volume"] == 5_000
    assert rows[date(2025, 5, 11)]["currency"] == "eur"
