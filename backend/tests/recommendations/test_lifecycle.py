"""One row per rule per business: created, refreshed, resolved, dismissed, resurfaced."""

from datetime import timedelta

from sqlalchemy import func, select

from app.core.db import Database
from app.recommendations import service
from app.recommendations.models import Recommendation, Status
from app.users.models import Business
from tests.recommendations.conftest import T0, put_snapshot

RULE = "refund_rate_high"


async def generate(db: Database, business: Business, days: int = 0) -> dict[str, Recommendation]:
    async with db.session() as session:
        await service.generate_recommendations(session, business, now=T0 + timedelta(days=days))
        result = await session.execute(
            select(Recommendation).where(Recommendation.business_id == business.id)
        )
        # The funding next steps (every business has one) are covered in test_next_steps.py.
        return {rec.rule_id: rec for rec in result.scalars() if rec.category != "funding"}


async def set_status(db: Database, rec: Recommendation, status: Status, days: int = 0) -> None:
    async with db.session() as session:
        found = await service.get_recommendation(session, rec.id)
        assert found is not None
        await service.update_status(session, found, status, now=T0 + timedelta(days=days))


async def test_lifecycle(db: Database, business: Business) -> None:
    await put_snapshot(db, business, refund_rate_amount=0.12)
    recs = await generate(db, business)
    assert list(recs) == [RULE]
    first = recs[RULE]
    assert first.status == Status.open
    assert "12%" in first.body
    assert first.impact > 0
    assert first.facts["refund_rate_amount"] == 0.12

    # Not duplicated on a rerun; the numbers are refreshed in place.
    await put_snapshot(db, business, refund_rate_amount=0.11)
    recs = await generate(db, business)
    assert recs[RULE].id == first.id
    assert "11%" in recs[RULE].body
    async with db.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(Recommendation).where(Recommendation.rule_id == RULE)
        )
    assert count == 1

    # Dismissed: stays dismissed while the problem is about as bad.
    await set_status(db, first, Status.dismissed)
    await put_snapshot(db, business, refund_rate_amount=0.13)
    assert (await generate(db, business, days=1))[RULE].status == Status.dismissed

    # Materially worse (25% above the 11% it was dismissed at): back to open.
    await put_snapshot(db, business, refund_rate_amount=0.14)
    recs = await generate(db, business, days=2)
    assert recs[RULE].status == Status.open
    assert recs[RULE].dismissed_at is None

    # The condition clears: resolved automatically.
    await put_snapshot(db, business, refund_rate_amount=0.02)
    recs = await generate(db, business, days=3)
    assert recs[RULE].status == Status.resolved
    assert recs[RULE].resolved_at == T0 + timedelta(days=3)

    # And it comes back if the problem does.
    await put_snapshot(db, business, refund_rate_amount=0.12)
    recs = await generate(db, business, days=4)
    assert recs[RULE].status == Status.open
    assert recs[RULE].id == first.id
    assert recs[RULE].resolved_at is None


async def test_dismissal_expires(db: Database, business: Business) -> None:
    await put_snapshot(db, business, refund_rate_amount=0.12)
    rec = (await generate(db, business))[RULE]
    await set_status(db, rec, Status.dismissed)
    assert (await generate(db, business, days=29))[RULE].status == Status.dismissed
    assert (await generate(db, business, days=30))[RULE].status == Status.open


async def test_accepted_stays_accepted_until_resolved(db: Database, business: Business) -> None:
    await put_snapshot(db, business, payout_failure_rate_90d=0.2)
    rec = (await generate(db, business))["payout_failures"]
    await set_status(db, rec, Status.accepted)
    assert (await generate(db, business))["payout_failures"].status == Status.accepted
    await put_snapshot(db, business, payout_failure_rate_90d=0.0)
    assert (await generate(db, business))["payout_failures"].status == Status.resolved


async def test_no_snapshot_no_recommendations(db: Database, business: Business) -> None:
    assert await generate(db, business) == {}


async def test_sorted_by_priority_then_impact(db: Database, business: Business) -> None:
    await put_snapshot(
        db,
        business,
        refund_rate_amount=0.07,  # medium
        payout_failure_rate_90d=0.2,  # high
        top_customer_share=0.45,  # high
        payout_avg_arrival_delay_days=5.0,  # low
    )
    await generate(db, business)
    async with db.session() as session:
        listed = await service.list_recommendations(session, business.id)
        high = await service.list_recommendations(session, business.id, priority="high")
        limited = await service.list_recommendations(session, business.id, limit=1)
    priorities = [rec.priority for rec in listed]
    assert priorities == sorted(priorities, key=["high", "medium", "low"].index)
    assert [rec.rule_id for rec in listed if rec.category != "funding"][-1] == "payout_delays"
    assert [rec.impact for rec in high] == sorted((rec.impact for rec in high), reverse=True)
    assert {rec.rule_id for rec in high} == {"payout_failures", "top_customer_concentration"}
    assert limited == listed[:1]
