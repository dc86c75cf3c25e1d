"""Per-business loops for jobs that sweep many businesses."""

import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import AppError
from app.jobs.registry import JobContext
from app.jobs.runs import describe_error
from app.users import service as users_service
from app.users.models import Business

logger = logging.getLogger("vaultra.jobs")

BusinessStep = Callable[[AsyncSession, uuid.UUID], Awaitable[object]]


def with_business(step: Callable[[AsyncSession, Business], Awaitable[object]]) -> BusinessStep:
    """Adapt a step that needs the Business row; a business deleted meanwhile is skipped."""

    async def run(session: AsyncSession, business_id: uuid.UUID) -> None:
        business = await users_service.get_business(session, business_id)
        if business is not None:
            await step(session, business)

    return run


class BusinessesFailed(AppError):
    """Some businesses failed; the others were done. The run is recorded as failed."""

    status_code = 500
    code = "businesses_failed"

    def __init__(self, failures: dict[uuid.UUID, str], total: int) -> None:
        self.failures = failures
        listed = "; ".join(f"{business_id}: {error}" for business_id, error in failures.items())
        super().__init__(f"{len(failures)} of {total} businesses failed: {listed}")


async def for_each_business(
    ctx: JobContext, business_ids: Iterable[uuid.UUID], step: BusinessStep
) -> dict[str, int]:
    """Run `step(session, business_id)` for each business, each in its own unit of work.

    A failing business is rolled back and logged, and the loop goes on; at the end, any failures
    are raised together as BusinessesFailed (so the run is retried and recorded with their ids).
    """
    failures: dict[uuid.UUID, str] = {}
    total = 0
    for business_id in business_ids:
        total += 1
        try:
            async with ctx.db.session() as session:
                await step(session, business_id)
        except Exception as exc:
            logger.exception("job failed for a business", extra={"business_id": str(business_id)})
            failures[business_id] = describe_error(exc, ctx.settings)[:300]
    if failures:
        raise BusinessesFailed(failures, total)
    return {"businesses": total}
