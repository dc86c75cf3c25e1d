"""Agent test set-up: a business with real Stripe-derived numbers, the knowledge base, and
apps built with custom settings (a local OpenAI-compatible server, a fake Pinecone)."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from app.agent.runtime import AgentRuntime
from app.core.config import Settings
from app.core.db import Database
from app.main import create_app
from app.metrics import service as metrics_service
from app.metrics.schemas import ReadinessRead
from app.recommendations import service as recommendations_service
from app.stripe.models import IntegrationAccount
from app.users import service as users_service
from tests.conftest import Account, _clean
from tests.metrics.conftest import StripeData, at

# The earlier score sees April as its last full month; the later one sees May's disputes.
EARLIER = at("2025-05-10", 18)
LATER = at("2025-06-15", 18)


@dataclass
class BusinessData:
    account: Account
    business_id: str
    readiness: ReadinessRead
    metrics: dict[str, Any]
    history: list[int]


def _history(data: StripeData) -> None:
    """Eight months of steady sales to ten customers, weekly payouts, a few refunds."""
    day = date(2024, 10, 1)
    n = 0
    while day <= date(2025, 6, 14):
        for _ in range(2):
            n += 1
            data.charge(day, 24_000 + (n % 7) * 1_000, customer=f"cus_{n % 10}")
        if day.weekday() == 0:
            data.payout(day, 300_000, arrival_days=2)
        if n % 45 == 0:
            data.refund(day, 5_000)
        day += timedelta(days=1)
    data.payout(date(2025, 5, 6), 200_000, status="failed", arrival_days=None)


def _dispute_burst(data: StripeData) -> None:
    for offset in range(9):
        reason = "fraudulent" if offset % 3 else "product_not_received"
        data.dispute(date(2025, 5, 12) + timedelta(days=offset), 25_000, reason=reason)


async def seed_business_data(database: Database, business_id: str) -> None:
    """Stripe rows in, then the metrics, readiness and recommendations refresh, twice."""
    bid = uuid.UUID(business_id)
    async with database.session() as session:
        session.add(IntegrationAccount(business_id=bid, stripe_user_id=f"acct_{bid.hex[:12]}"))
    early = StripeData(bid)
    _history(early)
    await early.save(database)
    await _refresh(database, bid, EARLIER)
    late = StripeData(bid)
    _dispute_burst(late)
    await late.save(database)
    await _refresh(database, bid, LATER)


async def _refresh(database: Database, business_id: uuid.UUID, now: Any) -> None:
    async with database.session() as session:
        business = await users_service.get_business(session, business_id)
        assert business is not None
        await metrics_service.compute_metrics(session, business, now=now)
        await metrics_service.compute_readiness(session, business, now=now)
        await recommendations_service.generate_recommendations(session, business, now=now)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Offline, whatever the environment says: tests point the agent at their own servers."""
    return settings.model_copy(
        update={"openai_api_key": None, "openai_base_url": None, "pinecone_api_key": None}
    )


@pytest.fixture
async def knowledge(app: FastAPI) -> AgentRuntime:
    """The shipped knowledge base, ingested into the test database."""
    runtime: AgentRuntime = app.state.agent
    await runtime.ingest()
    return runtime


