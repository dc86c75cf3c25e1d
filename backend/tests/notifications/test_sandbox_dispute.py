"""`vaultra sandbox dispute`: disputes opened in the sandbox reach the app as webhooks and,
past 0.65% last month, the founder gets the dispute alert (issue 16's "Done when")."""

import asyncio
import math
import sqlite3
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import Settings
from app.metrics import service as metrics_service
from app.notifications import service as notifications_service
from app.stripe.config import data_now, sandbox_config
from app.stripe.models import StripeDispute, StripeEvent
from stripe_sandbox import merchant_account_id
from stripe_sandbox.clock import dispute
from tests.notifications.conftest import SmtpServer
from tests.stripe.conftest import (
    connect_merchant,
    redirect_query,
    serve_vaultra,
    signup,
    wait_for_sync,
)

EARLY_WARNING = 0.0065


def _month_starts(today: datetime) -> tuple[int, int, int]:
    """Unix starts of the month before last, last month and this month."""
    this = today.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    last = (this.replace(year=this.year - 1, month=12) if this.month == 1
            else this.replace(month=this.month - 1))  # fmt: skip
    before = (last.replace(year=last.year - 1, month=12) if last.month == 1
              else last.replace(month=last.month - 1))  # fmt: skip
    return int(before.timestamp()), int(last.timestamp()), int(this.timestamp())


def _disputes_to_cross(db_path: str, account: str, today: datetime) -> int:
    """The fewest new disputes last month that take the worst of the app's two monthly ratios
    (disputes last month / succeeded charges last month or the month before) over 0.65%."""
    m2, m1, m0 = _month_starts(today)
    conn = sqlite3.connect(db_path)
    try:

        def count(sql: str, *args: object) -> int:
            return int(conn.execute(sql, (account, *args)).fetchone()[0])

        charges = "SELECT count(*) FROM objects WHERE account = ? AND type = 'charge'"
        charges += (
            " AND json_extract(data, '$.status') = 'succeeded' AND created >= ? AND created < ?"
        )
        fewest = min(count(charges, m2, m1), count(charges, m1, m0))
        existing = count(
            "SELECT count(*) FROM objects WHERE account = ? AND type = 'dispute'"
            " AND json_extract(data, '$.status') NOT LIKE 'warning%'"
            " AND created >= ? AND created < ?",
            m1,
            m0,
        )
    finally:
        conn.close()
    needed = math.floor(EARLY_WARNING * fewest) + 1 - existing
    assert 1 <= needed <= 100, (fewest, existing)
    return needed


async def _until(condition: object, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while not await condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.2)


async def test_disputes_through_the_sandbox_send_the_dispute_alert(
    settings: Settings, smtp_server: SmtpServer
) -> None:
    plain = settings.model_copy(
        update={
            "stripe_secret_key": None,
            "stripe_connect_client_id": None,
            "stripe_webhook_secret": None,
        }
    )
    async with serve_vaultra(plain) as vaultra:
        owner = await signup(vaultra.client)
        business = await owner.create_business("Ledgerly")
        business_id = uuid.UUID(business["id"])
        response = await connect_merchant(vaultra.client, owner, business["id"], "healthy_saas")
        assert redirect_query(response)["stripe"] == "connected"
        status = await wait_for_sync(vaultra.client, owner, business["id"])
        assert status["sync"]["state"] == "succeeded", status

        async def scored() -> bool:
            async with vaultra.db.session() as session:
                return await metrics_service.latest_score(session, business_id) is not None

        await _until(scored)
        sandbox = sandbox_config(vaultra.settings)
        account = merchant_account_id(sandbox, "healthy_saas")
        today = data_now(vaultra.settings)
        needed = _disputes_to_cross(sandbox.db_path, account, today)

        result = await dispute(sandbox, "healthy_saas", needed, last_month=True)
        _, m1, m0 = _month_starts(today)
        assert m1 <= result.at.timestamp() < m0
        assert len(result.disputes) == needed
        # Each chargeback: charge.dispute.created and charge.dispute.funds_withdrawn (and
        # charge.dispute.updated if its evidence, 1-6 days later, is already in the past).
        assert result.events_created >= 2 * needed
        assert (result.delivered, result.failed) == (result.events_created, 0)

        async def alerted() -> bool:
            async with vaultra.db.session() as session:
                rows = await notifications_service.list_outbox(
                    session, kind="alert_dispute", business_id=business_id
                )
            return len(rows) > 0

        await _until(alerted)
        await asyncio.sleep(1)  # a second alert would come from a later refresh
        async with vaultra.db.session() as session:
            created_events = list(
                await session.scalars(
                    select(StripeEvent.event_id).where(
                        StripeEvent.business_id == business_id,
                        StripeEvent.type == "charge.dispute.created",
                    )
                )
            )
            disputes = set(
                await session.scalars(
                    select(StripeDispute.stripe_id).where(
                        StripeDispute.business_id == business_id,
                        StripeDispute.stripe_id.in_(result.disputes),
                    )
                )
            )
            alerts = await notifications_service.list_outbox(
                session, kind="alert_dispute", business_id=business_id
            )
        assert len(created_events) == needed
        assert disputes == set(result.disputes)
        assert len(alerts) == 1
        assert alerts[0].to == owner.user["email"]
        assert alerts[0].subject.startswith("Vaultra: Ledgerly's dispute ratio is over ")


runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--merchant", "nope"], "unknown sample merchant 'nope'"),
        (["--merchant", "healthy_saas"], "is not generated"),
        (["--merchant", "healthy_saas", "--count", "0"], "--count"),
        (["--merchant", "healthy_saas", "--count", "101"], "--count"),
        (["--count", "3"], "--merchant"),
    ],
)
def test_the_command_refuses_bad_arguments(args: list[str], message: str, tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    result = runner.invoke(cli, ["sandbox", "dispute", *args, "--db", str(db)])
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_the_command_prints_what_it_did(tmp_path: Path) -> None:
    from stripe_sandbox import SandboxConfig, generate

    db = tmp_path / "sandbox.db"
    start = datetime(2026, 6, 1, 12, tzinfo=UTC)
    generate(SandboxConfig(db_path=str(db), start=start, size=200), ["new_store"])
    args = ["--merchant", "new_store", "--count", "2", "--size", "200", "--db", str(db)]
    result = runner.invoke(cli, ["sandbox", "dispute", *args])
    assert result.exit_code == 0, result.output
    assert "opened 2 dispute(s) on new_store at 2026-06-01T12:00:00+00:00" in result.output
    assert "events: 4, none delivered (new_store is not connected)" in result.output
