"""Alerts fire on the refresh that follows new figures, once per crossing or change."""

import uuid
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from app.core.db import Database, utcnow
from app.jobs.queue import enqueue
from app.metrics import service as metrics_service
from app.metrics.models import ReadinessScore
from app.notifications import alerts
from app.notifications.models import AlertState, OutboxStatus
from app.notifications.tasks import ALERTS_JOB
from app.stripe.models import IntegrationAccount
from app.users import service as users_service
from app.users.models import Role
from tests.conftest import Account
from tests.notifications.conftest import SmtpServer, add_member, outbox
from tests.notifications.helpers import (
    connected_business,
    dispute_event,
    event,
    post_event,
    previous_months,
)
from tests.notifications.test_digest import TROUBLED
from tests.recommendations.conftest import put_snapshot


async def _refresh(app: FastAPI, business_id: uuid.UUID) -> None:
    await enqueue("refresh_business", job_key=f"refresh:{business_id}", business_id=business_id)
    await app.state.queue.join()


async def test_a_dispute_ratio_crossing_alerts_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: Database,
    make_account: Any,
    smtp_server: SmtpServer,
) -> None:
    owner: Account = await make_account(name="Ada Owner")
    member: Account = await make_account(name="Bo Member")
    business_id, account_id, charges = await connected_business(db, owner)
    await add_member(db, business_id, member.id, Role.member)
    await _refresh(app, business_id)
    async with db.session() as session:
        state = await session.get(AlertState, business_id)
        assert state is not None
        assert state.dispute_level == 0

    # 600 charges last month (and the month before): the 4th dispute makes 0.67% (over 0.65%),
    # the 5th 0.83% (under 0.9%). Five events, five refreshes: one alert per member.
    m1, _ = previous_months()
    for number, charge in enumerate(charges[:5], start=1):
        await dispute_event(app, client, account_id, charge, m1 + timedelta(days=number))
        alerts = await outbox(db, kind="alert_dispute")
        assert len(alerts) == (0 if number < 4 else 2), number
    # A recompute with nothing new changes nothing.
    await _refresh(app, business_id)
    assert len(await outbox(db, kind="alert_dispute")) == 2

    received = [r for r in smtp_server.received if "dispute" in str(r.message["Subject"])]
    assert sorted(r.rcpt_tos[0] for r in received) == sorted(
        [owner.user["email"], member.user["email"]]
    )
    [mail] = smtp_server.to(owner.user["email"])
    assert mail.message["Subject"] == "Vaultra: Acme's dispute ratio is over 0.65%"
    assert "dispute ratio for the last month is 0.67%, over 0.65%" in mail.text
    assert "Hi Ada Owner," in mail.text
    assert all(r.status == OutboxStatus.sent for r in await outbox(db, kind="alert_dispute"))
    # No customer of the business appears in any email (the charges have customers cus_0…149).
    for received in smtp_server.received:
        assert "cus_" not in received.text
        assert "cus_" not in received.html

    # Crossing the next threshold is a new crossing: 6 disputes = 1.0%, over 0.9%.
    await dispute_event(app, client, account_id, charges[5], m1 + timedelta(days=6))
    subjects = [str(r.message["Subject"]) for r in smtp_server.to(owner.user["email"])]
    assert subjects == [
        "Vaultra: Acme's dispute ratio is over 0.65%",
        "Vaultra: Acme's dispute ratio is over 0.9%",
    ]


async def test_an_alert_respects_each_members_preference(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: Database,
    make_account: Any,
    smtp_server: SmtpServer,
) -> None:
    owner: Account = await make_account()
    member: Account = await make_account()
    business_id, account_id, charges = await connected_business(db, owner)
    await add_member(db, business_id, member.id, Role.member)
    response = await client.patch(
        "/api/v1/notifications/preferences",
        json={"business_id": str(business_id), "alert_dispute": False},
        headers=member.headers,
    )
    assert response.status_code == 200, response.text
    await _refresh(app, business_id)
    m1, _ = previous_months()
    for number, charge in enumerate(charges[:4], start=1):
        await dispute_event(app, client, account_id, charge, m1 + timedelta(days=number))
    assert [r.to for r in await outbox(db, kind="alert_dispute")] == [owner.user["email"]]
    assert smtp_server.to(member.user["email"]) == []


async def test_stripe_revoking_access_alerts_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    db: Database,
    make_account: Any,
    smtp_server: SmtpServer,
) -> None:
    owner: Account = await make_account()
    business_id, account_id, _ = await connected_business(db, owner, name="Deauth Co")
    await _refresh(app, business_id)
    obj = {"id": "ca_vaultra", "object": "application"}
    await post_event(app, client, event(obj, "account.application.deauthorized", account_id))
    [mail] = smtp_server.to(owner.user["email"])
    assert mail.message["Subject"] == "Vaultra: Stripe access for Deauth Co was revoked"
    assert "revoked from Stripe's side" in mail.text
    assert "http://frontend.test/settings#stripe-heading" in mail.text
    # The hourly sweep and later refreshes do not repeat it.
    await enqueue(ALERTS_JOB)
    await app.state.queue.join()
    await _refresh(app, business_id)
    assert len(smtp_server.to(owner.user["email"])) == 1


