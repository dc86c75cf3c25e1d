"""Offline mode (no language model configured): grounded answers from the same tools."""

import re
import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from app.agent.models import Message, ToolCall
from app.agent.runtime import AgentRuntime
from app.core.db import Database
from app.core.money import format_money
from app.core.text import format_percent
from app.recommendations import service as recommendations_service
from tests.agent.conftest import BusinessData, parse_sse

MARKER = re.compile(r"\[Source: ([^\]]+)\]")


async def ask(client: httpx.AsyncClient, data: BusinessData, message: str) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/agent/chat",
        json={"business_id": data.business_id, "message": message},
        headers=data.account.headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def retrieved_chunks(db: Database, message_id: str) -> set[str]:
    """Chunk ids the turn's search_knowledge calls actually returned (as persisted)."""
    async with db.session() as session:
        result = await session.execute(
            select(ToolCall).where(
                ToolCall.message_id == uuid.UUID(message_id), ToolCall.name == "search_knowledge"
            )
        )
        return {
            item["chunk_id"]
            for call in result.scalars()
            for item in (call.output or {}).get("results", [])
        }


def option(data: BusinessData, kind: str) -> Any:
    return next(o for o in data.readiness.funding_options if o.type == kind)


def expectations(data: BusinessData, recommendation_titles: list[str]) -> dict[str, list[str]]:
    r = data.readiness
    m = data.metrics
    disputes = r.components["disputes"]
    rbf = option(data, "revenue_based_financing")
    mca = option(data, "merchant_cash_advance")
    loc = option(data, "bank_line_of_credit")
    return {
        "What's hurting my funding readiness score?": [
            f"{r.score}/100",
            disputes.label,
            disputes.display,
            r.components["payouts"].display,
        ],
        "How do I reduce chargebacks?": [
            format_percent(m["dispute_ratio_visa_month"]),
            f"disputes in 3 months {m['disputes_count_3m']}",
            "fraudulent (6)",
        ],
        "Am I eligible for revenue-based financing?": [
            "Revenue-based financing",
            *(item.message for item in rbf.unmet),
        ],
        "Could I get a merchant cash advance like Stripe Capital?": [
            mca.name,
            *(item.message for item in mca.unmet),
        ],
        "What about a bank line of credit?": [loc.name, *(item.message for item in loc.unmet)],
        "Why did my score drop?": [
            f"from {data.history[1]}",
            f"to {data.history[0]}",
            f"{data.history[0] - data.history[1]:+d} points",
            "What moved since then",
            f"**{disputes.label}**: 100 → ",
        ],
        "Are my payouts healthy?": [
            format_percent(m["payout_failure_rate_90d"]),
            f"payouts in 90 days {m['payouts_count_90d']}",
        ],
        "Is my revenue growing, and is it stable?": [
            format_money(m["revenue_30d"], "usd"),
            format_percent(m["growth_mom"], signed=True),
            f"{m['volatility_monthly_cv']:.2f}",
        ],
        "What are my top recommendations?": recommendation_titles,
        "How bad are my refunds?": [format_percent(m["refund_rate_amount"])],
        "Do I depend too much on a few customers?": [
            format_percent(m["top_customer_share"]),
            format_percent(m["top5_customer_share"]),
        ],
        "Tell me about my business profile": ["Acme Widgets", "ecommerce"],
    }


async def test_offline_answers_are_grounded_and_cited(
    app: FastAPI, client: httpx.AsyncClient, business_data: BusinessData, knowledge: AgentRuntime
) -> None:
    db: Database = app.state.db
    async with db.session() as session:
        recommendations = await recommendations_service.list_recommendations(
            session, uuid.UUID(business_data.business_id), status="open", limit=3
        )
    assert recommendations, "the seeded data should trigger recommendations"
    cases = expectations(business_data, [rec.title for rec in recommendations])
    assert len(cases) >= 10

    for question, expected in cases.items():
        body = await ask(client, business_data, question)
        answer = body["response"]
        assert body["mode"] == "offline"
        assert "No language model is configured" in answer, question
        for fact in expected:
            assert fact in answer, f"{question!r}: {fact!r} missing from:\n{answer}"
        # Tools ran for real, scoped to this business.
        names = [call["name"] for call in body["tool_calls"]]
        assert "search_knowledge" in names
        assert all(call["ok"] for call in body["tool_calls"]), body["tool_calls"]
        # Every citation names a chunk retrieved in this very turn.
        retrieved = await retrieved_chunks(db, body["message_id"])
        assert body["citations"], question
        assert {c["chunk_id"] for c in body["citations"]} <= retrieved
        cited = set(MARKER.findall(answer))
        assert cited == {c["doc_id"] for c in body["citations"]}
        assert body["dropped_citations"] == []


async def test_offline_without_metrics_says_so(
    client: httpx.AsyncClient, make_account: Any, knowledge: AgentRuntime
) -> None:
    account = await make_account()
    business = await account.create_business("Brand New")
    response = await client.post(
        "/api/v1/agent/chat",
        json={"business_id": business["id"], "message": "What's hurting my score?"},
        headers=account.headers,
    )
    assert response.status_code == 200
    answer = response.json()["response"]
    # Not connected: the answer says what to do, not to wait.
    assert "Connect your Stripe account" in answer
    assert "No language model is configured" in answer


async def test_offline_stream(
    app: FastAPI, client: httpx.AsyncClient, business_data: BusinessData, knowledge: AgentRuntime
) -> None:
    response = await client.post(
        "/api/v1/agent/chat/stream",
        json={"business_id": business_data.business_id, "message": "How do I reduce chargebacks?"},
        headers=business_data.account.headers,
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(response.text)
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "message_start"
    assert kinds[-2:] == ["citations", "message_end"]
    assert {"tool_call", "delta"} <= set(kinds)
    # Each tool call carries its result, so the page can show what the answer is based on.
    searches = [
        data for kind, data in events if kind == "tool_call" and data["name"] == "search_knowledge"
    ]
    assert searches[0]["output"]["results"], searches
    text = "".join(data["text"] for kind, data in events if kind == "delta")
    end = events[-1][1]
    assert text.strip() == end["response"]
    assert events[0][1]["conversation_id"] == end["conversation_id"]
    citations = events[-2][1]["citations"]
    assert citations
    assert all(f"[Source: {c['doc_id']}]" in text for c in citations)

    db: Database = app.state.db
    async with db.session() as session:
        result = await session.execute(
            select(Message).where(Message.conversation_id == uuid.UUID(end["conversation_id"]))
        )
        stored = {m.role.value: m for m in result.scalars()}
    assert stored["user"].content == "How do I reduce chargebacks?"
    assert stored["assistant"].content == end["response"]
    assert str(stored["assistant"].id) == end["message_id"]
