"""The effective Stripe configuration: real Stripe, or the built-in sandbox in development.

Every code path (the app, the jobs, the CLI) derives its Stripe settings here, so they agree on
where Stripe is and which keys to use.
"""

import contextlib
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI

from app.core.config import AppEnv, Settings

if TYPE_CHECKING:
    from stripe_sandbox.config import SandboxConfig

SANDBOX_PATH = "/stripe-sandbox"
WEBHOOK_PATH = "/api/v1/webhooks/stripe"
CALLBACK_PATH = "/api/v1/integrations/stripe/callback"


@dataclass(frozen=True)
class StripeConfig:
    secret_key: str
    client_id: str
    webhook_secrets: tuple[str, ...]
    api_base: str
    connect_base: str
    # The browser-facing base of the Connect authorize page (connect_base unless configured).
    authorize_base: str
    redirect_uri: str
    max_rps: float
    backfill_days: int | None
    refresh_days: int
    # How long a sync stays claimed once its process died (JOBS_LEASE_SECONDS).
    sync_lease: timedelta
    # Set when Vaultra talks to its own sandbox (mounted at SANDBOX_PATH).
    sandbox: "SandboxConfig | None" = None


def uses_sandbox(settings: Settings) -> bool:
    """No Stripe key outside production: run against the sandbox. Never in production."""
    if settings.app_env == AppEnv.production:
        return False
    key = settings.stripe_secret_key
    return key is None or not key.get_secret_value().strip()


def sandbox_config(settings: Settings) -> "SandboxConfig":
    """The sandbox Vaultra mounts in development: its file lives in the data folder."""
    from stripe_sandbox.config import SandboxConfig

    base = settings.app_base_url.rstrip("/")
    return SandboxConfig(
        db_path=str(settings.data_dir / "stripe_sandbox.db"),
        webhook_url=base + WEBHOOK_PATH,
        redirect_uris=(base + CALLBACK_PATH,),
    )


def data_now(settings: Settings) -> datetime:
    """The app's "today" for business data (metrics windows, scores, history defaults).

    In production, the wall clock. With the built-in sandbox (development, tests), the later
    of the wall clock and the sandbox clock: after `vaultra sandbox advance --days 30` the
    merchants' new sales are dated up to 30 days ahead, and a wall-clock "today" would leave
    them out of every window (calculations ignore activity after the snapshot's day), so the
    score would not move.
    """
    wall = datetime.now(UTC)
    if not uses_sandbox(settings):
        return wall
    clock = sandbox_clock(Path(sandbox_config(settings).db_path))
    return wall if clock is None else max(wall, clock)


def sandbox_clock(path: Path) -> datetime | None:
    """The sandbox file's clock, read-only; None when there is no readable sandbox yet."""
    if not path.is_file():
        return None
    with contextlib.suppress(sqlite3.Error, TypeError, ValueError):
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'now'").fetchone()
        finally:
            conn.close()
        if row is not None:
            return datetime.fromtimestamp(int(row[0]), UTC)
    return None


def stripe_config(settings: Settings) -> StripeConfig:
    base = settings.app_base_url.rstrip("/")
    sandbox = sandbox_config(settings) if uses_sandbox(settings) else None
    if sandbox is not None:
        secret_key, client_id = sandbox.secret_key, sandbox.client_id
        webhook_secrets: tuple[str, ...] = (sandbox.webhook_secret,)
        api_base = connect_base = authorize_base = base + SANDBOX_PATH
    else:
        secret = settings.stripe_secret_key
        secret_key = secret.get_secret_value() if secret else ""
        client_id = settings.stripe_connect_client_id or ""
        webhook_secrets = tuple(settings.webhook_secrets())
        api_base = settings.stripe_api_base.rstrip("/")
        connect_base = settings.stripe_connect_base.rstrip("/")
        authorize_base = (settings.stripe_connect_authorize_base or connect_base).rstrip("/")
    return StripeConfig(
        secret_key=secret_key,
        client_id=client_id,
        webhook_secrets=webhook_secrets,
        api_base=api_base,
        connect_base=connect_base,
        authorize_base=authorize_base,
        redirect_uri=base + CALLBACK_PATH,
        max_rps=settings.stripe_max_rps,
        backfill_days=settings.stripe_backfill_days,
        refresh_days=settings.stripe_refresh_days,
        sync_lease=timedelta(seconds=settings.jobs_lease_seconds),
        sandbox=sandbox,
    )


def mount_sandbox(app: FastAPI, sandbox: "SandboxConfig") -> None:
    """Serve the sandbox inside the app, so a fresh checkout connects Stripe with no account."""
    from stripe_sandbox import create_app

    Path(sandbox.db_path).parent.mkdir(parents=True, exist_ok=True)
    app.mount(SANDBOX_PATH, create_app(sandbox))
