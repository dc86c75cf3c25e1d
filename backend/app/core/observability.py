"""Prometheus metrics and error reporting.

Metrics are served on their own port (`METRICS_PORT`, 9100 in the image and in deploy/), not on
the API's: the ingress routes only the API's port, so `/metrics` is never public, and a scrape
neither queues behind admission control nor counts as a request. Prometheus scrapes each pod
directly (deploy/k8s/base/monitoring.yaml; deploy/README.md).

Labels are bounded: a route's template (`/api/v1/users/businesses/{business_id}`), never its path; a
job's registered name; a Stripe resource; a status. No business, user or event id is a label:
"per business" figures are counts of businesses (one gauge value per state, not one series per
business), so 10,000 businesses cost the same handful of series as 10.

Several server processes (`vaultra serve --workers N`) each count on their own. With
`PROMETHEUS_MULTIPROC_DIR` set (an empty, writable directory per pod), they share their values
through files there and whichever process bound the port serves the sum; without it, one process
serves only its own share. The image runs one server process per pod.

Errors go to Sentry when `SENTRY_DSN` is set. `scrub_event` runs before anything is sent: it
drops request bodies, cookies and authorization headers, and masks tokens and email addresses
wherever they appear in the event (messages, exception values, breadcrumbs, local variables).
"""

import asyncio
import contextlib
import logging
import os
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    start_http_server,
)
from prometheus_client.multiprocess import MultiProcessCollector

logger = logging.getLogger("vaultra.observability")

# Request latency, seconds: the API answers most reads within 50 ms; the chat stream and a
# Stripe OAuth exchange take seconds.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Job runs: a readiness refresh takes ~0.1 s, a first Stripe backfill of a large account an hour.
JOB_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 6 * 3600.0)
# Webhook lag, stored -> applied: seconds normally (the job is enqueued at commit); the sweeper
# picks up anything left after a minute.
LAG_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)
UNMATCHED_ROUTE = "<unmatched>"
WEB_ROUTE = "<web>"

REQUEST_LATENCY = Histogram(
    "vaultra_http_request_duration_seconds",
    "API request latency, from the first byte in to the response's end, by route template.",
    ["method", "route", "status"],
    buckets=REQUEST_BUCKETS,
)
JOB_RUNS = Counter(
    "vaultra_job_runs",
    "Job attempts by outcome (succeeded, retrying, failed, cancelled).",
    ["job", "status"],
)
JOB_FAILURES = Counter("vaultra_job_failures", "Job attempts that raised.", ["job"])
JOB_DURATION = Histogram(
    "vaultra_job_duration_seconds", "Job attempt duration.", ["job"], buckets=JOB_BUCKETS
)
WEBHOOK_EVENTS_RECEIVED = Counter(
    "vaultra_webhook_events_received", "Verified Stripe webhook deliveries (duplicates included)."
)
WEBHOOK_EVENTS_DUPLICATE = Counter(
    "vaultra_webhook_events_duplicate", "Deliveries of an event already stored (Stripe retries)."
)
WEBHOOK_LAG = Histogram(
    "vaultra_webhook_processing_lag_seconds",
    "From a webhook event's arrival to its being applied.",
    buckets=LAG_BUCKETS,
)
WEBHOOK_OLDEST_UNPROCESSED = Gauge(
    "vaultra_webhook_oldest_unprocessed_age_seconds",
    "Age of the oldest stored webhook event not yet applied (0: none waiting).",
    multiprocess_mode="max",
)
SYNC_RUNS = Counter(
    "vaultra_sync_runs",
    "Stripe sync runs by outcome (succeeded, failed, stopped, busy, not_connected).",
    ["outcome"],
)
SYNC_OBJECTS = Counter(
    "vaultra_sync_objects", "Stripe objects read by syncs, by resource.", ["resource"]
)
SYNC_ERRORS = Counter(
    "vaultra_sync_errors",
    "Failed Stripe sync runs, by kind (stripe, interrupted, other).",
    ["kind"],
)
SYNC_BUSINESSES = Gauge(
    "vaultra_sync_businesses",
    "Connected businesses by sync state (idle, running, failed...): counts, not ids.",
    ["state"],
    multiprocess_mode="max",
)
SYNC_STALE_BUSINESSES = Gauge(
    "vaultra_sync_stale_businesses",
    "Connected businesses whose last successful sync (or connection) is over an hour old.",
    multiprocess_mode="max",
)
SYNC_OLDEST_SUCCESS_AGE = Gauge(
    "vaultra_sync_oldest_success_age_seconds",
    "Longest time since a connected business's last successful sync (or connection).",
    multiprocess_mode="max",
)


