"""Metrics jobs: each business in its own unit of work, so one failure never stops the rest."""

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from app.jobs.batch import for_each_business, with_business
from app.jobs.names import COMPUTE_METRICS, COMPUTE_READINESS
from app.jobs.registry import JobContext, job
from app.metrics import service
from app.stripe.config import data_now
from app.users.models import Business


def as_uuid(value: uuid.UUID | str) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


async def target_ids(
    ctx: JobContext,
    business_id: uuid.UUID | str | None,
    every: Callable[[AsyncSession], Awaitable[list[uuid.UUID]]],
) -> list[uuid.UUID]:
    if business_id is not None:
        return [as_uuid(business_id)]
    async with ctx.db.session() as session:
        return await every(session)


@job(COMPUTE_METRICS)
async def compute_metrics(
    ctx: JobContext, business_id: uuid.UUID | str | None = None, full: bool = False
) -> dict[str, int]:
    """Roll up new Stripe data and snapshot metrics (None: every business with Stripe data)."""
    now = data_now(ctx.settings)

    async def step(session: AsyncSession, business: Business) -> None:
        await service.compute_metrics(session, business, now=now, full=full)

    ids = await target_ids(ctx, business_id, service.business_ids_with_data)
    return await for_each_business(ctx, ids, with_business(step))


@job(COMPUTE_READINESS)
async def compute_readiness(
    ctx: JobContext, business_id: uuid.UUID | str | None = None
) -> dict[str, int]:
    """Score each business's latest snapshot (None: every business with a snapshot)."""
    now = data_now(ctx.settings)

    async def step(session: AsyncSession, business: Business) -> None:
        await service.compute_readiness(session, business, now=now)

    ids = await target_ids(ctx, business_id, service.snapshot_business_ids)
    return await for_each_business(ctx, ids, with_business(step))
