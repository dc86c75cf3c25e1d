"""`vaultra stripe ...` and `vaultra sandbox ...` (wired into app/cli.py).

Only typer is imported at the top (app/cli.py says why): the commands import the rest.
"""

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from app.core.config import Settings
    from app.stripe.sync import SyncResult
    from stripe_sandbox.config import SandboxConfig

stripe_cli = typer.Typer(help="Stripe data.", no_args_is_help=True)
sandbox_cli = typer.Typer(help="The local Stripe sandbox (development).", no_args_is_help=True)

SANDBOX_PORT = 12111


@stripe_cli.command("sync")
def sync_command(
    business_id: uuid.UUID = typer.Option(..., "--business-id", help="The business to sync."),
    full: bool = typer.Option(False, "--full", help="Re-read the whole history."),
) -> None:
    """Sync one business's connected Stripe account now (resumes an interrupted pass)."""
    import asyncio
    import time

    from app.core.config import get_settings

    started = time.perf_counter()
    result, counts = asyncio.run(_sync(get_settings(), business_id, full=full))
    seconds = time.perf_counter() - started
    typer.echo(
        f"sync {result.state}: {result.objects} objects in {result.pages} pages, {seconds:.1f} s"
    )
    for table, count in counts.items():
        typer.echo(f"  {table}: {count}")
    if result.state != "succeeded":
        raise typer.Exit(code=1)


async def _sync(
    settings: "Settings", business_id: uuid.UUID, *, full: bool
) -> tuple["SyncResult", dict[str, int]]:
    from app.core.db import Database
    from app.stripe import service, sync
    from app.stripe.config import stripe_config

    db = Database.from_settings(settings)
    try:
        result = await sync.sync_business(db, stripe_config(settings), business_id, full=full)
        async with db.session() as session:
            counts = await service.count_rows(session, business_id)
    finally:
        await db.dispose()
    return result, counts


@sandbox_cli.command("serve")
def sandbox_serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(SANDBOX_PORT, help="Port."),
    rate_limit: float | None = typer.Option(None, help="Requests/s per API key (default: none)."),
    latency_ms: int = typer.Option(0, help="Added to every response."),
    error_status: int | None = typer.Option(
        None, help="An error storm: API requests answered 429 or 5xx (default: none)."
    ),
    error_burst: int = typer.Option(3, help="Storm: requests failed in a row..."),
    error_period: int = typer.Option(10, help="...out of every this many."),
    size: int | None = typer.Option(None, help="Charges per merchant (default: each one's own)."),
    db_path: str | None = typer.Option(None, "--db", help="Sandbox file (default: data folder)."),
) -> None:
    """Serve the sandbox on its own port (the app mounts one itself without STRIPE_SECRET_KEY)."""
    import dataclasses

    from app.core.config import get_settings
    from app.stripe.config import sandbox_config
    from stripe_sandbox.cli import serve

    changes: dict[str, Any] = {
        "rate_limit": rate_limit,
        "latency_ms": latency_ms,
        "error_status": error_status,
        "error_burst": error_burst,
        "error_period": error_period,
        "size": size,
    }
    if db_path:
        changes["db_path"] = db_path
    config = _ready(dataclasses.replace(sandbox_config(get_settings()), **changes))
    base = f"http://{host}:{port}"
    typer.echo(
        "Point Vaultra at it with:\n"
        f"  STRIPE_API_BASE={base} STRIPE_CONNECT_BASE={base}\n"
        f"  STRIPE_SECRET_KEY={config.secret_key} STRIPE_CONNECT_CLIENT_ID={config.client_id}\n"
        f"  STRIPE_WEBHOOK_SECRET={config.webhook_secret}\n"
        f"Webhooks go to {config.webhook_url}"
    )
    serve(config, host=host, port=port)


@sandbox_cli.command("advance")
def sandbox_advance(
    days: float = typer.Option(..., "--days", help="How far to move the sandbox clock."),
    size: int | None = typer.Option(None, help="As given to `sandbox serve`."),
    db_path: str | None = typer.Option(None, "--db", help="Sandbox file (default: data folder)."),
    webhook_url: str | None = typer.Option(
        None, help="Where events go (default: APP_BASE_URL/api/v1/webhooks/stripe)."
    ),
) -> None:
    """Move the sandbox clock: connected merchants sell, refund, get disputed and paid out, and
    the events are delivered to the running app's webhook."""
    import dataclasses

    from app.core.config import get_settings
    from app.stripe.config import sandbox_config
    from stripe_sandbox.cli import advance_clock

    changes: dict[str, Any] = {"size": size}
    if db_path:
        changes["db_path"] = db_path
    if webhook_url:
        changes["webhook_url"] = webhook_url
    config = _ready(dataclasses.replace(sandbox_config(get_settings()), **changes))
    result = advance_clock(config, days)
    created = ", ".join(f"{count} {kind}" for kind, count in sorted(result.objects_created.items()))
    typer.echo(f"sandbox clock at {result.now.isoformat()}; created {created or 'nothing'}")
    typer.echo(
        f"events: {result.events_created}, delivered {result.delivered}, failed {result.failed}"
    )


@sandbox_cli.command("dispute")
def sandbox_dispute(
    merchant: str = typer.Option(..., "--merchant", help="Sample merchant key, e.g. healthy_saas."),
    count: int = typer.Option(1, "--count", min=1, max=100, help="Disputes to open (1-100)."),
    last_month: bool = typer.Option(
        False, "--last-month", help="Date them in the last complete month, which the alerts count."
    ),
    size: int | None = typer.Option(None, help="As given to `sandbox serve`."),
    db_path: str | None = typer.Option(None, "--db", help="Sandbox file (default: data folder)."),
    webhook_url: str | None = typer.Option(
        None, help="Where events go (default: APP_BASE_URL/api/v1/webhooks/stripe)."
    ),
) -> None:
    """Open disputes on a sample merchant's latest charges, at the sandbox clock, and deliver
    the charge.dispute.created events to the running app's webhook (to try the dispute alert)."""
    import dataclasses

    from app.core.config import get_settings
    from app.stripe.config import sandbox_config
    from stripe_sandbox.cli import open_disputes
    from stripe_sandbox.clock import DisputeRefused

    changes: dict[str, Any] = {"size": size}
    if db_path:
        changes["db_path"] = db_path
    if webhook_url:
        changes["webhook_url"] = webhook_url
    config = _ready(dataclasses.replace(sandbox_config(get_settings()), **changes))
    try:
        result = open_disputes(config, merchant, count, last_month)
    except DisputeRefused as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(
        f"opened {len(result.disputes)} dispute(s) on {merchant} at {result.at.isoformat()}"
        + (
            f" (only {len(result.disputes)} undisputed charges left)"
            if len(result.disputes) < count
            else ""
        )
    )
    if not result.connected:
        typer.echo(f"events: {result.events_created}, none delivered ({merchant} is not connected)")
    else:
        typer.echo(
            f"events: {result.events_created}, delivered {result.delivered}, failed {result.failed}"
        )


def _ready(config: "SandboxConfig") -> "SandboxConfig":
    Path(config.db_path).parent.mkdir(parents=True, exist_ok=True)
    return config
