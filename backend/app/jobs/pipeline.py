"""The readiness pipeline, top to bottom: Stripe rows → daily rollups and a metric snapshot →
the readiness score → recommendations → alerts, once per refresh of one business.

The Stripe module enqueues `refresh_business` after every sync page and webhook batch that
changed a business's data (debounced: a burst collapses into one run); the hourly and nightly
jobs in the schedule are only safety nets.
"""

import logging
import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.jobs.batch import for_each_business, with_business
from app.jobs.names import REFRESH_BUSINESS
from app.jobs.registry import JobContext, job
from app.metrics import service as metrics_service
from app.metrics.readiness import scoring
from app.metrics.tasks import as_uuid
from app.notifications import alerts as notification_alerts
from app.recommendations import service as recommendations_service
from app.stripe.config import data_now
from app.users.models import Business

log = logging.getLogger(__name__)


async def refresh(session: AsyncSession, business: Business, *, now: datetime | None = None) -> int:
    """Metrics, then readiness, then recommendations, as of `now` (the app's data clock).

    Each step reuses its previous result when its input is unchanged, so a refresh with no
    new Stripe data costs a few indexed look-ups; recommendations are re-run only when the
    score changed. Returns how many times the score was computed: one for the snapshot, plus
    one per rule whose impact is simulated (before, the base was rescored for every rule).
    """
    before = await metrics_service.latest_score(session, business.id)
    await metrics_service.compute_metrics(session, business, now=now)
    with scoring.counting_computations() as computations:
        # One scoring of the new snapshot, shared by the score and the recommendations.
        context = await metrics_service.get_scoring_context(session, business)
        score = await metrics_service.compute_readiness(session, business, now=now, context=context)
        if score is not None and (before is None or before.id != score.id):
            await recommendations_service.generate_recommendations(
                session, business, context=context
            )
    log.info(
        "refreshed business %s: %d score computations (1 + one per recommendation impact)",
        business.id,
        computations[0],
    )
    return computations[0]


@job(REFRESH_BUSINESS, debounce_seconds=2)
async def refresh_business(ctx: JobContext, business_id: uuid.UUID | str) -> dict[str, int]:
    """Bring one business's metrics, score and recommendations up to date as of the app's
    data clock, then evaluate its alerts in the same unit of work (so an alert is written
    exactly when its cause is)."""
    now = data_now(ctx.settings)

    async def step(session: AsyncSession, business: Business) -> None:
        await refresh(session, business, now=now)
        await notification_alerts.evaluate_business(session, business, ctx.settings)

    return await for_each_business(ctx, [as_uuid(business_id)], with_business(step))
