"""The tool loop against a local OpenAI-compatible server that scripts the model's moves."""

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.agent import router as agent_router
from app.agent.models import Message, MessageRole, ToolCall
from app.core.config import Settings
from app.core.db import Database
from app.main import create_app
from tests.agent.conftest import (
    FakeOpenAI,
    llm_settings,
    parse_sse,
    running_app,
    seed_business_data,
)
from tests.conftest import TEST_PASSWORD, Account, _clean
from tests.servers import serve_in_thread


@pytest.fixture
def fake_llm() -> Iterator[tuple[FakeOpenAI, str]]:
    fake = FakeOpenAI()
    with serve_in_thread(fake.app()) as url:
        yield fake, url


async def signup(
    http: httpx.AsyncClient, business: str | None = "Acme Widgets"
) -> tuple[Account, str]:
    response = await http.post(
        "/api/v1/auth/signup",
        json={
            "email": f"llm-{uuid.uuid4().hex[:8]}@example.com",
            "password": TEST_PASSWORD,
            "name": "Ada",
        },
    )
    assert response.status_code == 201, response.text
    account = Account(http, response.json())
    created = await account.create_business(business or "Acme")
    return account, created["id"]


async def stored(db: Database, conversation_id: str) -> tuple[list[Message], list[ToolCall]]:
    async with db.session() as session:
        messages = (
            await session.execute(
                select(Message)
                .where(Message.conversation_id == uuid.UUID(conversation_id))
                .order_by(Message.created_at)
            )
        ).scalars()
        message_list = list(messages)
        calls = (
            await session.execute(
                select(ToolCall)
                .where(ToolCall.message_id.in_([m.id for m in message_list]))
                .order_by(ToolCall.created_at)
            )
        ).scalars()
        return message_list, list(calls)


