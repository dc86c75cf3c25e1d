"""The `vaultra` command line.

`vaultra --help` answers in well under half a second (against 2-5 s when it imported the whole
app): this module and the command groups it wires in import only typer at the top, and each
command imports the app, the database and the SDKs it needs when it runs.
tests/core/test_cli.py checks that `--help` loads neither FastAPI nor an SDK.
"""

from pathlib import Path

import typer

from app.agent.cli import kb_cli, mcp
from app.jobs.cli import jobs_cli, worker
from app.notifications.cli import mail_cli
from app.stripe.cli import sandbox_cli, stripe_cli

# The standard library's loop, not uvloop: when a worker is saturated, uvloop serves some
# connections again and again while others wait (at 64 connections, p99 1.5 s against 0.46 s with
# asyncio at the same throughput; bench/README.md, API latency).
EVENT_LOOP = "asyncio"
# What servers start: a factory, so that importing app.main builds nothing.
APP_FACTORY = "app.main:serve_app"

cli = typer.Typer(help="Vaultra: funding readiness for Stripe businesses.", no_args_is_help=True)
db_cli = typer.Typer(help="Database migrations.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(jobs_cli, name="jobs")
cli.add_typer(stripe_cli, name="stripe")
cli.add_typer(sandbox_cli, name="sandbox")
cli.command()(worker)
cli.add_typer(kb_cli, name="kb")
cli.add_typer(mail_cli, name="mail")
cli.command()(mcp)


@cli.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int | None = typer.Option(None, help="Port (default: $PORT or 8000; 0: any free one)."),
    workers: int = typer.Option(1, help="Worker processes."),
    reload: bool = typer.Option(False, help="Reload on code changes (development)."),
) -> None:
    """Serve the web app and the API (under /api/v1). X-Forwarded-* is read only from
    FORWARDED_ALLOW_IPS. Without APP_BASE_URL, the app's links, Stripe's OAuth redirect and the
    sandbox's webhooks use the address actually bound."""
    import logging
    import os

    import uvicorn
    from uvicorn.supervisors import ChangeReload, Multiprocess

    from app.core.config import BOUND_URL_VARIABLE, bound_url, get_settings
    from app.core.logging import configure_app_logging

    settings = get_settings()
    configure_app_logging(settings)
    config = uvicorn.Config(
        APP_FACTORY,
        factory=True,
        host=host,
        port=settings.port if port is None else port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        # From the validated settings: production refuses "*" and anything not an address.
        forwarded_allow_ips=settings.forwarded_allow_ips,
        loop=EVENT_LOOP,
        log_config=None,
    )
    # Bound here, before the app is built, so that the app knows its own address (PORT=0 too).
    # The workers (and a reload's children) inherit the socket and the environment.
    # uvicorn's "running on" line is left out: the one below says it, with the docs.
    # (A bind error is still logged.)
    uvicorn_log = logging.getLogger("uvicorn.error")
    running_on = _Dropping("Uvicorn running on")
    uvicorn_log.addFilter(running_on)
    try:
        sock = config.bind_socket()
    finally:
        uvicorn_log.removeFilter(running_on)
    os.environ[BOUND_URL_VARIABLE] = bound_url(host, sock.getsockname()[1])
    get_settings.cache_clear()
    base = get_settings().app_base_url.rstrip("/")
    logging.getLogger("vaultra").info(
        f"Vaultra is running at {base}/ (API docs: {base}/api/v1/docs)"
    )
    server = uvicorn.Server(config)
    try:
        if config.should_reload:
            ChangeReload(config, target=server.run, sockets=[sock]).run()
        elif config.workers > 1:
            Multiprocess(config, sockets=[sock]).run()
        else:
            server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    if not server.started and not config.should_reload and config.workers == 1:
        raise typer.Exit(3)


class _Dropping:
    """A logging filter that drops the records whose message starts with `prefix`."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def filter(self, record: object) -> bool:
        return not str(getattr(record, "msg", "")).startswith(self.prefix)


@cli.command()
def openapi(
    output: Path = typer.Option(Path("-"), "--output", "-o", help="File to write (- = stdout)."),
) -> None:
    """Print the API's OpenAPI document, from which the web app's typed client is generated."""
    import json
    import sys

    from app.core.config import AppEnv, Settings
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
    from app.core import migrations
    from app.core.config import get_settings

    settings = get_settings()
    migrations.upgrade(settings.database_url, revision)
    typer.echo(f"database at {revision}")


def main() -> None:
    cli()
