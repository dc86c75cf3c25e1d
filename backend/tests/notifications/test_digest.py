"""The digest: weekly by default, daily on request, with what changed since the reader's last."""

import uuid
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI

from app.core.db import Database, utcnow
from app.jobs.queue import enqueue
from app.metrics import service as metrics_service
from app.notifications import digest
from app.notifications.models import DigestFrequency
from app.notifications.tasks import DIGEST_JOB
from app.recommendations import service as recommendations_service
from app.users import service as users_service
from app.users.models import Business, Role
from tests.conftest import Account
from tests.notifications.conftest import SmtpServer, add_member, outbox
from tests.recommendations.conftest import put_snapshot

# A business in trouble: disputes over every threshold, refunds, a shrinking month.
TROUBLED: dict[str, Any] = {
    "dispute_ratio_visa_month": 0.02,
    "dispute_ratio_visa_3m": 0.018,
    "dispute_ratio_mc_month": 0.02,
    "dispute_ratio_mc_3m": 0.018,
    "disputes_count_month": 40,
    "disputes_count_3m": 100,
    "refund_rate_amount": 0.12,
    "refund_rate_count": 0.12,
    "growth_mom": -0.25,
    "growth_3m": -0.3,
}


async def _business(db: Database, business_id: str) -> Business:
    async with db.session() as session:
        business = await users_service.get_business(session, uuid.UUID(business_id))
        assert business is not None
        return business


async def _rescore(app: FastAPI, db: Database, business: Business, **metrics: Any) -> int:
    """A snapshot with these metrics, scored, and the recommendations it calls for (what a
    refresh does after rolling up Stripe data, which this business has none of)."""
    await put_snapshot(db, business, at_time=utcnow(), **metrics)
    async with db.session() as session:
        score = await metrics_service.compute_readiness(session, business)
        assert score is not None
        await recommendations_service.generate_recommendations(session, business)
        return score.score


async def _digests(app: FastAPI, business: Business, at: datetime) -> int:
    """The digest job's step for one business, as if run at `at`."""
    async with app.state.db.session() as session:
        return await digest.send_business_digests(session, business, app.state.settings, now=at)


async def test_weekly_and_daily_digests_say_what_changed_since_the_readers_last(
    app: FastAPI, db: Database, make_account: Any, smtp_server: SmtpServer, client: Any
) -> None:
    owner: Account = await make_account(name="Ada Owner")
    created = await owner.create_business("Acme")
    member: Account = await make_account(name="Bo Daily")
    await add_member(db, created["id"], member.id, Role.member)
    response = await client.patch(
        "/api/v1/notifications/preferences",
        json={"business_id": created["id"], "digest": "daily"},
        headers=member.headers,
    )
    assert response.json()["digest"] == DigestFrequency.daily
    business = await _business(db, created["id"])

    # Nothing to say before a score: no digest.
    await enqueue(DIGEST_JOB)
    await app.state.queue.join()
    assert await outbox(db, kind="digest") == []

    healthy = await _rescore(app, db, business)
    await enqueue(DIGEST_JOB)
    await app.state.queue.join()
    first = await outbox(db, kind="digest")
    assert sorted(email.to for email in first) == sorted(
        [owner.user["email"], member.user["email"]]
    )
    [owner_mail] = smtp_server.to(owner.user["email"])
    assert owner_mail.message["Subject"] == f"Vaultra weekly digest for Acme: score {healthy}"
    assert f"Score {healthy}/100\n" in owner_mail.text
    [member_mail] = smtp_server.to(member.user["email"])
    assert str(member_mail.message["Subject"]).startswith("Vaultra daily digest for Acme")
    # The job runs again the same day: nothing is due.
    await enqueue(DIGEST_JOB)
    await app.state.queue.join()
    assert len(await outbox(db, kind="digest")) == 2

    troubled = await _rescore(app, db, business, **TROUBLED)
    assert troubled < healthy
    now = utcnow()
    assert await _digests(app, business, now + timedelta(days=1)) == 1  # the daily reader only
    daily = (await outbox(db, kind="digest", to=member.user["email"]))[-1]
    text = daily.body
    assert f"Score {troubled}/100 ({troubled - healthy:+d} since your last digest)" in text
    assert "New recommendations" in text
    assert "Funding options no longer in reach" in text
    assert (
        daily.subject
        == f"Vaultra daily digest for Acme: score {troubled} ({troubled - healthy:+d})"
    )
    assert daily.html is not None
    assert f"Score {troubled}/100" in daily.html

    # Back to health: the recommendations resolve, and the next daily digest says so.
    recovered = await _rescore(app, db, business)
    assert await _digests(app, business, now + timedelta(days=2)) == 1
    text = (await outbox(db, kind="digest", to=member.user["email"]))[-1].body
    assert "Resolved recommendations" in text
    assert f"({recovered - troubled:+d} since your last digest)" in text
    assert "Funding options newly in reach" in text

    # A week after the first: the weekly reader's digest compares with that first one.
    assert await _digests(app, business, now + timedelta(days=7)) == 2
    weekly = (await outbox(db, kind="digest", to=owner.user["email"]))[-1]
    assert weekly.subject.startswith("Vaultra weekly digest for Acme")
    expected = "(unchanged)" if recovered == healthy else f"({recovered - healthy:+d} since"
    assert expected in weekly.body


def test_due_rules() -> None:
    now = utcnow()
    assert digest.is_due(DigestFrequency.weekly, None, now)
    assert not digest.is_due(DigestFrequency.weekly, now - timedelta(days=6), now)
    # A run a few seconds early (the daily job at 13:00) still counts as a week.
    assert digest.is_due(
        DigestFrequency.weekly, now - timedelta(days=7) + timedelta(seconds=5), now
    )
    assert digest.is_due(DigestFrequency.daily, now - timedelta(hours=23, minutes=59), now)
    assert not digest.is_due(DigestFrequency.daily, now - timedelta(hours=12), now)
    assert not digest.is_due(DigestFrequency.off, None, now)
