"""ASGI middleware: request id, access log, security headers, the body size limit and admission."""

import asyncio
import logging
import re
import time
import uuid
from collections import deque
from collections.abc import Mapping

from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.db import is_unavailable
from app.core.errors import (
    DatabaseUnavailable,
    PayloadTooLarge,
    error_response,
    internal_error_body,
)
from app.core.request_context import set_request_id

logger = logging.getLogger("vaultra.access")

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Pages carry their own policy in a <meta> tag (Astro hashes its inline scripts); a meta tag
# cannot set these three, so they travel as a header. The interactive docs set their own
# (app/core/docs.py); the sandbox's authorize page (inline styles) gets only this header.
PAGE_CSP = "frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
API_PATH_PREFIXES = ("/api/", "/mcp", "/health")
DOCS_PATH_PREFIXES = ("/api/v1/docs",)


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        set_request_id(request_id)
        started = time.perf_counter()
        status = 500
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                api = path.startswith(API_PATH_PREFIXES) and not path.startswith(DOCS_PATH_PREFIXES)
                headers.setdefault("Content-Security-Policy", API_CSP if api else PAGE_CSP)
                if self.hsts:
                    headers.setdefault("Strict-Transport-Security", "max-age=63072000")
            await send(message)

        response_started = False

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send_with_headers(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            if response_started:
                logger.exception("unhandled error", extra={"path": path})
                raise
            # Answered here, inside this middleware, so the 5xx carries the request id too.
            if is_unavailable(error):
                # Retryable, and one line each: an outage must not flood the log with traces.
                logger.warning(
                    "database unavailable", extra={"path": path, "error": type(error).__name__}
                )
                response = error_response(DatabaseUnavailable())
            else:
                logger.exception("unhandled error", extra={"path": path})
                response = JSONResponse(internal_error_body(request_id), status_code=500)
            await response(scope, receive, send_with_headers)
        finally:
            logger.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": path,
                    # The peer, or the client a trusted proxy named (FORWARDED_ALLOW_IPS).
                    "client": scope["client"][0] if scope.get("client") else None,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )


class BodyLimitMiddleware:
    """Answers 413 to a request body over the limit, without reading it.

    A Content-Length over the limit is answered at once. A body sent without one (chunked) is
    counted as it arrives and answered as soon as it passes the limit; the app then sees the
    client as gone, and whatever it answers is dropped. A 50 MB upload thus costs at most the
    limit's worth of reading, not 50 MB of memory.
    """

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, max_bytes_by_prefix: Mapping[str, int]
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_bytes_by_prefix = dict(max_bytes_by_prefix)

    def _limit(self, path: str) -> int:
        for prefix, limit in self.max_bytes_by_prefix.items():
            if path.startswith(prefix):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await error_response(PayloadTooLarge(limit))(scope, receive, send)
            return
        received = 0
        refused = False
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not response_started:
                        await error_response(PayloadTooLarge(limit))(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if refused:
                return
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            # Once refused, the app failing to read the rest is expected, not an error.
            if not refused:
                raise


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class AdmissionMiddleware:
    """Admits at most `limit` API requests at a time, in arrival order; the rest wait their turn.

    Under a burst, an unbounded worker interleaves every request's awaits (pool checkout, each
    statement, the commit), so a request's latency depends on how often it loses those races: at
    64 connections `GET /users/me` had a p99 1.6 times its p50. Admitted in order, a request
    waits once, at the door, then runs among a few others. Measured on 2 cores at 64 connections
    (bench/README.md, fifth session): with a limit of 10, p99 194-216 ms, 3.6x the bare-ASGI
    ceiling; without, 252-255 ms, 5.4-5.7x; throughput unchanged (0.62-0.67x the SELECT 1 baseline).

    A permit ends when the response starts, so a stream (server-sent events, MCP) does not hold
    one while it idles, and after `permit_seconds` at the latest: a request waiting on an outside
    service (the model, Stripe, Google) gives up its place instead of stalling the process, which
    then behaves as it would without a limit. Paths the app calls back into while serving a
    request (webhooks from the in-process sandbox, the sandbox itself) and health probes are
    never queued.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        permit_seconds: float,
        exempt_prefixes: tuple[str, ...],
    ) -> None:
        self.app = app
        self.limit = limit
        self.permit_seconds = permit_seconds
        self.exempt_prefixes = exempt_prefixes
        self.active = 0
        self.waiting: deque[asyncio.Future[None]] = deque()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        await self._acquire()
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self._release()

        expiry = asyncio.get_running_loop().call_later(self.permit_seconds, release)

        async def releasing_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                release()
            await send(message)

        try:
            await self.app(scope, receive, releasing_send)
        finally:
            expiry.cancel()
            release()

    async def _acquire(self) -> None:
        if self.active < self.limit and not self.waiting:
            self.active += 1
            return
        turn = asyncio.get_running_loop().create_future()
        self.waiting.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                # The permit had just been handed over: pass it on.
                self._release()
            else:
                self.waiting.remove(turn)
            raise

    def _release(self) -> None:
        """Hands the permit straight to the longest waiter, so no newcomer can overtake it."""
        while self.waiting:
            turn = self.waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self.active -= 1
