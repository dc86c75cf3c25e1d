"""GET /recommendations and PATCH /recommendations/{id}, with business scoping."""

import uuid

import httpx

from app.core.db import Database
from app.recommendations import service
from app.users import service as users_service
from app.users.models import Business
from tests.conftest import Account
from tests.recommendations.conftest import put_snapshot

API = "/api/v1/recommendations"


async def with_recommendations(db: Database, business_id: str) -> Business:
    async with db.session() as session:
        business = await users_service.get_business(session, uuid.UUID(business_id))
        assert business is not None
    await put_snapshot(db, business, refund_rate_amount=0.15, top_customer_share=0.3)
    async with db.session() as session:
        await service.generate_recommendations(session, business)
    return business


async def test_list_and_update(make_account, client: httpx.AsyncClient, db) -> None:
    account: Account = await make_account()
    business = await account.create_business("Shop")
    params = {"business_id": business["id"]}
    response = await client.get(API, params=params, headers=account.headers)
    assert response.status_code == 200
    assert response.json() == {"recommendations": []}

    await with_recommendations(db, business["id"])
    response = await client.get(API, params=params, headers=account.headers)
    recs = [r for r in response.json()["recommendations"] if r["category"] != "funding"]
    assert {rec["rule_id"] for rec in recs} == {"refund_rate_high", "top_customer_concentration"}
    assert all(rec["priority"] == "high" and rec["status"] == "open" for rec in recs)
    assert recs[0]["impact"] >= recs[1]["impact"]
    target = recs[0]

    response = await client.patch(
        f"{API}/{target['id']}", json={"status": "dismissed"}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "dismissed"
    assert response.json()["dismissed_at"]

    response = await client.get(API, params={**params, "status": "open"}, headers=account.headers)
    still_open = response.json()["recommendations"]
    assert [rec["id"] for rec in still_open if rec["category"] != "funding"] == [recs[1]["id"]]
    response = await client.get(
        API, params={**params, "status": "dismissed", "priority": "high"}, headers=account.headers
    )
    assert [rec["id"] for rec in response.json()["recommendations"]] == [target["id"]]

    response = await client.patch(
        f"{API}/{target['id']}", json={"status": "accepted"}, headers=account.headers
    )
    assert response.json()["status"] == "accepted"

    for body in ({"status": "resolved"}, {}, {"status": "accepted", "x": 1}):
        response = await client.patch(f"{API}/{target['id']}", json=body, headers=account.headers)
        assert response.status_code == 400, body
    for query in ({"status": "nope"}, {"priority": "urgent"}):
        response = await client.get(API, params={**params, **query}, headers=account.headers)
        assert response.status_code == 400, query
    response = await client.patch(
        f"{API}/{uuid.uuid4()}", json={"status": "accepted"}, headers=account.headers
    )
    assert response.status_code == 404
    assert response.json()["code"] == "recommendation_not_found"
    response = await client.patch(
        f"{API}/not-a-uuid", json={"status": "accepted"}, headers=account.headers
    )
    assert response.status_code == 400


async def test_undo_reopens_and_clears_the_decision(
    make_account, client: httpx.AsyncClient, db
) -> None:
    account: Account = await make_account()
    business = await account.create_business("Shop")
    await with_recommendations(db, business["id"])
    params = {"business_id": business["id"]}
    recs = (await client.get(API, params=params, headers=account.headers)).json()["recommendations"]
    url = f"{API}/{recs[0]['id']}"

    for decision, stamp in (("dismissed", "dismissed_at"), ("accepted", "accepted_at")):
        response = await client.patch(url, json={"status": decision}, headers=account.headers)
        assert response.json()[stamp], decision
        response = await client.patch(url, json={"status": "open"}, headers=account.headers)
        assert response.status_code == 200, response.text
        undone = response.json()
        assert undone["status"] == "open"
        assert (undone["accepted_at"], undone["dismissed_at"]) == (None, None)
        assert undone["opened_at"] == recs[0]["opened_at"]

    # Undone, a dismissal no longer holds the recommendation back: it stays open when the
    # rules run again, and still resolves when its condition clears.
    found = await with_recommendations(db, business["id"])
    listed = (
        await client.get(API, params={**params, "status": "open"}, headers=account.headers)
    ).json()["recommendations"]
    assert recs[0]["id"] in {rec["id"] for rec in listed}
    await put_snapshot(db, found)
    async with db.session() as session:
        await service.generate_recommendations(session, found)
    response = await client.patch(url, json={"status": "open"}, headers=account.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "recommendation_resolved"
    resolved = (await client.get(API, params=params, headers=account.headers)).json()[
        "recommendations"
    ]
    resolved = [rec for rec in resolved if rec["category"] != "funding"]
    assert all(rec["status"] == "resolved" and rec["resolved_at"] for rec in resolved)


async def test_resolved_cannot_be_accepted(make_account, client: httpx.AsyncClient, db) -> None:
    account: Account = await make_account()
    business = await account.create_business("Shop")
    found = await with_recommendations(db, business["id"])
    await put_snapshot(db, found)  # healthy again: everything resolves
    async with db.session() as session:
        await service.generate_recommendations(session, found)
    recs = (
        await client.get(API, params={"business_id": business["id"]}, headers=account.headers)
    ).json()["recommendations"]
    # Healthy again: the score rules resolve, and the funding next steps stay open.
    funding = [rec for rec in recs if rec["category"] == "funding"]
    assert funding
    assert {rec["status"] for rec in funding} == {"open"}
    recs = [rec for rec in recs if rec["category"] != "funding"]
    assert {rec["status"] for rec in recs} == {"resolved"}
    response = await client.patch(
        f"{API}/{recs[0]['id']}", json={"status": "accepted"}, headers=account.headers
    )
    assert response.status_code == 409
    assert response.json()["code"] == "recommendation_resolved"


async def test_other_business_is_forbidden(make_account, client: httpx.AsyncClient, db) -> None:
    alice: Account = await make_account()
    bob: Account = await make_account()
    await alice.create_business("Alice Co")
    bobs = await bob.create_business("Bob Co")
    await with_recommendations(db, bobs["id"])
    recs = (await client.get(API, params={"business_id": bobs["id"]}, headers=bob.headers)).json()[
        "recommendations"
    ]

    response = await client.get(API, params={"business_id": bobs["id"]}, headers=alice.headers)
    assert response.status_code == 403
    response = await client.patch(
        f"{API}/{recs[0]['id']}", json={"status": "dismissed"}, headers=alice.headers
    )
    assert response.status_code == 403
    assert response.json()["code"] == "business_forbidden"
    unchanged = (
        await client.get(API, params={"business_id": bobs["id"]}, headers=bob.headers)
    ).json()["recommendations"]
    assert {rec["status"] for rec in unchanged} == {"open"}
