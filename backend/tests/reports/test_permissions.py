from typing import Any

import httpx
from fastapi import FastAPI

from app.users.models import Role
from tests.conftest import Account
from tests.reports.conftest import (
    add_member,
    connected_business,
    create_share,
    page_path,
    shared,
)


async def test_owner_and_admin_share_members_do_not(
    app: FastAPI,
    client: httpx.AsyncClient,
    owner: Account,
    business: dict[str, Any],
    make_account: Any,
) -> None:
    admin: Account = await make_account()
    member: Account = await make_account()
    outsider: Account = await make_account()
    await add_member(app, business["id"], admin, Role.admin)
    await add_member(app, business["id"], member, Role.member)

    by_admin = await shared(client, admin, business["id"], label="Admin's link")
    by_owner = await shared(client, owner, business["id"])

    refused = await create_share(client, member, business["id"])
    assert refused.status_code == 403
    assert refused.json()["code"] == "insufficient_role"
    revoke = await client.delete(f"/api/v1/reports/shares/{by_owner['id']}", headers=member.headers)
    assert revoke.status_code == 403
    assert revoke.json()["code"] == "insufficient_role"
    # A member may see the links and download the PDF, not change them.
    listed = await client.get(
        "/api/v1/reports/shares", params={"business_id": business["id"]}, headers=member.headers
    )
    assert listed.status_code == 200
    assert {s["id"] for s in listed.json()["shares"]} == {by_admin["id"], by_owner["id"]}
    pdf = await client.get(f"/api/v1/reports/shares/{by_owner['id']}/pdf", headers=member.headers)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"

    # An outsider learns nothing: the business is forbidden, the share does not exist.
    for response in (
        await create_share(client, outsider, business["id"]),
        await client.get(
            "/api/v1/reports/shares",
            params={"business_id": business["id"]},
            headers=outsider.headers,
        ),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "business_forbidden"
    for response in (
        await client.delete(f"/api/v1/reports/shares/{by_owner['id']}", headers=outsider.headers),
        await client.get(f"/api/v1/reports/shares/{by_owner['id']}/pdf", headers=outsider.headers),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "report_share_not_found"
    # Nor does a signed-out caller.
    anonymous = await client.post(
        "/api/v1/reports/shares", json={"business_id": business["id"], "label": "x"}
    )
    assert anonymous.status_code == 401

    revoked = await client.delete(f"/api/v1/reports/shares/{by_admin['id']}", headers=admin.headers)
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"


async def test_a_token_for_one_business_never_shows_another(
    app: FastAPI,
    client: httpx.AsyncClient,
    owner: Account,
    business: dict[str, Any],
    make_account: Any,
) -> None:
    other_owner: Account = await make_account()
    other = await connected_business(client, other_owner, "declining", "Oak & Ember Goods")
    mine = await shared(client, owner, business["id"])
    theirs = await shared(client, other_owner, other["id"])

    page = (await client.get(page_path(mine))).text
    assert "Fern &amp; Fig Software" in page
    assert "Oak" not in page
    assert theirs["code"] not in page
    other_page = (await client.get(page_path(theirs))).text
    assert "Oak &amp; Ember Goods" in other_page
    assert "Fern" not in other_page

    # Each owner sees and revokes only their own business's links.
    listed = await client.get(
        "/api/v1/reports/shares", params={"business_id": other["id"]}, headers=owner.headers
    )
    assert listed.status_code == 403
    cross = await client.delete(f"/api/v1/reports/shares/{theirs['id']}", headers=owner.headers)
    assert cross.status_code == 404
    assert (await client.get(page_path(theirs))).status_code == 200
