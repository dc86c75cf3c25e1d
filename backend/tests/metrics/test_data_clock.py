"""The app's data clock: the sandbox clock in development, the wall clock in production.

Before, `vaultra sandbox advance --days 30` dated the merchants' new sales up to 30 days
ahead of the wall clock, and every window ignored them: the score did not move.
"""

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.core.config import AppEnv, Settings
from app.core.db import Database
from app.jobs.pipeline import refresh
from app.metrics import service as metrics_service
from app.stripe.config import data_now, sandbox_clock, sandbox_config
from app.users.models import Business
from stripe_sandbox.config import SandboxConfig
from stripe_sandbox.store import open_db, set_now
from tests.metrics.conftest import StripeData


def _advanced_sandbox(settings: Settings, days: int) -> datetime:
    """A sandbox file in the app's data folder whose clock is `days` ahead of now."""
    ahead = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days)
    path = Path(sandbox_config(settings).db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file():
        with open_db(SandboxConfig(db_path=str(path), start=ahead)):
            pass
    # What `advance` leaves behind: the clock moved (the app may have created the file).
    with sqlite3.connect(path) as conn:
        set_now(conn, int(ahead.timestamp()))
    return ahead


def test_development_follows_the_sandbox_clock(settings: Settings) -> None:
    assert data_now(settings) - datetime.now(UTC) < timedelta(seconds=5)  # no sandbox yet
    ahead = _advanced_sandbox(settings, days=30)
    assert sandbox_clock(Path(sandbox_config(settings).db_path)) == ahead
    assert data_now(settings) == ahead


def test_production_is_the_wall_clock(settings: Settings) -> None:
    _advanced_sandbox(settings, days=30)
    production = settings.model_copy(update={"app_env": AppEnv.production})
    assert abs(data_now(production) - datetime.now(UTC)) < timedelta(seconds=5)


def test_an_unreadable_sandbox_file_falls_back_to_the_wall_clock(tmp_path: Path) -> None:
    broken = tmp_path / "sandbox.db"
    broken.write_text("not a database")
    assert sandbox_clock(broken) is None
    assert sandbox_clock(tmp_path / "missing.db") is None


async def test_a_refresh_counts_the_advanced_days(
    db: Database, business: Business, settings: Settings
) -> None:
    today = datetime.now(UTC).date()
    data = StripeData(business.id)
    data.charge(today - timedelta(days=5), 10_000)
    data.charge(today + timedelta(days=10), 40_000)  # a sale the sandbox dated ahead
    await data.save(db)

    async with db.session() as session:
        await refresh(session, business)  # the wall clock: tomorrow's sale is ignored
    async with db.session() as session:
        snapshot = await metrics_service.latest_snapshot(session, business.id)
        assert snapshot is not None
        assert snapshot.metrics["revenue_30d"]["value"] == 10_000

    ahead = _advanced_sandbox(settings, days=15)
    async with db.session() as session:
        await refresh(session, business, now=data_now(settings))
    async with db.session() as session:
        snapshot = await metrics_service.latest_snapshot(session, business.id)
        assert snapshot is not None
        assert snapshot.as_of == ahead.date()
        assert snapshot.metrics["revenue_30d"]["value"] == 50_000
        score = await metrics_service.latest_score(session, business.id)
        assert score is not None
        assert score.computed_at.date() == ahead.date()