async def test_tool_loop_runs_tools_persists_and_validates_citations(
    settings: Settings, fake_llm: tuple[FakeOpenAI, str]
) -> None:
    fake, url = fake_llm
    async with running_app(llm_settings(settings, url)) as (app, http):
        await app.state.agent.ingest()
        account, business_id = await signup(http)
        await seed_business_data(app.state.db, business_id)
        fake.script = [
            # Two calls in one reply (parallel tool calls).
            {
                "tool_calls": [
                    ("call_1", "get_readiness_breakdown", {"business_id": business_id}),
                    ("call_2", "search_knowledge", {"query": "reduce chargebacks", "k": 3}),
                ]
            },
            {"tool_calls": [("call_3", "get_metric_summary", {})]},
            {
                "content": "Disputes hurt most. Answer every dispute with evidence "
                "[Source: reducing-chargebacks] and read [Source: secret-lender-playbook]."
            },
        ]
        response = await http.post(
            "/api/v1/agent/chat",
            json={"business_id": business_id, "message": "What's hurting my readiness?"},
            headers=account.headers,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["mode"] == "llm:test-model"
        assert [c["name"] for c in body["tool_calls"]] == [
            "get_readiness_breakdown",
            "search_knowledge",
            "get_metric_summary",
        ]
        assert all(c["ok"] for c in body["tool_calls"])
        # The retrieved source stays; the invented one is removed and reported.
        assert "[Source: reducing-chargebacks]" in body["response"]
        assert "secret-lender-playbook" not in body["response"]
        assert body["dropped_citations"] == ["secret-lender-playbook"]
        assert [c["doc_id"] for c in body["citations"]] == ["reducing-chargebacks"]

        # What the model was sent: system rules, knowledge as JSON data, tool results as JSON.
        first, second, third = fake.requests
        assert first["model"] == "test-model"
        assert {t["function"]["name"] for t in first["tools"]} == {
            "get_readiness_breakdown",
            "get_top_recommendations",
            "get_metric_summary",
            "get_business_context",
            "search_knowledge",
        }
        system, knowledge = first["messages"][0], first["messages"][1]
        assert "untrusted DATA" in system["content"]
        payload = json.loads(knowledge["content"].split("JSON:\n", 1)[1])
        assert payload
        assert payload[0]["cite_as"].startswith("[Source: ")
        tool_messages = [m for m in second["messages"] if m["role"] == "tool"]
        assert [m["tool_call_id"] for m in tool_messages] == ["call_1", "call_2"]
        breakdown = json.loads(tool_messages[0]["content"])
        assert breakdown["business_id"] == business_id
        assert breakdown["score"] == breakdown["history"][0]["score"]
        assert json.loads(tool_messages[1]["content"])["results"][0]["cite_as"]
        # A tool call without business_id resolves to the conversation's business.
        summary = json.loads([m for m in third["messages"] if m["role"] == "tool"][-1]["content"])
        assert summary["business_id"] == business_id
        assert summary["available"] is True

        messages, calls = await stored(app.state.db, body["conversation_id"])
        assert [m.role for m in messages] == [MessageRole.user, MessageRole.assistant]
        assert messages[0].content == "What's hurting my readiness?"
        assert messages[1].content == body["response"]
        assert str(messages[1].id) == body["message_id"]
        assert messages[1].citations[0]["doc_id"] == "reducing-chargebacks"
        assert [(c.call_id, c.name, c.iteration) for c in calls] == [
            ("call_1", "get_readiness_breakdown", 1),
            ("call_2", "search_knowledge", 1),
            ("call_3", "get_metric_summary", 2),
        ]
        assert calls[0].output is not None
        assert calls[0].output["business_id"] == business_id


async def test_model_cannot_reach_another_business(
    settings: Settings, fake_llm: tuple[FakeOpenAI, str]
) -> None:
    fake, url = fake_llm
    async with running_app(llm_settings(settings, url)) as (_app, http):
        owner, business_id = await signup(http)
        second = await owner.create_business("Second Co")
        _, stranger_business = await signup(http, "Stranger Inc")
        fake.script = [
            {
                "tool_calls": [
                    ("a", "get_metric_summary", {"business_id": stranger_business}),
                    # The user belongs to this one, but the conversation is about the first.
                    ("b", "get_business_context", {"business_id": second["id"]}),
                    ("c", "get_readiness_breakdown", {"business_id": "not-a-uuid"}),
                    ("d", "drop_all_tables", {}),
                ]
            },
            {"content": "I can only read your own business."},
        ]
        response = await http.post(
            "/api/v1/agent/chat",
            json={"business_id": business_id, "message": "Compare me with my competitor"},
            headers=owner.headers,
        )
        assert response.status_code == 200, response.text
        calls = response.json()["tool_calls"]
        assert [c["ok"] for c in calls] == [False, False, False, False]
        assert "Access denied" in calls[0]["error"]
        assert "Access denied" in calls[1]["error"]
        assert "Invalid arguments" in calls[2]["error"]
        assert "Unknown tool" in calls[3]["error"]
        tool_messages = [m for m in fake.requests[1]["messages"] if m["role"] == "tool"]
        assert all("error" in json.loads(m["content"]) for m in tool_messages)
        assert "Stranger Inc" not in json.dumps(fake.requests[1])


@pytest.mark.parametrize("failures", [[429, 500, 503], [502, 502, 502]])
async def test_llm_failure_retries_then_503_and_keeps_the_message(
    settings: Settings, fake_llm: tuple[FakeOpenAI, str], failures: list[int]
) -> None:
    fake, url = fake_llm
    async with running_app(llm_settings(settings, url, llm_max_retries=2)) as (_app, http):
        account, business_id = await signup(http)
        fake.script = list(failures)
        response = await http.post(
            "/api/v1/agent/chat",
            json={"business_id": business_id, "message": "Will this be saved?"},
            headers=account.headers,
        )
        assert response.status_code == 503
        assert response.json()["code"] == "llm_unavailable"
        assert len(fake.requests) == 3  # the first try and two retries

        listed = await http.get(
            "/api/v1/agent/conversations",
            params={"business_id": business_id},
            headers=account.headers,
        )
        [conversation] = listed.json()["conversations"]
        detail = await http.get(
            f"/api/v1/agent/conversations/{conversation['id']}", headers=account.headers
        )
        assert [(m["role"], m["content"]) for m in detail.json()["messages"]] == [
            ("user", "Will this be saved?")
        ]

        # The conversation carries on once the model is back.
        fake.script = [{"content": "Back again."}]
        retry = await http.post(
            "/api/v1/agent/chat",
            json={
                "business_id": business_id,
                "message": "Hello?",
                "conversation_id": conversation["id"],
            },
            headers=account.headers,
        )
        assert retry.status_code == 200
        history = [(m["role"], m["content"]) for m in fake.requests[-1]["messages"][2:]]
        assert history == [("user", "Will this be saved?"), ("user", "Hello?")]


async def test_llm_timeout_is_503(settings: Settings) -> None:
    import asyncio

    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    calls: list[int] = []

    async def slow(_request: Any) -> JSONResponse:
        calls.append(1)
        await asyncio.sleep(2)
        return JSONResponse({})

    server = Starlette(routes=[Route("/v1/chat/completions", slow, methods=["POST"])])
    with serve_in_thread(server) as url:
        changes = {"llm_timeout_seconds": 0.2, "llm_max_retries": 1}
        async with running_app(llm_settings(settings, url, **changes)) as (_app, http):
            account, business_id = await signup(http)
            response = await http.post(
                "/api/v1/agent/chat",
                json={"business_id": business_id, "message": "Anyone there?"},
                headers=account.headers,
            )
    assert response.status_code == 503
    assert response.json()["code"] == "llm_unavailable"
    assert len(calls) == 2


async def test_stream_with_llm(settings: Settings, fake_llm: tuple[FakeOpenAI, str]) -> None:
    fake, url = fake_llm
    async with running_app(llm_settings(settings, url)) as (app, http):
        await app.state.agent.ingest()
        account, business_id = await signup(http)
        fake.script = [
            {"tool_calls": [("s1", "search_knowledge", {"query": "failed payouts"})]},
            {
                "content": "Check your bank details [Source: payout-timing]; see also "
                "[Source: made-up#3]. Done."
            },
        ]
        response = await http.post(
            "/api/v1/agent/chat/stream",
            json={"business_id": business_id, "message": "Why do payouts fail?"},
            headers=account.headers,
        )
        assert response.status_code == 200
        events = parse_sse(response.text)
        kinds = [kind for kind, _ in events]
        assert kinds[0] == "message_start"
        assert events[0][1]["mode"] == "llm:test-model"
        assert kinds.count("tool_call") == 1
        assert kinds[-2:] == ["citations", "message_end"]
        deltas = [data["text"] for kind, data in events if kind == "delta"]
        assert len(deltas) > 3  # streamed, not sent in one piece
        text = "".join(deltas)
        assert "[Source: payout-timing]" in text
        assert "made-up" not in text
        assert events[-2][1]["dropped_citations"] == ["made-up#3"]
        assert fake.requests[0]["stream"] is True
        end = events[-1][1]
        messages, calls = await stored(app.state.db, end["conversation_id"])
        assert messages[-1].content == end["response"] == text.strip()
        assert [c.name for c in calls] == ["search_knowledge"]


async def test_stream_reports_llm_failure(
    settings: Settings, fake_llm: tuple[FakeOpenAI, str]
) -> None:
    fake, url = fake_llm
    async with running_app(llm_settings(settings, url, llm_max_retries=1)) as (app, http):
        account, business_id = await signup(http)
        fake.script = [500, 500]
        response = await http.post(
            "/api/v1/agent/chat/stream",
            json={"business_id": business_id, "message": "Stream please"},
            headers=account.headers,
        )
        events = parse_sse(response.text)
        assert [kind for kind, _ in events] == ["message_start", "error"]
        assert events[1][1]["code"] == "llm_unavailable"
        messages, _ = await stored(app.state.db, events[0][1]["conversation_id"])
        assert [(m.role, m.content) for m in messages] == [(MessageRole.user, "Stream please")]


# --- The stream's transport: sse-starlette's keep-alive pings and disconnect detection ---


async def test_a_quiet_stream_is_kept_alive_with_pings(
    settings: Settings, fake_llm: tuple[FakeOpenAI, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a slow model thinks, the stream carries comment lines, which a proxy counts as
    traffic and every SSE reader skips (the answer parses the same)."""
    fake, url = fake_llm
    monkeypatch.setattr(agent_router, "SSE_PING_SECONDS", 0.05)
    fake.delay_seconds = 0.4
    fake.script = [{"content": "Payouts arrive on a rolling schedule."}]
    async with running_app(llm_settings(settings, url)) as (_app, http):
        account, business_id = await signup(http)
        response = await http.post(
            "/api/v1/agent/chat/stream",
            json={"business_id": business_id, "message": "When are payouts?"},
            headers=account.headers,
        )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    pings = [line for line in response.text.splitlines() if line.startswith(": ping")]
    assert len(pings) >= 2, response.text
    events = parse_sse(response.text)
    assert events[0][0] == "message_start"
    assert events[-1][0] == "message_end"
    assert events[-1][1]["response"] == "Payouts arrive on a rolling schedule."


async def test_a_client_that_leaves_stops_the_turn(
    settings: Settings, fake_llm: tuple[FakeOpenAI, str]
) -> None:
    """A closed tab ends the turn at once: the model is not asked again for an answer nobody
    will read, and only the question is stored. (Served by uvicorn, which reports the
    disconnect, unlike an in-process transport.)"""
    fake, url = fake_llm
    fake.delay_seconds = 1.0
    fake.script = [
        {"tool_calls": [("s1", "search_knowledge", {"query": "payouts"})]},
        {"content": "An answer nobody reads."},
    ]
    app_settings = llm_settings(settings, url)
    with serve_in_thread(create_app(app_settings)) as base:
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            account, business_id = await signup(http)
            body = {"business_id": business_id, "message": "Why do payouts fail?"}
            async with http.stream(
                "POST", "/api/v1/agent/chat/stream", json=body, headers=account.headers
            ) as response:
                chunks = response.aiter_raw()  # kept: a dropped iterator closes the stream
                first = (await anext(chunks)).decode()
                for _ in range(100):  # until the model has been asked
                    if fake.requests:
                        break
                    await asyncio.sleep(0.05)
            # The connection is closed here, while the model is still on its first answer.
            conversation_id = parse_sse(first)[0][1]["conversation_id"]
            await asyncio.sleep(2.5)  # the first answer (1 s) and a second one (1 s) would be in
            assert len(fake.requests) == 1
            response = await http.get(
                f"/api/v1/agent/conversations/{conversation_id}",
                params={"business_id": business_id},
                headers=account.headers,
            )
            assert response.status_code == 200, response.text
            messages = response.json()["messages"]
            assert [(m["role"], m["content"]) for m in messages] == [
                ("user", "Why do payouts fail?")
            ]
    database = Database.from_settings(app_settings)
    try:
        await _clean(database)
    finally:
        await database.dispose()
