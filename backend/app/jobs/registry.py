"""Job definitions: plain, idempotent async functions that take ids.

Modules declare their jobs in their own `tasks.py` with `@job(...)`; `app.jobs.tasks` imports
them all so the worker and the in-process runner see the same registry.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from app.core.config import Settings
from app.core.db import Database
from app.core.errors import NotFound


@dataclass
class JobContext:
    """What a job gets besides its arguments."""

    db: Database
    settings: Settings
    http: httpx.AsyncClient
    attempt: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


JobFunction = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class JobSpec:
    name: str
    function: JobFunction
    max_tries: int = 3
    timeout_seconds: int = 30 * 60
    # A keyed enqueue waits this long before running, so a burst of enqueues makes one run.
    debounce_seconds: float = 0.0


JOBS: dict[str, JobSpec] = {}


class UnknownJob(NotFound):
    code = "unknown_job"

    def __init__(self, name: str) -> None:
        names = ", ".join(sorted(JOBS)) or "none"
        super().__init__(f"unknown job {name!r}; registered jobs: {names}")


def get_job(name: str) -> JobSpec:
    try:
        return JOBS[name]
    except KeyError:
        raise UnknownJob(name) from None


def job(
    name: str,
    *,
    max_tries: int = 3,
    timeout_seconds: int = 30 * 60,
    debounce_seconds: float = 0.0,
) -> Callable[[JobFunction], JobFunction]:
    def register(function: JobFunction) -> JobFunction:
        if name in JOBS and JOBS[name].function is not function:
            raise ValueError(f"job {name!r} is registered twice")
        JOBS[name] = JobSpec(name, function, max_tries, timeout_seconds, debounce_seconds)
        return function

    return register
