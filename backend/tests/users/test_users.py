import uuid

import httpx

from tests.conftest import Account


async def test_me_lists_businesses_with_roles(make_account, client: httpx.AsyncClient) -> None:
    account: Account = await make_account(name="Ada")
    first = await account.create_business("First Co")
    second = await account.create_business("Second Co", currency="EUR", country="de")

    for path in ("/api/v1/users/me", "/api/v1/auth/me"):
        response = await client.get(path, headers=account.headers)
        assert response.status_code == 200
        body = response.json()
        assert body["name"] == "Ada"
        assert body["businesses"] == [
            {"id": first["id"], "name": "First Co", "role": "owner"},
            {"id": second["id"], "name": "Second Co", "role": "owner"},
        ]
    assert second["currency"] == "eur"
    assert second["country"] == "DE"


async def test_update_profile(make_account, client: httpx.AsyncClient) -> None:
    account = await make_account()
    response = await client.patch(
        "/api/v1/users/me",
        json={"name": "  Grace  ", "avatar_url": "https://cdn.example.com/a.png"},
        headers=account.headers,
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Grace"
    assert response.json()["avatar_url"] == "https://cdn.example.com/a.png"

    for bad in ({"name": None}, {"name": ""}, {"avatar_url": "not a url"}, {"email": "x@y.z"}):
        response = await client.patch("/api/v1/users/me", json=bad, headers=account.headers)
        assert response.status_code == 400, bad
        assert response.json()["code"] == "validation_error"
    me = await client.get("/api/v1/users/me", headers=account.headers)
    assert me.json()["name"] == "Grace"


async def test_create_read_update_business(make_account, client: httpx.AsyncClient) -> None:
    account = await make_account()
    created = await account.create_business(
        "Acme",
        legal_entity="Acme LLC",
        industry="saas",
        revenue_estimate=12_000_000,
        founded_at="2021-03-01",
        country="US",
    )
    assert created["role"] == "owner"
    assert created["currency"] == "usd"
    url = f"/api/v1/users/businesses/{created['id']}"

    response = await client.get(url, headers=account.headers)
    assert response.status_code == 200
    assert response.json()["legal_entity"] == "Acme LLC"

    response = await client.patch(
        url, json={"industry": "ecommerce", "legal_entity": None}, headers=account.headers
    )
    assert response.status_code == 200
    body = response.json()
    assert body["industry"] == "ecommerce"
    assert body["legal_entity"] is None
    assert body["name"] == "Acme"


async def test_business_validation_errors_lose_nothing(
    make_account, client: httpx.AsyncClient
) -> None:
    account = await make_account()
    business = await account.create_business("Keep Me")
    url = f"/api/v1/users/businesses/{business['id']}"
    cases = [
        {"currency": "dollars"},
        {"country": "USA"},
        {"revenue_estimate": -5},
        {"founded_at": "2999-01-01"},
        {"name": None},
        {"name": "x" * 201},
        {"unknown_field": 1},
    ]
    for body in cases:
        response = await client.patch(url, json=body, headers=account.headers)
        assert response.status_code == 400, body
        error = response.json()
        assert error["code"] == "validation_error"
        assert error["errors"]
        assert all("field" in e and "message" in e for e in error["errors"])
    unchanged = (await client.get(url, headers=account.headers)).json()
    assert unchanged["name"] == "Keep Me"
    assert unchanged["currency"] == "usd"

    response = await client.post(
        "/api/v1/users/businesses", json={"currency": "usd"}, headers=account.headers
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "name"


async def test_only_owner_or_admin_may_update(make_account, client: httpx.AsyncClient, db) -> None:
    from app.users import service as users_service
    from app.users.models import Role

    owner = await make_account()
    member = await make_account()
    admin = await make_account()
    business = await owner.create_business("Shared")
    async with db.session() as session:
        await users_service.add_member(
            session, uuid.UUID(business["id"]), uuid.UUID(member.id), Role.member
        )
        await users_service.add_member(
            session, uuid.UUID(business["id"]), uuid.UUID(admin.id), Role.admin
        )
    url = f"/api/v1/users/businesses/{business['id']}"

    assert (await client.get(url, headers=member.headers)).json()["role"] == "member"
    response = await client.patch(url, json={"name": "Hijacked"}, headers=member.headers)
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_role"

    response = await client.patch(url, json={"name": "Renamed"}, headers=admin.headers)
    assert response.status_code == 200
    assert (await client.get(url, headers=owner.headers)).json()["name"] == "Renamed"


async def test_users_endpoints_require_auth(client: httpx.AsyncClient) -> None:
    for method, path in [
        ("GET", "/api/v1/users/me"),
        ("PATCH", "/api/v1/users/me"),
        ("POST", "/api/v1/users/businesses"),
        ("GET", f"/api/v1/users/businesses/{uuid.uuid4()}"),
        ("PATCH", f"/api/v1/users/businesses/{uuid.uuid4()}"),
    ]:
        response = await client.request(method, path, json={})
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["code"] == "not_authenticated"
