"""The Vaultra FastAPI application.

Importing this module builds nothing: `create_app(settings)` makes an app, and `serve_app` is
the factory servers start (`vaultra serve`, or `uvicorn app.main:serve_app --factory`).
"""

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.routing import Route

from app.agent.mcp_server import build_mcp_server, run_session_manager, streamable_http_app
from app.agent.router import router as agent_router
from app.agent.runtime import AgentRuntime
from app.auth.router import router as auth_router
from app.auth.users_router import router as users_router
from app.core.config import AppEnv, Settings, get_settings
from app.core.db import Database
from app.core.devpages import router as dev_pages_router
from app.core.docs import install_docs
from app.core.errors import document_errors, install_error_handlers
from app.core.health import router as health_router
from app.core.logging import configure_app_logging
from app.core.middleware import (
    AdmissionMiddleware,
    BodyLimitMiddleware,
    RequestContextMiddleware,
)
from app.core.observability import RequestMetricsMiddleware, init_error_reporting, serve_metrics
from app.core.redis import create_redis
from app.core.web import install_web, web_build
from app.jobs import tasks as _registered_jobs  # noqa: F401
from app.jobs.arq_queue import ArqQueue
from app.jobs.inprocess import InProcessQueue
from app.jobs.queue import set_queue
from app.jobs.registry import JobContext
from app.jobs.schedule import Scheduler
from app.metrics.router import router as metrics_router
from app.notifications.router import dev_page_router as mailbox_page_router
from app.notifications.router import dev_router as notifications_dev_router
from app.notifications.router import router as notifications_router
from app.recommendations.router import router as recommendations_router
from app.reports.router import pages as report_pages
from app.reports.router import router as reports_router
from app.stripe.config import SANDBOX_PATH, mount_sandbox, stripe_config
from app.stripe.monitoring import read_operational_state
from app.stripe.router import router as stripe_router
from app.stripe.router import webhook_router as stripe_webhook_router
from app.stripe.webhooks import WebhookInbox
from app.teams.router import router as teams_router

API_PREFIX = "/api/v1"
logger = logging.getLogger("vaultra")


