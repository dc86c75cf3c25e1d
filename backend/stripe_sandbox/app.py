"""The sandbox as an ASGI app: Stripe's v1 read API and Connect OAuth at its root."""

import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stripe_sandbox import api, errors, store
from stripe_sandbox.config import SandboxConfig
from stripe_sandbox.errors import StripeError
from stripe_sandbox.oauth import OAuth
from stripe_sandbox.objects import API_VERSION

_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
_LIMITED_OAUTH = ("/oauth/token", "/oauth/deauthorize")


def _route_path(scope: Scope) -> str:
    """The path below the mount point (the app may be mounted under a prefix)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


class _Gate:
    """Artificial latency, per-key token-bucket rate limiting, error storms and Stripe's
    response headers."""

    def __init__(self, app: ASGIApp, config: SandboxConfig):
        self.app = app
        self.config = config
        self.rate = config.rate_limit
        self.burst = max(1.0, config.rate_limit or 0.0)
        self.latency_s = config.latency_ms / 1000
        self.buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)
        self.api_requests = 0

    def _storm_hits(self) -> bool:
        """Whether this API request falls in a burst of the configured error storm."""
        number = self.api_requests
        self.api_requests += 1
        return number % self.config.error_period < self.config.error_burst

    def _wait(self, key: str) -> float:
        """0 if a request may pass now (and take a token), else seconds until it could."""
        assert self.rate is not None
        now = time.monotonic()
        tokens, last = self.buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= 1:
            self.buckets[key] = (tokens - 1, now)
            return 0.0
        self.buckets[key] = (tokens, now)
        return (1 - tokens) / self.rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.latency_s:
            await anyio.sleep(self.latency_s)
        path = _route_path(scope)
        is_api = path.startswith("/v1/")
        request_id = "req_" + secrets.token_urlsafe(10).replace("-", "x").replace("_", "y")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"request-id", request_id.encode()))
                if is_api:
                    headers.append((b"stripe-version", API_VERSION.encode()))
                message = {**message, "headers": headers}
            await send(message)

        if self.rate is not None and (is_api or path in _LIMITED_OAUTH):
            headers = dict(scope["headers"])
            client = scope.get("client") or ("?", 0)
            key = headers.get(b"authorization", b"").decode() or f"ip:{client[0]}"
            wait = self._wait(key)
            if wait > 0:
                await errors.rate_limited(wait).response()(scope, receive, send_with_headers)
                return
        status = self.config.error_status
        if status is not None and is_api and self._storm_hits():
            await errors.injected(status).response()(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)


def create_app(config: SandboxConfig) -> ASGIApp:
    """The sandbox app; serves /v1/... and /oauth/... at its root and can be mounted."""
    with store.open_db(config):
        pass  # create the file and pin the sandbox parameters now, not on the first request
    v1 = api.Api(config)
    oauth = OAuth(config, v1)

    async def run(request: Request, handler: Callable[..., str], *args: Any) -> Response:
        call = api.Request(
            method=request.method,
            path=_route_path(request.scope),
            headers=request.headers,
            query=request.query_params.multi_items(),
        )
        try:
            body = await anyio.to_thread.run_sync(handler, call, *args)
        except StripeError as exc:
            return exc.response()
        return Response(body, media_type="application/json")

    async def account(request: Request) -> Response:
        return await run(request, v1.get_account)

    async def listing(request: Request) -> Response:
        name = request.path_params["resource"]
        if name not in api.RESOURCES:
            return await unrecognized(request)
        return await run(request, v1.list_objects, name)

    async def charge_refunds(request: Request) -> Response:
        return await run(request, v1.list_objects, "refunds", request.path_params["charge"])

    async def retrieve(request: Request) -> Response:
        name = request.path_params["resource"]
        if name not in api.RESOURCES:
            return await unrecognized(request)
        return await run(request, v1.retrieve_object, name, request.path_params["id"])

    async def unrecognized(request: Request) -> Response:
        return errors.unrecognized_url(request.method, _route_path(request.scope)).response()

    routes = [
        Route("/v1/account", account, methods=["GET"]),
        Route("/v1/charges/{charge}/refunds", charge_refunds, methods=["GET"]),
        Route("/v1/{resource}", listing, methods=["GET"]),
        Route("/v1/{resource}/{id}", retrieve, methods=["GET"]),
        Route("/v1/{path:path}", unrecognized, methods=_ALL_METHODS),
        Route("/oauth/authorize", oauth.authorize, methods=["GET"]),
        Route("/oauth/authorize/choose", oauth.choose, methods=["GET"]),
        Route("/oauth/authorize/deny", oauth.deny, methods=["GET"]),
        Route("/oauth/token", oauth.token, methods=["POST"]),
        Route("/oauth/deauthorize", oauth.deauthorize, methods=["POST"]),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        v1.close()

    return _Gate(Starlette(routes=routes, lifespan=lifespan), config)
