"""`vaultra worker` and `vaultra jobs ...`.

Only typer is imported at the top (app/cli.py says why); the job registry is imported by the
commands, and by `jobs run --help` to list the jobs.
"""

import uuid
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperCommand

if TYPE_CHECKING:
    from app.core.config import Settings
    from app.jobs.registry import JobSpec

jobs_cli = typer.Typer(help="Background jobs.", no_args_is_help=True)


def worker(
    check: bool = typer.Option(
        False,
        "--check",
        help="Exit 0 if this host's worker refreshed its health key in the last 30 s, else 1 "
        "(the liveness probe).",
    ),
) -> None:
    """Run the ARQ worker: every job, and the schedule (needs REDIS_URL)."""
    from app.core.config import get_settings
    from app.core.logging import configure_app_logging
    from app.jobs.worker import run_worker

    settings = get_settings()
    if check:
        import asyncio

        from app.jobs.worker import check_health

        raise typer.Exit(0 if asyncio.run(check_health(settings)) else 1)
    configure_app_logging(settings)
    if not settings.redis_url:
        typer.echo("REDIS_URL is not set; without it `vaultra serve` runs the jobs.", err=True)
        raise typer.Exit(2)
    run_worker(settings)


def job_summaries() -> dict[str, str]:
    """Each registered job's name and the first line of its docstring, by name."""
    from app.jobs import tasks as _registered_jobs  # noqa: F401
    from app.jobs.registry import JOBS

    return {
        name: ((spec.function.__doc__ or "").strip().splitlines() or [""])[0]
        for name, spec in sorted(JOBS.items())
    }


class _ListsJobs(TyperCommand):
    """`jobs run --help` ends with the registered jobs; importing them is left to that moment."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        if not self.epilog:
            # Rich markup mode joins single newlines; a blank line keeps each job on its own.
            self.epilog = "Jobs:\n\n" + "\n\n".join(
                f"{name}: {summary}" for name, summary in job_summaries().items()
            )
        super().format_help(ctx, formatter)


@jobs_cli.command("run", cls=_ListsJobs)
def run(
    name: str = typer.Argument(..., help="The job's registered name (listed below)."),
    business_id: uuid.UUID | None = typer.Option(None, help="Only this business."),
) -> None:
    """Run a job once, in this process, and print the outcome."""
    import asyncio
    import inspect
    import time

    from app.core.config import get_settings
    from app.core.logging import configure_app_logging
    from app.jobs import tasks as _registered_jobs  # noqa: F401
    from app.jobs.registry import UnknownJob, get_job
    from app.jobs.runs import describe_error

    settings = get_settings()
    configure_app_logging(settings)
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


async def _run_once(settings: "Settings", spec: "JobSpec", kwargs: dict[str, Any]) -> Any:
    from app.jobs.arq_queue import ArqQueue
    from app.jobs.inprocess import InProcessQueue
    from app.jobs.queue import set_queue
    from app.jobs.runs import job_context, run_attempt

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