# Included one by one, not under a parent router: FastAPI matches nested routers level by level
# on every request. The webhook receiver, the busiest route, is matched first.
API_ROUTERS: tuple[APIRouter, ...] = (
    stripe_webhook_router,
    auth_router,
    users_router,
    teams_router,
    metrics_router,
    recommendations_router,
    agent_router,
    stripe_router,
    reports_router,
    notifications_router,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_app_logging(settings)
    mcp_server = build_mcp_server(lambda: app.state.agent, settings)
    mcp_app = streamable_http_app(mcp_server, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.db = Database.from_settings(settings)
        app.state.webhook_inbox = WebhookInbox(app.state.db)
        app.state.redis = create_redis(settings.redis_url) if settings.redis_url else None
        app.state.http = httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0))
        scheduler: Scheduler | None = None
        if settings.redis_url:
            # `vaultra worker` runs the jobs and the schedule; the API only enqueues.
            app.state.queue = ArqQueue.from_url(settings.redis_url, settings.jobs_queue_name)
        else:
            app.state.queue = InProcessQueue(
                JobContext(db=app.state.db, settings=settings, http=app.state.http)
            )
            if settings.jobs_scheduler_enabled:
                scheduler = Scheduler(app.state.queue)
                scheduler.start()
        set_queue(app.state.queue)
        app.state.agent = AgentRuntime(settings, app.state.db)
        knowledge: asyncio.Task[None] | None = None
        if settings.app_env == AppEnv.development and settings.kb_auto_ingest:
            # In the background: startup does not wait for chunking (or embedding).
            knowledge = asyncio.create_task(app.state.agent.ingest_if_empty())
        logger.info("started", extra={"env": settings.app_env, "db": app.state.db.dialect})
        try:
            async with (
                serve_metrics(
                    settings.metrics_port,
                    lambda: read_operational_state(app.state.db),
                    refresh_seconds=settings.metrics_refresh_seconds,
                ),
                run_session_manager(mcp_server),
            ):
                yield
        finally:
            if knowledge is not None:
                knowledge.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await knowledge
            await app.state.webhook_inbox.close()
            await app.state.agent.close()
            if scheduler is not None:
                await scheduler.stop()
            await app.state.queue.close()
            await app.state.http.aclose()
            if app.state.redis is not None:
                await app.state.redis.aclose()
            await app.state.db.dispose()

    app = FastAPI(
        title="Vaultra API",
        version="0.1.0",
        description="Funding readiness for businesses that sell through Stripe.",
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        # FastAPI's own pages load Swagger UI and ReDoc from a CDN: install_docs serves it.
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=_operation_id,
    )
    app.state.settings = settings
    install_error_handlers(app)
    install_docs(app, f"{API_PREFIX}/docs", f"{API_PREFIX}/openapi.json")
    app.include_router(health_router)
    web = web_build(settings.frontend_dist)
    if (
        web is None
        and settings.app_env != AppEnv.production
        and _same_origin(settings.frontend_url, settings.app_base_url)
    ):
        app.include_router(dev_pages_router)
    for module_router in API_ROUTERS:
        app.include_router(module_router, prefix=API_PREFIX)
    # The lender's report pages (/r/<token>, /verify) and the published report key.
    app.include_router(report_pages)
    if settings.app_env != AppEnv.production:
        # The outbox, readable without a mail server (the /dev/mailbox page).
        app.include_router(notifications_dev_router, prefix=API_PREFIX)
        if web is None:
            app.include_router(mailbox_page_router)
    # MCP over streamable HTTP; its bearer check accepts a JWT or a personal access token.
    app.router.routes.append(Route("/mcp", endpoint=mcp_app, include_in_schema=False))
    app.state.stripe_config = stripe_config(settings)
    if app.state.stripe_config.sandbox is not None:
        # Development without a Stripe key: Stripe is the sandbox at /stripe-sandbox.
        mount_sandbox(app, app.state.stripe_config.sandbox)
    if web is not None:
        install_web(app, web)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=[settings.frontend_url.rstrip("/")],
        allow_credentials=False,
        allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
        expose_headers=["X-Request-ID", "Retry-After"],
    )
    # Inside the request context, so a 413 carries the request id and is logged.
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_request_bytes,
        max_bytes_by_prefix={f"{API_PREFIX}/webhooks/": settings.max_webhook_bytes},
    )
    if settings.max_concurrent_requests:
        app.add_middleware(
            AdmissionMiddleware,
            limit=settings.max_concurrent_requests,
            permit_seconds=settings.admission_permit_seconds,
            # Health probes never queue, nor the calls the app makes to itself: Stripe's
            # webhooks and, in development, the in-process sandbox (which sends them).
            exempt_prefixes=("/health", f"{API_PREFIX}/webhooks/", SANDBOX_PATH),
        )
    app.add_middleware(RequestContextMiddleware, hsts=settings.app_env == AppEnv.production)
    # Outermost: the latency a client sees, admission waits included (app/core/observability.py).
    app.add_middleware(RequestMetricsMiddleware)
    sentry_dsn = settings.sentry_dsn.get_secret_value() if settings.sentry_dsn else None
    init_error_reporting(sentry_dsn, environment=settings.app_env, release=settings.sentry_release)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _operation_id(route: APIRoute) -> str:
    """The endpoint's function name, e.g. `read_me`, not FastAPI's `read_me_api_v1_users_me_get`;
    tests/core/test_openapi.py fails on a duplicate."""
    return route.name


def _same_origin(first: str, second: str) -> bool:
    return first.rstrip("/") == second.rstrip("/")


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with every error each operation can answer (`document_errors`)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    document_errors(schema, app.routes)
    schemas = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    app.openapi_schema = schema
    return schema


def serve_app() -> FastAPI:
    """The served app, from the environment's settings (the factory uvicorn calls)."""
    app = create_app()
    # The imported modules leave ~250k long-lived objects; a full collection walks them all with
    # the event loop stopped (~150 ms on a 2-core box). Frozen, collections only look at newer
    # objects.
    gc.collect()
    gc.freeze()
    return app
