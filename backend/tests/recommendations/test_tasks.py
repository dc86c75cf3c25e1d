"""The jobs: every business in its own unit of work; refresh is cheap when nothing changed."""

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from app.core.config import Settings
from app.core.db import Database, utcnow
from app.jobs import pipeline
from app.jobs.batch import BusinessesFailed
from app.jobs.registry import JOBS, JobContext
from app.metrics import service as metrics_service
from app.metrics import tasks as metrics_tasks
from app.metrics.models import MetricSnapshot, ReadinessScore
from app.recommendations import tasks as recommendation_tasks
from app.recommendations.models import Recommendation
from app.users.models import Business
from tests.metrics.conftest import StripeData, create_business


@pytest.fixture
async def ctx(db: Database, settings: Settings) -> AsyncIterator[JobContext]:
    async with httpx.AsyncClient() as http:
        yield JobContext(db=db, settings=settings, http=http)


async def refund_heavy(db: Database) -> Business:
    """120 days of sales, a fifth of them refunded: the refund rule fires."""
    business = await create_business(db)
    data = StripeData(business.id)
    today = utcnow().date()
    for offset in range(1, 121):
        day = today - timedelta(days=offset)
        charge = data.charge(day, 10_000, customer=f"cus_{offset % 30}")
        if offset % 5 == 0:
            data.refund(day, 10_000, charge_id=charge)
    await data.save(db)
    return business


async def count(db: Database, model: type) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def test_jobs_are_registered() -> None:
    for name in ("compute_metrics", "compute_readiness", "generate_recommendations"):
        assert name in JOBS
    assert "refresh_business" in JOBS


async def test_refresh_business(ctx: JobContext, db: Database) -> None:
    business = await refund_heavy(db)
    await pipeline.refresh_business(ctx, str(business.id))
    assert await count(db, MetricSnapshot) == 1
    assert await count(db, ReadinessScore) == 1
    async with db.session() as session:
        rules = set(
            await session.scalars(
                select(Recommendation.rule_id).where(Recommendation.business_id == business.id)
            )
        )
    assert "refund_rate_high" in rules

    # Nothing new: nothing recomputed, nothing added.
    await pipeline.refresh_business(ctx, business.id)
    assert await count(db, MetricSnapshot) == 1
    assert await count(db, ReadinessScore) == 1


async def test_one_failure_does_not_stop_the_others(
    ctx: JobContext, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = await refund_heavy(db)
    bad = await refund_heavy(db)
    real = metrics_service.compute_metrics

    async def flaky(session, business, **kwargs):  # type: ignore[no-untyped-def]
        if business.id == bad.id:
            raise RuntimeError("boom")
        return await real(session, business, **kwargs)

    monkeypatch.setattr(metrics_service, "compute_metrics", flaky)
    with pytest.raises(BusinessesFailed) as failure:
        await metrics_tasks.compute_metrics(ctx)
    assert list(failure.value.failures) == [bad.id]
    async with db.session() as session:
        assert await metrics_service.latest_snapshot(session, good.id) is not None
        assert await metrics_service.latest_snapshot(session, bad.id) is None

    assert await metrics_tasks.compute_readiness(ctx) == {"businesses": 1}
    assert await recommendation_tasks.generate_recommendations(ctx) == {"businesses": 1}
    assert await count(db, ReadinessScore) == 1


async def test_unknown_business_is_skipped(ctx: JobContext) -> None:
    assert await metrics_tasks.compute_metrics(ctx, uuid.uuid4()) == {"businesses": 1}


async def test_a_refresh_scores_the_snapshot_once_plus_once_per_simulated_rule(
    db: Database,
) -> None:
    """Before the pipeline shared one scoring context, each rule's impact rescored the base too:
    2 computations per rule plus 2 for the snapshot."""
    business = await refund_heavy(db)
    async with db.session() as session:
        computations = await pipeline.refresh(session, business)
        await session.commit()
    async with db.session() as session:
        simulated = [
            rec
            for rec in await session.scalars(
                select(Recommendation).where(Recommendation.business_id == business.id)
            )
            if rec.overrides
        ]
    assert simulated, "the refund rule simulates a lower refund rate"
    assert computations == 1 + len(simulated)

    async with db.session() as session:  # nothing new: the snapshot is scored once, no rules
        assert await pipeline.refresh(session, business) == 1
