"""Admission: at most `limit` API requests run at once, the rest start in arrival order.

Driven at the ASGI level with an inner app that holds each request until the test lets it go,
so the order in which requests start is observable exactly.
"""

import asyncio

import pytest
from starlette.types import Message, Receive, Scope, Send

from app.core.config import Settings
from app.core.middleware import AdmissionMiddleware
from app.main import create_app


class HeldApp:
    """Records which requests started; each finishes when its event is set."""

    def __init__(self, *, stream: bool = False) -> None:
        self.started: list[str] = []
        self.release: dict[str, asyncio.Event] = {}
        self.stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        self.started.append(path)
        event = self.release.setdefault(path, asyncio.Event())
        if self.stream:
            await send({"type": "http.response.start", "status": 200, "headers": []})
        await event.wait()
        if not self.stream:
            await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def call(app: AdmissionMiddleware, path: str) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)

    await app({"type": "http", "path": path, "headers": []}, receive, send)
    return sent


def admission(
    inner: HeldApp, *, limit: int = 1, permit_seconds: float = 30.0
) -> AdmissionMiddleware:
    return AdmissionMiddleware(
        inner, limit=limit, permit_seconds=permit_seconds, exempt_prefixes=("/health",)
    )


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_requests_beyond_the_limit_start_in_arrival_order() -> None:
    inner = HeldApp()
    app = admission(inner, limit=2)
    tasks = [asyncio.create_task(call(app, f"/api/{n}")) for n in range(5)]
    await settle()
    assert inner.started == ["/api/0", "/api/1"]

    inner.release.setdefault("/api/1", asyncio.Event()).set()
    await settle()
    assert inner.started == ["/api/0", "/api/1", "/api/2"]

    inner.release["/api/0"].set()
    await settle()
    assert inner.started == ["/api/0", "/api/1", "/api/2", "/api/3"]

    for n in range(5):
        inner.release.setdefault(f"/api/{n}", asyncio.Event()).set()
        await settle()
    results = await asyncio.gather(*tasks)
    assert inner.started == [f"/api/{n}" for n in range(5)]
    assert all(sent[0]["status"] == 200 for sent in results)
    assert app.active == 0


async def test_a_newcomer_never_overtakes_a_waiting_request() -> None:
    inner = HeldApp()
    app = admission(inner, limit=1)
    first = asyncio.create_task(call(app, "/api/first"))
    waiting = asyncio.create_task(call(app, "/api/waiting"))
    await settle()
    inner.release["/api/first"].set()
    # Arrives in the same loop turn in which the permit is handed over.
    newcomer = asyncio.create_task(call(app, "/api/newcomer"))
    await settle()
    assert inner.started == ["/api/first", "/api/waiting"]
    inner.release["/api/waiting"].set()
    inner.release.setdefault("/api/newcomer", asyncio.Event()).set()
    await asyncio.gather(first, waiting, newcomer)
    assert inner.started == ["/api/first", "/api/waiting", "/api/newcomer"]


async def test_a_started_response_gives_up_its_place() -> None:
    """A stream holds no permit once its headers are out: a chat answer streaming for a minute
    does not keep the next request waiting."""
    inner = HeldApp(stream=True)
    app = admission(inner, limit=1)
    stream = asyncio.create_task(call(app, "/api/agent/chat/stream"))
    await settle()
    other = asyncio.create_task(call(app, "/api/users/me"))
    await settle()
    assert inner.started == ["/api/agent/chat/stream", "/api/users/me"]
    for event in inner.release.values():
        event.set()
    await asyncio.gather(stream, other)
    assert app.active == 0


async def test_a_slow_request_gives_up_its_place_after_the_permit_time() -> None:
    """A request waiting on an outside service (the model, Stripe) stalls nobody for longer."""
    inner = HeldApp()
    app = admission(inner, limit=1, permit_seconds=0.05)
    slow = asyncio.create_task(call(app, "/api/agent/chat"))
    await settle()
    other = asyncio.create_task(call(app, "/api/users/me"))
    await settle()
    assert inner.started == ["/api/agent/chat"]
    await asyncio.sleep(0.1)
    assert inner.started == ["/api/agent/chat", "/api/users/me"]
    for event in inner.release.values():
        event.set()
    await asyncio.gather(slow, other)
    assert app.active == 0


async def test_exempt_paths_never_wait() -> None:
    inner = HeldApp()
    app = admission(inner, limit=1)
    busy = asyncio.create_task(call(app, "/api/busy"))
    await settle()
    health = asyncio.create_task(call(app, "/health/ready"))
    await settle()
    assert inner.started == ["/api/busy", "/health/ready"]
    for event in inner.release.values():
        event.set()
    await asyncio.gather(busy, health)


async def test_a_client_that_leaves_while_waiting_loses_nothing_for_the_others() -> None:
    inner = HeldApp()
    app = admission(inner, limit=1)
    first = asyncio.create_task(call(app, "/api/first"))
    gone = asyncio.create_task(call(app, "/api/gone"))
    last = asyncio.create_task(call(app, "/api/last"))
    await settle()
    gone.cancel()
    await settle()
    inner.release["/api/first"].set()
    await settle()
    assert inner.started == ["/api/first", "/api/last"]
    inner.release["/api/last"].set()
    await asyncio.gather(first, last)
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert app.active == 0
    assert not app.waiting


async def test_a_failing_request_frees_its_place() -> None:
    async def failing(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("boom")

    app = AdmissionMiddleware(failing, limit=1, permit_seconds=30, exempt_prefixes=())
    for _ in range(3):
        with pytest.raises(RuntimeError):
            await call(app, "/api/x")
    assert app.active == 0


def test_the_app_admits_by_the_setting(settings: Settings) -> None:
    def admission_of(app_settings: Settings) -> list[dict[str, object]]:
        app = create_app(app_settings)
        return [m.kwargs for m in app.user_middleware if m.cls is AdmissionMiddleware]

    (configured,) = admission_of(settings.model_copy(update={"max_concurrent_requests": 7}))
    assert configured["limit"] == 7
    assert "/api/v1/webhooks/" in configured["exempt_prefixes"]  # type: ignore[operator]
    assert admission_of(settings.model_copy(update={"max_concurrent_requests": 0})) == []