# --- Requests --------------------------------------------------------------------------------

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class RequestMetricsMiddleware:
    """Observes each HTTP request's latency under its route's template.

    The template comes from the route the router matched (`scope["route"]`), so
    `/api/v1/users/businesses/3f…` and every other id share one series. A path no route
    matched is `<web>` when the web app served it (its pages and files, the router's fallback)
    and `<unmatched>` otherwise (a 404, a scanner's probe), so no path becomes a series of its
    own. A mounted app (the Stripe sandbox) counts under its mount path.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            template = route_template(scope)
            if template == UNMATCHED_ROUTE and status < 400:
                template = WEB_ROUTE  # the web app's pages and files (app/core/web.py)
            REQUEST_LATENCY.labels(scope.get("method", "GET"), template, str(status)).observe(
                time.perf_counter() - started
            )


def route_template(scope: Scope) -> str:
    """The matched route's path template, prefixes included.

    FastAPI keeps included routers nested: the route in `scope["route"]` knows only its own path
    (`/users/businesses/{business_id}`), and the full one is on FastAPI's effective route
    context. A mount (the sandbox) leaves its path in `root_path`.
    """
    context = scope.get("fastapi", {}).get("effective_route_context")
    full = getattr(context, "path_format", None) or getattr(context, "path", None)
    if full:
        return str(full)
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    if path is None:
        return UNMATCHED_ROUTE
    return str(scope.get("root_path", "")).rstrip("/") + str(path) if path != "/" else str(path)


# --- Jobs, webhooks, syncs ---------------------------------------------------------------


def observe_job(job: str, status: str, seconds: float) -> None:
    JOB_RUNS.labels(job, status).inc()
    JOB_DURATION.labels(job).observe(seconds)
    if status in ("retrying", "failed"):
        JOB_FAILURES.labels(job).inc()


def observe_webhook_delivery(*, stored: bool) -> None:
    WEBHOOK_EVENTS_RECEIVED.inc()
    if not stored:
        WEBHOOK_EVENTS_DUPLICATE.inc()


def observe_webhook_lag(seconds: float) -> None:
    WEBHOOK_LAG.observe(max(seconds, 0.0))


def observe_sync(outcome: str, *, error_kind: str | None = None) -> None:
    SYNC_RUNS.labels(outcome).inc()
    if error_kind is not None:
        SYNC_ERRORS.labels(error_kind).inc()


def observe_sync_objects(resource: str, count: int) -> None:
    SYNC_OBJECTS.labels(resource).inc(count)


@dataclass(frozen=True)
class OperationalState:
    """What the gauges show, read from the database by `app.stripe.service.operational_state`."""

    oldest_unprocessed_event_seconds: float
    businesses_by_sync_state: dict[str, int]
    stale_businesses: int
    oldest_success_age_seconds: float


_SEEN_SYNC_STATES: set[str] = set()


def set_operational_state(state: OperationalState) -> None:
    WEBHOOK_OLDEST_UNPROCESSED.set(state.oldest_unprocessed_event_seconds)
    for name in _SEEN_SYNC_STATES - set(state.businesses_by_sync_state):
        SYNC_BUSINESSES.labels(name).set(0)
    for name, count in state.businesses_by_sync_state.items():
        _SEEN_SYNC_STATES.add(name)
        SYNC_BUSINESSES.labels(name).set(count)
    SYNC_STALE_BUSINESSES.set(state.stale_businesses)
    SYNC_OLDEST_SUCCESS_AGE.set(state.oldest_success_age_seconds)


async def refresh_periodically(
    read: Callable[[], Awaitable[OperationalState]], interval_seconds: float
) -> None:
    """Refresh the database-derived gauges every `interval_seconds` until cancelled. A failed
    read (the database restarting) leaves the last values and is tried again next time."""
    while True:
        try:
            set_operational_state(await read())
        except Exception:
            logger.warning("could not refresh the operational gauges", exc_info=True)
        await asyncio.sleep(interval_seconds)


# --- The metrics server -------------------------------------------------------------------


class MetricsServer:
    """The exposition endpoint (`GET /metrics` on any path), on its own thread and port."""

    def __init__(self, port: int, host: str = "0.0.0.0") -> None:  # noqa: S104
        # Bound to all interfaces: Prometheus scrapes the pod's address. The NetworkPolicy
        # (deploy/k8s/base/network-policy.yaml) admits only the monitoring namespace to it.
        registry = _registry()
        self._server, self._thread = start_http_server(port, host, registry=registry)
        self.port: int = self._server.server_port

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _registry() -> Any:
    """This process's metrics, or with PROMETHEUS_MULTIPROC_DIR every server process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


