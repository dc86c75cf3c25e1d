"""The knowledge-base viewer: GET /agent/knowledge and /agent/knowledge/{doc_id}."""

from typing import Any

import httpx

from app.agent.runtime import AgentRuntime

API = "/api/v1/agent/knowledge"


async def test_every_citable_document_can_be_read(
    client: httpx.AsyncClient, make_account: Any, knowledge: AgentRuntime
) -> None:
    account = await make_account()
    listed = await client.get(API, headers=account.headers)
    assert listed.status_code == 200, listed.text
    documents = listed.json()["documents"]
    # What the agent can cite ([Source: doc_id]) is what the viewer lists, by title.
    assert sorted(doc["doc_id"] for doc in documents) == await knowledge.document_ids()
    assert [doc["title"] for doc in documents] == sorted(doc["title"] for doc in documents)
    assert {
        "doc_id": "payout-timing",
        "title": "Improving payout timing and reliability",
        "category": "cash-flow",
    } in documents

    for summary in documents:
        response = await client.get(f"{API}/{summary['doc_id']}", headers=account.headers)
        assert response.status_code == 200, summary
        body = response.json()
        assert {key: body[key] for key in summary} == summary
        markdown = body["body_markdown"]
        # Neither the front matter nor the title heading (the viewer shows the title apart).
        assert not markdown.startswith(("---", "#", "\n"))
        assert "doc_id:" not in markdown
        assert "\n## " in markdown


async def test_unknown_malformed_and_anonymous(
    client: httpx.AsyncClient, make_account: Any
) -> None:
    account = await make_account()
    response = await client.get(f"{API}/no-such-document", headers=account.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "knowledge_document_not_found"
    for bad in ("..x", "_hidden", "Payout Timing", "payout-timing.md", "-x", "x" * 201):
        response = await client.get(f"{API}/{bad}", headers=account.headers)
        assert response.status_code == 400, bad
        assert response.json()["errors"][0]["field"] == "doc_id"
    for url in (API, f"{API}/payout-timing"):
        response = await client.get(url)
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"
