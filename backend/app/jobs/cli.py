"""`vaultra worker` and `vaultra jobs ...`."""

import asyncio
import inspect
import time
import uuid
from typing import Any

import typer

from app.core.config import Settings, get_settings
from app.core.logging import configure_logging
from app.jobs import tasks as _registered_jobs  # noqa: F401
from app.jobs.arq_queue import ArqQueue
from app.jobs.inprocess import InProcessQueue
from app.jobs.queue import set_queue
from app.jobs.registry import JobSpec, UnknownJob, get_job
from app.jobs.runs import describe_error, job_context, run_attempt
from app.jobs.worker import run_worker

jobs_cli = typer.Typer(help="Background jobs.", no_args_is_help=True)


def worker() -> None:
    """Run the ARQ worker: every job, and the schedule (needs REDIS_URL)."""
    settings = get_settings()
    configure_logging(settings.log_level)
    if not settings.redis_url:
        typer.echo("REDIS_URL is not set; without it `vaultra serve` runs the jobs.", err=True)
        raise typer.Exit(2)
    run_worker(settings)


@jobs_cli.command("run")
def run(
    name: str = typer.Argument(..., help="The job's registered name."),
    business_id: uuid.UUID | None = typer.Option(None, help="Only this business."),
) -> None:
    """Run a job once, in this process, and print the outcome."""
    settings = get_settings()
    configure_logging(settings.log_level)
    try:
        spec = get_job(name)
    except UnknownJob as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(2) from None
    kwargs: dict[str, Any] = {}
    if business_id is not None:
        if "business_id" not in inspect.signature(spec.function).parameters:
            typer.echo(f"job {name!r} does not take a business id", err=True)
            raise typer.Exit(2)
        kwargs["business_id"] = business_id
    started = time.monotonic()
    try:
        result = asyncio.run(_run_once(settings, spec, kwargs))
    except Exception as exc:
        typer.echo(f"{name} failed: {describe_error(exc, settings)}", err=True)
        raise typer.Exit(1) from None
    elapsed = round((time.monotonic() - started) * 1000)
    suffix = "" if result is None else f": {result}"
    typer.echo(f"{name} succeeded in {elapsed} ms{suffix}")


async def _run_once(settings: Settings, spec: JobSpec, kwargs: dict[str, Any]) -> Any:
    async with job_context(settings) as context:
        # Follow-ups the job enqueues go to the worker, or run here before the command exits.
        queue = (
            ArqQueue.from_url(settings.redis_url, settings.jobs_queue_name)
            if settings.redis_url
            else InProcessQueue(context)
        )
        set_queue(queue)
        try:
            result = await run_attempt(context, spec, kwargs, job_key=None, attempt=1, final=True)
            if isinstance(queue, InProcessQueue):
                await queue.join(limit_seconds=spec.timeout_seconds)
            return result
        finally:
            await queue.close()