@contextlib.contextmanager
def metrics_server(port: int | None, host: str = "0.0.0.0") -> Iterator[MetricsServer | None]:  # noqa: S104
    """Serve the metrics while the block runs; None (nothing served) when `port` is unset, or
    when another process on this pod already holds the port (`--workers N`: that one serves)."""
    if port is None:
        yield None
        return
    try:
        server = MetricsServer(port, host)
    except OSError as error:
        # Most often another server process of this pod bound it first and serves them.
        logger.warning("metrics port unavailable", extra={"port": port, "error": str(error)})
        yield None
        return
    logger.info("metrics served", extra={"port": server.port})
    try:
        yield server
    finally:
        server.close()


@contextlib.asynccontextmanager
async def serve_metrics(
    port: int | None,
    read_state: Callable[[], Awaitable[OperationalState]],
    *,
    refresh_seconds: float,
) -> AsyncIterator[MetricsServer | None]:
    """The metrics server plus the loop that keeps its database-derived gauges fresh; neither
    runs when this process serves no metrics."""
    with metrics_server(port) as server:
        refresh: asyncio.Task[None] | None = None
        if server is not None:
            refresh = asyncio.create_task(refresh_periodically(read_state, refresh_seconds))
        try:
            yield server
        finally:
            if refresh is not None:
                refresh.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await refresh


# --- Error reporting ------------------------------------------------------------------------

REDACTED = "[redacted]"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_TOKEN = re.compile(
    r"\b(?:sk|rk|pk)_(?:live|test)_\w+|\bwhsec_\w+|\bvtr_pat_[\w-]+|\bac_\w{8,}"
    r"|(?i:bearer)\s+[\w.~+/=-]+|\beyJ[\w-]+\.[\w-]+\.[\w-]*"
    r"|(?<=://)[^/\s@:]+:[^/\s@]+(?=@)"
)
_SENSITIVE_KEY = re.compile(
    r"pass|secret|token|authorization|cookie|api_?key|session|signature|email|dsn|^code$",
    re.IGNORECASE,
)


def scrub_event(event: dict[str, Any], _hint: Any = None) -> dict[str, Any]:
    """Sentry's `before_send`: what Vaultra lets leave the process.

    - the request keeps its method, URL (query string dropped) and harmless headers; its body,
      cookies, query string and Authorization/Cookie/Stripe-Signature headers go;
    - the user is reduced to an id (no email, IP or username);
    - every string elsewhere (messages, exception values, breadcrumbs, local variables) has
      tokens (Stripe keys, webhook secrets, JWTs, access tokens, OAuth codes, URL passwords)
      and email addresses masked, and values under a sensitive key (password, token, email...)
      replaced outright.
    """
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "query_string", "env"):
            request.pop(key, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                name: REDACTED if _SENSITIVE_KEY.search(name) else _scrub_value(value)
                for name, value in headers.items()
            }
        if isinstance(request.get("url"), str):
            request["url"] = _scrub_value(request["url"].split("?", 1)[0])
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    for key in list(event):
        if key not in ("request", "user"):
            event[key] = _scrub(event[key])
    return event


def _scrub(value: Any, key: str | None = None) -> Any:
    if key is not None and _SENSITIVE_KEY.search(key) and isinstance(value, str | bytes):
        return REDACTED
    if isinstance(value, dict):
        return {name: _scrub(item, str(name)) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    return _scrub_value(value)


def _scrub_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return REDACTED
    if isinstance(value, str):
        return _EMAIL.sub(REDACTED, _TOKEN.sub(REDACTED, value))
    return value


def init_error_reporting(dsn: str | None, *, environment: str, release: str | None) -> bool:
    """Start Sentry when a DSN is configured; True when it was started."""
    if not dsn:
        return False
    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        # Request bodies are never attached (and scrub_event drops any that were).
        max_request_body_size="never",
        include_local_variables=True,
        before_send=scrub_event,  # type: ignore[arg-type]
        before_send_transaction=scrub_event,  # type: ignore[arg-type]
        traces_sample_rate=0.0,
    )
    return True
