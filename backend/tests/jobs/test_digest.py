"""The daily digest: each member's newly opened recommendations, written to the outbox."""

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.core.config import Settings
from app.core.db import Database, utcnow
from app.jobs.inprocess import InProcessQueue
from app.jobs.models import JobStatus
from app.jobs.registry import JobContext
from app.notifications.models import OutboxEmail
from app.recommendations.models import Priority, Recommendation, Status
from tests.jobs.conftest import job_runs

DIGEST = "send_notification_digest"


@pytest.fixture
async def queue(db: Database, settings: Settings) -> AsyncIterator[InProcessQueue]:
    async with httpx.AsyncClient() as http:
        queue = InProcessQueue(JobContext(db=db, settings=settings, http=http))
        yield queue
        await queue.close()


async def _recommend(
    db: Database,
    business_id: str,
    title: str,
    *,
    status: Status = Status.open,
    opened_ago: timedelta = timedelta(minutes=5),
) -> None:
    async with db.session() as session:
        session.add(
            Recommendation(
                business_id=uuid.UUID(business_id),
                rule_id=f"rule-{uuid.uuid4().hex[:8]}",
                category="revenue",
                component="growth",
                priority=Priority.high,
                status=status,
                title=title,
                body="…",
                overrides={},
                facts={},
                opened_at=utcnow() - opened_ago,
            )
        )


async def _outbox(db: Database) -> list[OutboxEmail]:
    async with db.session() as session:
        return list(await session.scalars(select(OutboxEmail).order_by(OutboxEmail.created_at)))


async def _digest(queue: InProcessQueue) -> None:
    await queue.enqueue(DIGEST)
    await queue.join()


async def test_digest_emails_each_member_their_new_recommendations(
    db: Database, make_account: Any, queue: InProcessQueue
) -> None:
    founder = await make_account(name="Ada Founder")
    acme = await founder.create_business("Acme")
    quiet = await make_account()
    await quiet.create_business("Quiet Co")
    stale = await make_account()
    stale_business = await stale.create_business("Stale Ltd")

    await _recommend(db, acme["id"], "Cut failed payments")
    await _recommend(db, acme["id"], "Grow recurring revenue")
    await _recommend(db, acme["id"], "Dismissed one", status=Status.dismissed)
    await _recommend(db, stale_business["id"], "Old news", opened_ago=timedelta(days=3))

    await _digest(queue)

    [email] = await _outbox(db)
    assert email.to == founder.user["email"]
    assert email.subject == "Vaultra: 2 new recommendations"
    assert "Hi Ada Founder," in email.body
    assert "Acme\n  - [high] Cut failed payments\n  - [high] Grow recurring revenue" in email.body
    assert "Dismissed one" not in email.body
    assert "http://frontend.test/dashboard/recommendations" in email.body
    [run] = await job_runs(db, DIGEST)
    assert run.status == JobStatus.succeeded

    # The next digest only has what was opened since this one.
    await _digest(queue)
    assert len(await _outbox(db)) == 1
    await _recommend(db, acme["id"], "Diversify customers", opened_ago=timedelta(0))
    await _digest(queue)
    emails = await _outbox(db)
    assert len(emails) == 2
    assert emails[1].subject == "Vaultra: 1 new recommendation"
    assert "Diversify customers" in emails[1].body
    assert "Cut failed payments" not in emails[1].body
