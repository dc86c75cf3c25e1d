"""Notification jobs: sending the outbox, the digest, and the hourly alert sweep.

Alerts are mostly evaluated by `refresh_business` (app.jobs.pipeline), seconds after new
figures; the hourly sweep catches what no refresh follows: a sync that keeps failing.
"""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.jobs.batch import for_each_business, with_business
from app.jobs.names import EVALUATE_NOTIFICATION_ALERTS, SEND_NOTIFICATION_DIGEST
from app.jobs.registry import JobContext, job
from app.notifications import alerts, digest, sender, service
from app.users.models import Business

DIGEST_JOB = SEND_NOTIFICATION_DIGEST
SEND_JOB = service.SEND_JOB
ALERTS_JOB = EVALUATE_NOTIFICATION_ALERTS


@job(SEND_JOB, timeout_seconds=10 * 60)
async def send_email_outbox(ctx: JobContext) -> dict[str, int]:
    """Send what is due in the outbox (kept there, unsent, without SMTP_HOST)."""
    total: dict[str, int] = {}
    while True:
        report = await sender.send_due(ctx.db, ctx.settings)
        for name, count in report.as_dict().items():
            total[name] = total.get(name, 0) + count
        # A full batch may have left more due; a short one means the outbox is drained.
        if report.sent + report.retrying + report.failed < sender.BATCH:
            return total


async def _all_businesses(ctx: JobContext) -> list[uuid.UUID]:
    async with ctx.db.session() as session:
        return await alerts.businesses_to_watch(session)


@job(DIGEST_JOB)
async def send_notification_digest(ctx: JobContext) -> dict[str, int]:
    """Write each member's due digest (weekly, or daily when chosen) to the outbox."""

    async def step(session: AsyncSession, business: Business) -> None:
        await digest.send_business_digests(session, business, ctx.settings)

    return await for_each_business(ctx, await _all_businesses(ctx), with_business(step))


@job(ALERTS_JOB)
async def evaluate_notification_alerts(ctx: JobContext) -> dict[str, int]:
    """Evaluate every business's alerts (sync failing for a day shows up here)."""

    async def step(session: AsyncSession, business: Business) -> None:
        await alerts.evaluate_business(session, business, ctx.settings)

    return await for_each_business(ctx, await _all_businesses(ctx), with_business(step))
