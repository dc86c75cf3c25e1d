"""The `vaultra` command line."""

import json
import sys
from pathlib import Path

import typer
import uvicorn

from app.agent.cli import kb_cli, mcp
from app.core import migrations
from app.core.config import AppEnv, Settings, get_settings
from app.jobs.cli import jobs_cli, worker
from app.stripe.cli import sandbox_cli, stripe_cli

# The standard library's loop, not uvloop: when a worker is saturated, uvloop serves some
# connections again and again while others wait (at 64 connections, p99 1.5 s against 0.46 s with
# asyncio at the same throughput; bench/README.md, API latency).
EVENT_LOOP = "asyncio"

cli = typer.Typer(help="Vaultra: funding readiness for Stripe businesses.", no_args_is_help=True)
db_cli = typer.Typer(help="Database migrations.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(jobs_cli, name="jobs")
cli.add_typer(stripe_cli, name="stripe")
cli.add_typer(sandbox_cli, name="sandbox")
cli.command()(worker)
cli.add_typer(kb_cli, name="kb")
cli.command()(mcp)


@cli.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int | None = typer.Option(None, help="Port (default: $PORT or 8000)."),
    workers: int = typer.Option(1, help="Worker processes."),
    reload: bool = typer.Option(False, help="Reload on code changes (development)."),
) -> None:
    """Serve the API (under /api/v1). X-Forwarded-* is read only from FORWARDED_ALLOW_IPS."""
    settings = get_settings()
    uvicorn.run(
        "app.main:app",
        host=host,
        port=port or settings.port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        # From the validated settings: production refuses "*" and anything not an address.
        forwarded_allow_ips=settings.forwarded_allow_ips,
        loop=EVENT_LOOP,
        log_config=None,
    )


@cli.command()
def openapi(
    output: Path = typer.Option(Path("-"), "--output", "-o", help="File to write (- = stdout)."),
) -> None:
    """Print the API's OpenAPI document, from which the web app's typed client is generated."""
    from app.main import create_app

    settings = Settings(_env_file=None, app_env=AppEnv.test)  # type: ignore[call-arg]
    text = json.dumps(create_app(settings).openapi(), indent=2, sort_keys=True) + "\n"
    if str(output) == "-":
        sys.stdout.write(text)
    else:
        output.write_text(text)


@db_cli.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION (default: head)."""
    settings = get_settings()
    migrations.upgrade(settings.database_url, revision)
    typer.echo(f"database at {revision}")


def main() -> None:
    cli()
