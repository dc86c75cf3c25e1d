"""Conversations: history, listing, and business scoping of every agent route."""

import json
import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import delete

from app.core.db import Database
from app.users import service as users_service
from app.users.models import Membership, Role
from tests.conftest import Account


async def chat(
    client: httpx.AsyncClient, account: Account, business_id: str, message: str, **extra: Any
) -> httpx.Response:
    return await client.post(
        "/api/v1/agent/chat",
        json={"business_id": business_id, "message": message, **extra},
        headers=account.headers,
    )


async def test_conversation_history_and_listing(
    client: httpx.AsyncClient, make_account: Any
) -> None:
    account = await make_account()
    business = await account.create_business("Acme")
    first = await chat(client, account, business["id"], "  Tell me about my business profile ")
    assert first.status_code == 200, first.text
    conversation_id = first.json()["conversation_id"]
    second = await chat(
        client, account, business["id"], "What is my score?", conversation_id=conversation_id
    )
    assert second.json()["conversation_id"] == conversation_id
    other = await chat(client, account, business["id"], "A new topic")

    detail = await client.get(
        f"/api/v1/agent/conversations/{conversation_id}", headers=account.headers
    )
    assert detail.status_code == 200
    body = detail.json()
    assert body["id"] == conversation_id
    assert body["business_id"] == business["id"]
    assert [(m["role"], m["content"][:12]) for m in body["messages"]] == [
        ("user", "Tell me abou"),
        ("assistant", first.json()["response"][:12]),
        ("user", "What is my s"),
        ("assistant", second.json()["response"][:12]),
    ]
    assert all(m["created_at"].endswith(("Z", "+00:00")) for m in body["messages"])
    assert [m["mode"] for m in body["messages"]] == [None, "offline", None, "offline"]
    # A reopened answer shows the data it was based on, as it did when it streamed.
    assert [m["tool_calls"] for m in body["messages"]] == [
        [],
        first.json()["tool_calls"],
        [],
        second.json()["tool_calls"],
    ]
    assert second.json()["tool_calls"], "the score question runs at least one tool"

    listed = await client.get(
        "/api/v1/agent/conversations",
        params={"business_id": business["id"]},
        headers=account.headers,
    )
    assert listed.status_code == 200
    items = listed.json()["conversations"]
    # Most recent first; titled by the opening message.
    assert [c["id"] for c in items] == [other.json()["conversation_id"], conversation_id]
    assert items[1]["title"] == "Tell me about my business profile"

    # A single-business user may leave business_id out.
    inferred = await client.post(
        "/api/v1/agent/chat", json={"message": "Hi"}, headers=account.headers
    )
    assert inferred.status_code == 200

    for bad in ({"message": ""}, {"message": "x" * 4001}, {"message": "x", "extra": 1}):
        response = await client.post(
            "/api/v1/agent/chat",
            json={"business_id": business["id"], **bad},
            headers=account.headers,
        )
        assert response.status_code == 400, bad


async def test_scoping(app: FastAPI, client: httpx.AsyncClient, make_account: Any) -> None:
    alice = await make_account()
    bob = await make_account()
    a = await alice.create_business("A")
    b = await bob.create_business("B")
    bobs = await chat(client, bob, b["id"], "Bob's private question")
    bobs_conversation = bobs.json()["conversation_id"]

    # A member of A can't read B's conversations or chat about B.
    read = await client.get(
        f"/api/v1/agent/conversations/{bobs_conversation}", headers=alice.headers
    )
    assert read.status_code == 404
    assert read.json()["code"] == "conversation_not_found"
    missing = await client.get(f"/api/v1/agent/conversations/{uuid.uuid4()}", headers=alice.headers)
    assert missing.json() == read.json()
    for path in ("/api/v1/agent/chat", "/api/v1/agent/chat/stream"):
        response = await client.post(
            path, json={"business_id": b["id"], "message": "hi"}, headers=alice.headers
        )
        assert response.status_code == 403, path
        assert response.json()["code"] == "business_forbidden"
    listed = await client.get(
        "/api/v1/agent/conversations", params={"business_id": b["id"]}, headers=alice.headers
    )
    assert listed.status_code == 403
    # Nor continue Bob's conversation from her own business.
    hijack = await chat(client, alice, a["id"], "hi", conversation_id=bobs_conversation)
    assert hijack.status_code == 404

    # Members of a business still see only their own conversations.
    await client.post(
        "/api/v1/agent/chat",
        json={"business_id": a["id"], "message": "mine"},
        headers=alice.headers,
    )
    db: Database = app.state.db
    async with db.session() as session:
        await users_service.add_member(session, uuid.UUID(a["id"]), uuid.UUID(bob.id), Role.member)
    shared = await client.get(
        "/api/v1/agent/conversations", params={"business_id": a["id"]}, headers=bob.headers
    )
    assert shared.json()["conversations"] == []

    # Losing the membership loses the conversations about that business.
    async with db.session() as session:
        await session.execute(delete(Membership).where(Membership.user_id == uuid.UUID(bob.id)))
    gone = await client.get(f"/api/v1/agent/conversations/{bobs_conversation}", headers=bob.headers)
    assert gone.status_code == 403

    unauthenticated = await client.get(f"/api/v1/agent/conversations/{bobs_conversation}")
    assert unauthenticated.status_code == 401


async def test_control_characters_in_a_message_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, make_account: Any
) -> None:
    # A NUL reached PostgreSQL and was a 500, on /chat and on /chat/stream alike.
    account = await make_account()
    business = await account.create_business("Acme")
    for path in ("/api/v1/agent/chat", "/api/v1/agent/chat/stream"):
        for message in ("What\x00 hurts?", "\x1b]8;;https://evil.example\x07click", "\ud800"):
            response = await client.post(
                path,
                # ASCII-escaped JSON: a lone surrogate can only travel as "\\ud800".
                content=json.dumps({"business_id": business["id"], "message": message}),
                headers={**account.headers, "Content-Type": "application/json"},
            )
            assert response.status_code == 400, (path, message)
            assert response.json()["code"] == "validation_error"
            assert [e["field"] for e in response.json()["errors"]] == ["message"]
    listed = await client.get(
        "/api/v1/agent/conversations",
        params={"business_id": business["id"]},
        headers=account.headers,
    )
    assert listed.json()["conversations"] == []

    # A message is multi-line: tabs and newlines stay, Windows line ends become newlines.
    response = await chat(client, account, business["id"], "Two things:\r\n\t1. score\r\n\t2. fees")
    assert response.status_code == 200, response.text
    detail = await client.get(
        f"/api/v1/agent/conversations/{response.json()['conversation_id']}",
        headers=account.headers,
    )
    assert detail.json()["messages"][0]["content"] == "Two things:\n\t1. score\n\t2. fees"
