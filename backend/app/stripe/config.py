"""The effective Stripe configuration: real Stripe, or the built-in sandbox in development.

Every code path (the app, the jobs, the CLI) derives its Stripe settings here, so they agree on
where Stripe is and which keys to use.
"""

from dataclasses import dataclass
from datetime import timedelta
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


def stripe_config(settings: Settings) -> StripeConfig:
    base = settings.app_base_url.rstrip("/")
    sandbox = sandbox_config(settings) if uses_sandbox(settings) else None
    if sandbox is not None:
        secret_key, client_id = sandbox.secret_key, sandbox.client_id
        webhook_secrets: tuple[str, ...] = (sandbox.webhook_secret,)
        api_base = connect_base = base + SANDBOX_PATH
    else:
        secret = settings.stripe_secret_key
        secret_key = secret.get_secret_value() if secret else ""
        client_id = settings.stripe_connect_client_id or ""
        webhook_secrets = tuple(settings.webhook_secrets())
        api_base = settings.stripe_api_base.rstrip("/")
        connect_base = settings.stripe_connect_base.rstrip("/")
    return StripeConfig(
        secret_key=secret_key,
        client_id=client_id,
        webhook_secrets=webhook_secrets,
        api_base=api_base,
        connect_base=connect_base,
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
