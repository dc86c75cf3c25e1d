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


async def test_control_characters_are_refused_and_nothing_is_stored(
    make_account, client: httpx.AsyncClient
) -> None:
    # A NUL reached PostgreSQL and was a 500; every text field now answers 400 and names itself.
    account = await make_account(name="Ada")
    business = await account.create_business("Keep Me", industry="saas")
    url = f"/api/v1/users/businesses/{business['id']}"
    cases = [
        ("PATCH", "/api/v1/users/me", {"name": "Ada\x00"}, "name"),
        ("PATCH", "/api/v1/users/me", {"name": "Ada\x1b[2J"}, "name"),
        ("PATCH", "/api/v1/users/me", {"name": "Ada\nLovelace"}, "name"),
        ("POST", "/api/v1/users/businesses", {"name": "New\x00Co"}, "name"),
        (
            "POST",
            "/api/v1/users/businesses",
            {"name": "New", "legal_entity": "\x00"},
            "legal_entity",
        ),
        ("POST", "/api/v1/users/businesses", {"name": "New", "industry": "sa\x08as"}, "industry"),
        ("PATCH", url, {"name": "Re\x00named"}, "name"),
        ("PATCH", url, {"legal_entity": "Acme\tLLC"}, "legal_entity"),
        ("PATCH", url, {"industry": "\x00"}, "industry"),
    ]
    for method, path, body, field in cases:
        response = await client.request(method, path, json=body, headers=account.headers)
        assert response.status_code == 400, (path, body, response.text)
        error = response.json()
        assert error["code"] == "validation_error"
        assert [e["field"] for e in error["errors"]] == [field], body
    me = (await client.get("/api/v1/users/me", headers=account.headers)).json()
    assert me["name"] == "Ada"
    assert [b["name"] for b in me["businesses"]] == ["Keep Me"]
    unchanged = (await client.get(url, headers=account.headers)).json()
    assert (unchanged["legal_entity"], unchanged["industry"]) == (None, "saas")


async def test_text_is_normalised_before_it_is_stored(
    make_account, client: httpx.AsyncClient
) -> None:
    account = await make_account()
    response = await client.patch(
        "/api/v1/users/me", json={"name": "  Zoe\u0301  "}, headers=account.headers
    )
    assert response.json()["name"] == "Zo\u00e9"
    # 100 decomposed "é" are 200 code points, but 100 once composed: they fit the column.
    business = await account.create_business("Caf\u00e9", industry="e\u0301" * 100)
    assert business["industry"] == "\u00e9" * 100


async def test_no_field_accepts_more_than_its_column_holds(
    make_account, client: httpx.AsyncClient
) -> None:
    # `industry` allowed 200 characters into a 100-character column, `avatar_url` 2,083 into
    # 2,048: PostgreSQL refused them with a 500.
    account = await make_account(name="Ada")
    business = await account.create_business("Keep Me")
    url = f"/api/v1/users/businesses/{business['id']}"
    avatar = "https://cdn.example.com/"
    cases = [
        ("POST", "/api/v1/users/businesses", {"name": "New", "industry": "x" * 101}, "industry"),
        ("PATCH", url, {"industry": "x" * 101}, "industry"),
        ("PATCH", url, {"legal_entity": "x" * 201}, "legal_entity"),
        ("PATCH", "/api/v1/users/me", {"name": "x" * 201}, "name"),
        ("PATCH", "/api/v1/users/me", {"avatar_url": avatar + "a" * (2049 - len(avatar))}, None),
        # 1,000 characters, but 3,000 once "é" is percent-encoded as stored.
        ("PATCH", "/api/v1/users/me", {"avatar_url": avatar + "\u00e9" * 1000}, None),
    ]
    for method, path, body, field in cases:
        response = await client.request(method, path, json=body, headers=account.headers)
        assert response.status_code == 400, (body, response.text)
        assert [e["field"] for e in response.json()["errors"]] == [field or "avatar_url"]
    fits = avatar + "a" * (2048 - len(avatar))
    response = await client.patch(
        "/api/v1/users/me", json={"avatar_url": fits}, headers=account.headers
    )
    assert response.status_code == 200
    assert response.json()["avatar_url"] == fits
    created = await account.create_business("Wide", industry="x" * 100)
    assert len(created["industry"]) == 100
    me = (await client.get("/api/v1/users/me", headers=account.headers)).json()
    assert [b["name"] for b in me["businesses"]] == ["Keep Me", "Wide"]
    assert (await client.get(url, headers=account.headers)).json()["industry"] is None


async def test_revenue_estimate_is_64_bit_and_bounded(
    make_account, client: httpx.AsyncClient
) -> None:
    # $50M a year is 5 billion cents: more than a 32-bit column holds (a 500 before).
    account = await make_account()
    business = await account.create_business("Big", revenue_estimate=5_000_000_000)
    url = f"/api/v1/users/businesses/{business['id']}"
    assert (await client.get(url, headers=account.headers)).json()["revenue_estimate"] == (
        5_000_000_000
    )
    # The bound: the largest integer a JavaScript client holds exactly ($90 trillion).
    largest = 2**53 - 1
    response = await client.patch(url, json={"revenue_estimate": largest}, headers=account.headers)
    assert response.json()["revenue_estimate"] == largest
    for too_large in (2**53, 2**63, 10**400):
        response = await client.patch(
            url, json={"revenue_estimate": too_large}, headers=account.headers
        )
        assert response.status_code == 400
        assert [e["field"] for e in response.json()["errors"]] == ["revenue_estimate"]
    assert (await client.get(url, headers=account.headers)).json()["revenue_estimate"] == largest
