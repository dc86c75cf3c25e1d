from datetime import timedelta

from app.core.db import utcnow
from app.jobs.registry import JobContext, job
from app.jobs.runs import last_success_started_at
from app.notifications import service
from app.notifications.email import OutboxEmailSender

DIGEST_JOB = "send_notification_digest"
# The first digest covers the last day.
FIRST_DIGEST_WINDOW = timedelta(days=1)


@job(DIGEST_JOB)
async def send_notification_digest(ctx: JobContext) -> int:
    """Email each user their businesses' open recommendations created since the last digest."""
    until = utcnow()
    async with ctx.db.session() as session:
        since = await last_success_started_at(session, DIGEST_JOB) or until - FIRST_DIGEST_WINDOW
        return await service.send_digests(
            session,
            OutboxEmailSender(session),
            since=since,
            until=until,
            app_url=ctx.settings.frontend_url,
        )
