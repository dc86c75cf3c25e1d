"""Personal access tokens: shown once, stored hashed, usable as a bearer, revocable."""

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from app.auth.models import PersonalAccessToken
from app.core.db import Database


async def test_token_lifecycle(app: FastAPI, client: httpx.AsyncClient, make_account: Any) -> None:
    account = await make_account()
    created = await client.post(
        "/api/v1/auth/tokens",
        json={"name": "  Claude Desktop ", "expires_in_days": 30},
        headers=account.headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    secret = body["token"]
    assert secret.startswith("vtr_pat_")
    assert len(secret) > 40
    assert body["name"] == "Claude Desktop"
    assert secret.startswith(body["token_prefix"])
    assert body["last_used_at"] is None
    assert body["expires_at"] is not None

    db: Database = app.state.db
    async with db.session() as session:
        stored = await session.get(PersonalAccessToken, uuid.UUID(body["id"]))
        assert stored is not None
        assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in {stored.token_hash, stored.token_prefix}

    listed = await client.get("/api/v1/auth/tokens", headers=account.headers)
    assert listed.status_code == 200
    [item] = listed.json()["tokens"]
    assert "token" not in item
    assert item["id"] == body["id"]

    pat = {"Authorization": f"Bearer {secret}"}
    me = await client.get("/api/v1/auth/me", headers=pat)
    assert me.status_code == 200
    assert me.json()["id"] == account.id
    used = await client.get("/api/v1/auth/tokens", headers=account.headers)
    assert used.json()["tokens"][0]["last_used_at"] is not None

    # A token cannot mint or revoke tokens: that needs a signed-in session.
    for method, url in (
        ("POST", "/api/v1/auth/tokens"),
        ("GET", "/api/v1/auth/tokens"),
        ("DELETE", f"/api/v1/auth/tokens/{body['id']}"),
    ):
        response = await client.request(method, url, json={"name": "x"}, headers=pat)
        assert response.status_code == 403, (method, url)
        assert response.json()["code"] == "sign_in_required"

    revoked = await client.delete(f"/api/v1/auth/tokens/{body['id']}", headers=account.headers)
    assert revoked.status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=pat)).status_code == 401
    again = await client.delete(f"/api/v1/auth/tokens/{body['id']}", headers=account.headers)
    assert again.status_code == 404
    assert (await client.get("/api/v1/auth/tokens", headers=account.headers)).json() == {
        "tokens": []
    }


async def test_tokens_are_private_and_expire(
    app: FastAPI, client: httpx.AsyncClient, make_account: Any
) -> None:
    alice = await make_account()
    bob = await make_account()
    token = (
        await client.post("/api/v1/auth/tokens", json={"name": "cli"}, headers=alice.headers)
    ).json()
    assert token["expires_at"] is None

    assert (await client.get("/api/v1/auth/tokens", headers=bob.headers)).json()["tokens"] == []
    stolen = await client.delete(f"/api/v1/auth/tokens/{token['id']}", headers=bob.headers)
    assert stolen.status_code == 404

    db: Database = app.state.db
    async with db.session() as session:
        row = (
            await session.execute(
                select(PersonalAccessToken).where(PersonalAccessToken.id == uuid.UUID(token["id"]))
            )
        ).scalar_one()
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    expired = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {token['token']}"}
    )
    assert expired.status_code == 401
    assert expired.json()["code"] == "invalid_token"


async def test_token_validation(client: httpx.AsyncClient, make_account: Any) -> None:
    account = await make_account()
    for bad in ({}, {"name": ""}, {"name": "x", "expires_in_days": 0}, {"name": "x", "y": 1}):
        response = await client.post("/api/v1/auth/tokens", json=bad, headers=account.headers)
        assert response.status_code == 400, bad
    # A NUL or a control character in the name was a 500 on PostgreSQL.
    for name in ("ci\x00", "ci\x07", "ci\nbot", "x" * 101, "  "):
        response = await client.post(
            "/api/v1/auth/tokens", json={"name": name}, headers=account.headers
        )
        assert response.status_code == 400, name
        assert [e["field"] for e in response.json()["errors"]] == ["name"]
    listed = await client.get("/api/v1/auth/tokens", headers=account.headers)
    assert listed.json()["tokens"] == []
    assert (await client.post("/api/v1/auth/tokens", json={"name": "x"})).status_code == 401
    bad_id = await client.delete("/api/v1/auth/tokens/not-a-uuid", headers=account.headers)
    assert bad_id.status_code == 400
