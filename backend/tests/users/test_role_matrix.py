"""The role matrix for the team routes: owner, admin, member and outsider against each one.

Every cell runs on a fresh team, so a destructive call (a removal, a deletion) cannot change
what the next cell sees.
"""

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from app.core.db import Database
from tests.conftest import Account
from tests.teams.helpers import Team, invitation_token, invite, make_team

ROLES = ("owner", "admin", "member", "outsider")
Call = Callable[[httpx.AsyncClient, Team, Account], Awaitable[httpx.Response]]


async def _invite(client: httpx.AsyncClient, team: Team, actor: Account) -> httpx.Response:
    return await invite(client, team.url, actor, f"new-{uuid.uuid4().hex[:8]}@example.com")


async def _list_invitations(
    client: httpx.AsyncClient, team: Team, actor: Account
) -> httpx.Response:
    return await client.get(f"{team.url}/invitations", headers=actor.headers)


async def _revoke_invitation(
    client: httpx.AsyncClient, team: Team, actor: Account
) -> httpx.Response:
    created = await _invite(client, team, team.owner)
    return await client.delete(
        f"{team.url}/invitations/{created.json()['id']}", headers=actor.headers
    )


async def _list_members(client: httpx.AsyncClient, team: Team, actor: Account) -> httpx.Response:
    return await client.get(f"{team.url}/members", headers=actor.headers)


async def _promote_member(client: httpx.AsyncClient, team: Team, actor: Account) -> httpx.Response:
    return await client.patch(
        f"{team.url}/members/{team.member.id}", json={"role": "admin"}, headers=actor.headers
    )


async def _remove_extra_member(
    client: httpx.AsyncClient, team: Team, actor: Account
) -> httpx.Response:
    # Someone other than the actor: leaving is allowed to everyone, and tested elsewhere.
    extra = team.member if actor is not team.member else team.admin
    return await client.delete(f"{team.url}/members/{extra.id}", headers=actor.headers)


async def _delete_business(client: httpx.AsyncClient, team: Team, actor: Account) -> httpx.Response:
    return await client.request(
        "DELETE", team.url, json={"confirm": team.business["name"]}, headers=actor.headers
    )


# route -> expected status for owner, admin, member, outsider
MATRIX: dict[str, tuple[Call, tuple[int, int, int, int]]] = {
    "POST invitations": (_invite, (201, 201, 403, 403)),
    "GET invitations": (_list_invitations, (200, 200, 403, 403)),
    "DELETE invitations/{id}": (_revoke_invitation, (204, 204, 403, 403)),
    "GET members": (_list_members, (200, 200, 200, 403)),
    "PATCH members/{id}": (_promote_member, (200, 200, 403, 403)),
    "DELETE members/{id}": (_remove_extra_member, (204, 204, 403, 403)),
    "DELETE business": (_delete_business, (204, 403, 403, 403)),
}


@pytest.mark.parametrize("route", list(MATRIX))
async def test_role_matrix(
    route: str, make_account: Any, client: httpx.AsyncClient, db: Database
) -> None:
    call, expected = MATRIX[route]
    seen = {}
    for role in ROLES:
        team = await make_team(make_account, db)
        response = await call(client, team, team.by_role()[role])
        seen[role] = response.status_code
        if response.status_code == 403:
            assert response.json()["code"] in {
                "business_forbidden",
                "insufficient_role",
                "owner_role_required",
            }, response.text
            if role == "outsider":
                assert response.json()["code"] == "business_forbidden"
    assert seen == dict(zip(ROLES, expected, strict=True))


async def test_accepting_depends_on_the_address_not_the_role(
    make_account: Any, client: httpx.AsyncClient, db: Database
) -> None:
    team = await make_team(make_account, db)
    await invite(client, team.url, team.owner, team.outsider.user["email"], "admin")
    token = await invitation_token(db, team.outsider.user["email"])
    for actor in (team.owner, team.admin, team.member):
        response = await client.post(
            "/api/v1/invitations/accept", json={"token": token}, headers=actor.headers
        )
        assert response.status_code == 403
        assert response.json()["code"] == "invitation_email_mismatch"
    preview = await client.get("/api/v1/invitations/preview", params={"token": token})
    assert preview.status_code == 200
    response = await client.post(
        "/api/v1/invitations/accept", json={"token": token}, headers=team.outsider.headers
    )
    assert response.status_code == 200
    assert response.json()["role"] == "admin"


async def test_deleting_an_account_by_role(
    make_account: Any, client: httpx.AsyncClient, db: Database
) -> None:
    expected = {"owner": 409, "admin": 204, "member": 204, "outsider": 204}
    for role, status in expected.items():
        team = await make_team(make_account, db)
        actor = team.by_role()[role]
        response = await client.delete("/api/v1/users/me", headers=actor.headers)
        assert response.status_code == status, (role, response.text)
        if status == 409:
            assert response.json()["code"] == "sole_owner_of_shared_business"
        # The business is untouched either way: the others still see it.
        assert (await client.get(team.url, headers=team.owner.headers)).status_code == 200


async def test_team_routes_require_sign_in(client: httpx.AsyncClient) -> None:
    business = f"/api/v1/users/businesses/{uuid.uuid4()}"
    for method, path in [
        ("POST", f"{business}/invitations"),
        ("GET", f"{business}/invitations"),
        ("DELETE", f"{business}/invitations/{uuid.uuid4()}"),
        ("GET", f"{business}/members"),
        ("PATCH", f"{business}/members/{uuid.uuid4()}"),
        ("DELETE", f"{business}/members/{uuid.uuid4()}"),
        ("DELETE", business),
        ("DELETE", "/api/v1/users/me"),
        ("POST", "/api/v1/invitations/accept"),
    ]:
        response = await client.request(method, path, json={})
        assert response.status_code == 401, (method, path)
        assert response.json()["code"] == "not_authenticated"
