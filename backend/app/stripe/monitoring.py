"""What the operators' gauges read from this module's tables (app/core/observability.py)."""

from app.core.db import Database
from app.core.observability import OperationalState
from app.stripe import service
from app.stripe.webhooks import MAX_ATTEMPTS


async def read_operational_state(db: Database) -> OperationalState:
    async with db.session() as session:
        return await service.operational_state(session, max_attempts=MAX_ATTEMPTS)