@pytest.fixture
async def business_data(app: FastAPI, make_account: Any) -> BusinessData:
    account: Account = await make_account(name="Ada")
    business = await account.create_business("Acme Widgets", industry="ecommerce", country="US")
    database: Database = app.state.db
    await seed_business_data(database, business["id"])
    async with database.session() as session:
        record = await users_service.get_business(session, uuid.UUID(business["id"]))
        assert record is not None
        readiness = await metrics_service.get_readiness(session, record)
        latest = await metrics_service.get_latest_metrics(session, record.id)
        history = await metrics_service.get_readiness_history(session, record.id, 6)
    assert latest is not None
    return BusinessData(
        account=account,
        business_id=business["id"],
        readiness=readiness,
        metrics={name: entry.value for name, entry in latest.metrics.items()},
        history=[item.score for item in history],
    )


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """An app with its own settings, cleaned up like the `app` fixture."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, client=("203.0.113.10", 50000))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                yield application, http
        finally:
            await _clean(application.state.db)


# --- A scripted OpenAI-compatible server -------------------------------------------------


Step = dict[str, Any] | int  # a chat completion message, or an HTTP error status to answer


@dataclass
class FakeOpenAI:
    """POST /v1/chat/completions answers from `script` in order; /v1/embeddings is stable."""

    script: list[Step] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    embedding_requests: list[dict[str, Any]] = field(default_factory=list)
    # How long each chat completion takes to start answering (a slow model).
    delay_seconds: float = 0.0

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/embeddings", self._embeddings, methods=["POST"]),
            ]
        )

    async def _chat(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        step = self.script.pop(0) if self.script else {"content": "(script exhausted)"}
        if isinstance(step, int):
            # A tiny Retry-After keeps the SDK's backoff fast in tests.
            return JSONResponse(
                {"error": {"message": "scripted failure", "type": "server_error"}},
                status_code=step,
                headers={"retry-after-ms": "5"},
            )
        message = {"role": "assistant", "content": step.get("content")}
        if step.get("tool_calls"):
            message["tool_calls"] = [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(arguments)},
                }
                for call_id, name, arguments in step["tool_calls"]
            ]
        if body.get("stream"):
            return StreamingResponse(
                _stream_chunks(body["model"], message), media_type="text/event-stream"
            )
        return JSONResponse(
            {
                "id": f"chatcmpl-{len(self.requests)}",
                "object": "chat.completion",
                "created": 1_700_000_000,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "finish_reason": "tool_calls" if step.get("tool_calls") else "stop",
                    }
                ],
            }
        )

    async def _embeddings(self, request: Request) -> Response:
        body = await request.json()
        self.embedding_requests.append(body)
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        return JSONResponse(
            {
                "object": "list",
                "model": body["model"],
                "data": [
                    {"object": "embedding", "index": i, "embedding": toy_embedding(text)}
                    for i, text in enumerate(inputs)
                ],
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
            }
        )


def _stream_chunks(model: str, message: dict[str, Any]) -> Any:
    """The message as chat.completion.chunk events; text comes in 7-character pieces."""

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        payload = {
            "id": "chatcmpl-stream",
            "object": "chat.completion.chunk",
            "created": 1_700_000_000,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(payload)}\n\n"

    async def events() -> Any:
        yield chunk({"role": "assistant"})
        text = message.get("content") or ""
        for start in range(0, len(text), 7):
            yield chunk({"content": text[start : start + 7]})
        for index, call in enumerate(message.get("tool_calls", [])):
            arguments = call["function"]["arguments"]
            yield chunk(
                {
                    "tool_calls": [
                        {
                            "index": index,
                            "id": call["id"],
                            "type": "function",
                            "function": {"name": call["function"]["name"], "arguments": ""},
                        }
                    ]
                }
            )
            half = len(arguments) // 2
            for piece in (arguments[:half], arguments[half:]):
                yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
        yield chunk({}, "tool_calls" if message.get("tool_calls") else "stop")
        yield "data: [DONE]\n\n"

    return events()


VOCABULARY = ("chargeback", "dispute", "payout", "revenue", "score", "loan", "refund", "customer")


def toy_embedding(text: str) -> list[float]:
    """A deterministic 8-dimensional 'embedding': keyword counts plus one."""
    lowered = text.lower()
    return [float(lowered.count(word)) + 1.0 for word in VOCABULARY]


def llm_settings(settings: Settings, base_url: str, **changes: Any) -> Settings:
    return settings.model_copy(
        update={
            "openai_base_url": f"{base_url}/v1",
            "openai_model": "test-model",
            "openai_embedding_model": "",
            "llm_max_retries": 2,
            "llm_timeout_seconds": 5.0,
            **changes,
        }
    )


SSEEvents = list[tuple[str, dict[str, Any]]]


def parse_sse(text: str) -> SSEEvents:
    """The events, in order; comment lines (keep-alive pings) are skipped."""
    events: SSEEvents = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
        if lines:
            events.append((lines["event"], json.loads(lines["data"])))
    return events
