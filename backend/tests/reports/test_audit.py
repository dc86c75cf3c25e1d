import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from app.reports import service
from tests.conftest import Account
from tests.reports.conftest import Clock, page_path, shared


async def _shares(client: httpx.AsyncClient, owner: Account, business_id: str) -> Any:
    response = await client.get(
        "/api/v1/reports/shares", params={"business_id": business_id}, headers=owner.headers
    )
    return response.json()["shares"][0]


async def test_views_are_counted_once_per_minute_per_visitor(
    app: FastAPI,
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    owner: Account,
    business: dict[str, Any],
    clock: Clock,
) -> None:
    share = await shared(client, owner, business["id"])
    assert share["view_count"] == 0
    assert share["last_viewed_at"] is None

    for _ in range(3):  # a refresh, twice
        assert (await other_client.get(page_path(share))).status_code == 200
    listed = await _shares(client, owner, business["id"])
    assert listed["view_count"] == 1
    assert listed["last_viewed_at"] is not None

    assert (await client.get(page_path(share))).status_code == 200  # another visitor
    assert (await _shares(client, owner, business["id"]))["view_count"] == 2

    clock.advance(seconds=61)
    assert (await other_client.get(page_path(share))).status_code == 200
    assert (await _shares(client, owner, business["id"]))["view_count"] == 3
    # A download is audited, not counted as a view.
    assert (await other_client.get(page_path(share) + ".pdf")).status_code == 200
    assert (await _shares(client, owner, business["id"]))["view_count"] == 3

    await client.delete(f"/api/v1/reports/shares/{share['id']}", headers=owner.headers)
    async with app.state.db.session() as session:
        trail = await service.audit_trail(session, uuid.UUID(share["id"]))
    assert [entry.action for entry in trail] == [
        "create",
        "view",
        "view",
        "view",
        "download",
        "revoke",
    ]
    for entry in trail:
        assert len(entry.client_hash) == 64
        assert "198.51.100.7" not in entry.client_hash
        assert entry.at.tzinfo is not None
    visitors = {entry.client_hash for entry in trail if entry.action == "view"}
    assert len(visitors) == 2  # the two addresses, told apart without being stored
