"""The recommendation job (the per-business refresh lives in app/jobs/pipeline.py)."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.jobs.batch import for_each_business, with_business
from app.jobs.names import GENERATE_RECOMMENDATIONS
from app.jobs.registry import JobContext, job
from app.metrics.tasks import target_ids
from app.recommendations import service
from app.users.models import Business


@job(GENERATE_RECOMMENDATIONS)
async def generate_recommendations(
    ctx: JobContext, business_id: uuid.UUID | str | None = None
) -> dict[str, int]:
    """Run the rules (None: every business with metrics)."""

    async def step(session: AsyncSession, business: Business) -> None:
        await service.generate_recommendations(session, business)

    ids = await target_ids(ctx, business_id, service.business_ids_to_evaluate)
    return await for_each_business(ctx, ids, with_business(step))