async def test_a_sync_failing_for_a_day_alerts_once_per_streak(
    app: FastAPI, db: Database, make_account: Any, smtp_server: SmtpServer
) -> None:
    owner: Account = await make_account()
    business_id, _, _ = await connected_business(db, owner, name="Flaky Ltd")

    async def sync_failed(hours_ago: float) -> None:
        async with db.session() as session:
            await session.execute(
                update(IntegrationAccount)
                .where(IntegrationAccount.business_id == business_id)
                .values(
                    sync_state="failed",
                    sync_error="StripeError: 500",
                    last_synced_at=utcnow() - timedelta(hours=hours_ago),
                )
            )

    async def sweep() -> list[str]:
        await enqueue(ALERTS_JOB)
        await app.state.queue.join()
        return [str(r.message["Subject"]) for r in smtp_server.to(owner.user["email"])]

    await sync_failed(hours_ago=23)
    assert await sweep() == []
    await sync_failed(hours_ago=25)
    assert await sweep() == ["Vaultra: Flaky Ltd's Stripe sync has been failing for 25 hours"]
    assert len(await sweep()) == 1
    # A success ends the streak; the next day-long failure alerts again.
    async with db.session() as session:
        await session.execute(
            update(IntegrationAccount)
            .where(IntegrationAccount.business_id == business_id)
            .values(sync_state="succeeded", last_synced_at=utcnow())
        )
    assert len(await sweep()) == 1
    await sync_failed(hours_ago=30)
    assert len(await sweep()) == 2


async def test_a_tier_change_alerts_once_per_change(
    app: FastAPI, db: Database, make_account: Any, smtp_server: SmtpServer
) -> None:
    owner: Account = await make_account()
    created = await owner.create_business("Tiered Inc")
    async with db.session() as session:
        business = await users_service.get_business(session, uuid.UUID(created["id"]))
    assert business is not None

    async def rescore(**metrics: Any) -> None:
        """What a refresh does after its rollup: score, recommend, evaluate the alerts."""
        await put_snapshot(db, business, at_time=utcnow(), **metrics)
        async with db.session() as session:
            await metrics_service.compute_readiness(session, business)
            await alerts.evaluate_business(session, business, app.state.settings)
        await app.state.queue.join()

    def subjects() -> list[str]:
        return [str(r.message["Subject"]) for r in smtp_server.to(owner.user["email"])]

    await rescore()  # the first score only sets the baseline
    assert subjects() == []
    await rescore(**TROUBLED)
    assert "Vaultra: Tiered Inc's readiness tier fell to Not ready" in subjects()
    tier_alerts = len(await outbox(db, kind="alert_tier"))
    assert tier_alerts == 1
    await rescore(**TROUBLED)  # the same tier again: nothing
    assert len(await outbox(db, kind="alert_tier")) == 1
    await rescore()
    assert subjects()[-1] == "Vaultra: Tiered Inc's readiness tier rose to Strong"
    [mail] = [r for r in smtp_server.to(owner.user["email"]) if "rose" in str(r.message["Subject"])]
    assert "from Not ready to Strong" in mail.text


async def test_a_tier_change_from_a_model_update_says_so(
    app: FastAPI, db: Database, make_account: Any, smtp_server: SmtpServer
) -> None:
    owner: Account = await make_account()
    created = await owner.create_business("Recalibrated Inc")
    async with db.session() as session:
        business = await users_service.get_business(session, uuid.UUID(created["id"]))
    assert business is not None

    async def rescore(**metrics: Any) -> None:
        await put_snapshot(db, business, at_time=utcnow(), **metrics)
        async with db.session() as session:
            await metrics_service.compute_readiness(session, business)
            await alerts.evaluate_business(session, business, app.state.settings)
        await app.state.queue.join()

    await rescore()  # the baseline
    # The stored score was made by the previous model, with another tier.
    async with db.session() as session:
        await session.execute(
            update(ReadinessScore)
            .where(ReadinessScore.business_id == business.id)
            .values(model_version="1.0")
        )
        await session.execute(
            update(AlertState).where(AlertState.business_id == business.id).values(tier="emerging")
        )
    await rescore(revenue_30d=2_600_001)  # a new snapshot, scored by the current model
    [mail] = [r for r in smtp_server.to(owner.user["email"]) if "tier" in str(r.message["Subject"])]
    assert "update of Vaultra's readiness model (version 2.0)" in mail.text
    assert "not from a change in your business" in mail.text
