"""Stripe jobs. Intended schedules: `stripe_sync` every 15 minutes, and
`stripe_process_pending_events` every minute (the sweeper behind the webhook jobs)."""

import uuid

from app.jobs.names import (
    STRIPE_PROCESS_EVENTS,
    STRIPE_PROCESS_PENDING_EVENTS,
    STRIPE_SYNC,
    STRIPE_SYNC_BUSINESS,
)
from app.jobs.queue import enqueue
from app.jobs.registry import JobContext, job
from app.stripe import service, sync, webhooks
from app.stripe.config import stripe_config


@job(STRIPE_SYNC, timeout_seconds=5 * 60)
async def stripe_sync(ctx: JobContext) -> int:
    """Queue an incremental sync of every connected account; returns how many."""
    async with ctx.db.session() as session:
        business_ids = await service.connected_business_ids(session)
    for business_id in business_ids:
        await enqueue(
            STRIPE_SYNC_BUSINESS,
            job_key=service.sync_job_key(business_id, full=False),
            business_id=str(business_id),
            full=False,
        )
    return len(business_ids)


@job(STRIPE_SYNC_BUSINESS, max_tries=3, timeout_seconds=6 * 60 * 60)
async def stripe_sync_business(ctx: JobContext, business_id: str, full: bool = False) -> str:
    """Sync one business's account; a retry resumes the interrupted pass."""
    result = await sync.sync_business(
        ctx.db, stripe_config(ctx.settings), uuid.UUID(business_id), full=full
    )
    return result.state


@job(STRIPE_PROCESS_EVENTS, max_tries=3, timeout_seconds=30 * 60)
async def stripe_process_events(ctx: JobContext, business_id: str) -> int:
    """Apply a business's newly stored webhook events."""
    return await webhooks.process_events(
        ctx.db, stripe_config(ctx.settings), business_id=uuid.UUID(business_id)
    )


@job(STRIPE_PROCESS_PENDING_EVENTS, timeout_seconds=10 * 60)
async def stripe_process_pending_events(ctx: JobContext) -> int:
    """Apply stored webhook events that no per-business run picked up (the sweeper)."""
    return await webhooks.process_pending_events(ctx.db, stripe_config(ctx.settings))
