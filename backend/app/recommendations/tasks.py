"""Recommendation jobs, and the per-business refresh the Stripe module enqueues after syncs."""

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.jobs.batch import for_each_business, with_business
from app.jobs.registry import JobContext, job
from app.metrics import service as metrics_service
from app.metrics.tasks import as_uuid, target_ids
from app.notifications import alerts as notification_alerts
from app.recommendations import service
from app.stripe.config import data_now
from app.users.models import Business


@job("generate_recommendations")
async def generate_recommendations(
    ctx: JobContext, business_id: uuid.UUID | str | None = None
) -> dict[str, int]:
    """Run the rules (None: every business with metrics)."""

    async def step(session: AsyncSession, business: Business) -> None:
        await service.generate_recommendations(session, business)

    ids = await target_ids(ctx, business_id, service.business_ids_to_evaluate)
    return await for_each_business(ctx, ids, with_business(step))


async def refresh(
    session: AsyncSession, business: Business, *, now: datetime | None = None
) -> None:
    """Metrics, then readiness, then recommendations, as of `now` (the app's data clock).

    Each step reuses its previous result when its input is unchanged, so a refresh with no
    new Stripe data costs a few indexed look-ups.
    """
    before = await metrics_service.latest_score(session, business.id)
    await metrics_service.compute_metrics(session, business, now=now)
    score = await metrics_service.compute_readiness(session, business, now=now)
    if score is not None and (before is None or before.id != score.id):
        await service.generate_recommendations(session, business)


# Debounced: a burst of webhooks or sync pages for one business collapses into one refresh.
@job("refresh_business", debounce_seconds=2)
async def refresh_business(ctx: JobContext, business_id: uuid.UUID | str) -> dict[str, int]:
    """Bring one business's metrics, score and recommendations up to date as of the app's
    data clock, then evaluate its alerts in the same unit of work (so an alert is written
    exactly when its cause is)."""
    now = data_now(ctx.settings)

    async def step(session: AsyncSession, business: Business) -> None:
        await refresh(session, business, now=now)
        await notification_alerts.evaluate_business(session, business, ctx.settings)

    return await for_each_business(ctx, [as_uuid(business_id)], with_business(step))
