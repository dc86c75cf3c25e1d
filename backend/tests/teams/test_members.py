"""Roles and removal: who may change whom, ownership transfer, and the last owner."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.core.db import Database
from app.teams.models import Invitation
from app.users.models import Membership
from tests.conftest import TEST_DB
from tests.teams.helpers import invitation_token, invite, make_team


async def roles(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> dict[str, str]:
    response = await client.get(f"{url}/members", headers=headers)
    assert response.status_code == 200, response.text
    return {m["user_id"]: m["role"] for m in response.json()}


async def test_ownership_transfer_then_the_first_owner_steps_down_and_leaves(
    make_account: Any, client: httpx.AsyncClient, db: Database
) -> None:
    team = await make_team(make_account, db)
    owner, admin = team.owner, team.admin

    # The only owner cannot step down or leave.
    for call in (
        client.patch(
            f"{team.url}/members/{owner.id}", json={"role": "admin"}, headers=owner.headers
        ),
        client.delete(f"{team.url}/members/{owner.id}", headers=owner.headers),
    ):
        response = await call
        assert response.status_code == 409
        assert response.json()["code"] == "last_owner"

    promoted = await client.patch(
        f"{team.url}/members/{admin.id}", json={"role": "owner"}, headers=owner.headers
    )
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["role"] == "owner"
    stepped = await client.patch(
        f"{team.url}/members/{owner.id}", json={"role": "member"}, headers=owner.headers
    )
    assert stepped.status_code == 200
    assert (await roles(client, team.url, admin.headers))[owner.id] == "member"
    # Now a member: can no longer change roles.
    response = await client.patch(
        f"{team.url}/members/{team.member.id}", json={"role": "admin"}, headers=owner.headers
    )
    assert response.status_code == 403
    left = await client.delete(f"{team.url}/members/{owner.id}", headers=owner.headers)
    assert left.status_code == 204
    assert (await client.get(team.url, headers=owner.headers)).status_code == 403
    assert owner.id not in await roles(client, team.url, admin.headers)


async def test_admins_manage_members_but_not_owners(
    make_account: Any, client: httpx.AsyncClient, db: Database
) -> None:
    team = await make_team(make_account, db)
    admin, member, owner = team.admin, team.member, team.owner
    other_admin = await make_account()

    await invite(client, team.url, owner, other_admin.user["email"], "admin")
    token = await invitation_token(db, other_admin.user["email"])
    accepted = await client.post(
        "/api/v1/invitations/accept", json={"token": token}, headers=other_admin.headers
    )
    assert accepted.status_code == 200

    def patch(actor: Any, target: Any, role: str) -> Any:
        return client.patch(
            f"{team.url}/members/{target.id}", json={"role": role}, headers=actor.headers
        )

    assert (await patch(admin, member, "admin")).status_code == 200
    # Once an admin, only an owner (or they themselves) may change them.
    assert (await patch(admin, member, "member")).status_code == 403
    assert (await patch(owner, member, "member")).status_code == 200
    for target, role in ((member, "owner"), (owner, "member"), (other_admin, "member")):
        response = await patch(admin, target, role)
        assert response.status_code == 403, (target.id, role)
        assert response.json()["code"] == "owner_role_required"
    # An admin may step down to member.
    assert (await patch(other_admin, other_admin, "member")).status_code == 200

    cannot = await client.delete(f"{team.url}/members/{owner.id}", headers=admin.headers)
    assert cannot.status_code == 403
    assert cannot.json()["code"] == "owner_role_required"
    by_member = await client.delete(f"{team.url}/members/{admin.id}", headers=member.headers)
    assert by_member.status_code == 403
    assert by_member.json()["code"] == "insufficient_role"
    removed = await client.delete(f"{team.url}/members/{member.id}", headers=admin.headers)
    assert removed.status_code == 204
    assert (await client.get(team.url, headers=member.headers)).status_code == 403
    gone = await client.delete(f"{team.url}/members/{member.id}", headers=admin.headers)
    assert gone.status_code == 404
    assert gone.json()["code"] == "member_not_found"

    for body in ({"role": "emperor"}, {}, {"role": "member", "extra": 1}):
        response = await client.patch(
            f"{team.url}/members/{other_admin.id}", json=body, headers=owner.headers
        )
        assert response.status_code == 400, body
    bad_id = await client.patch(
        f"{team.url}/members/not-a-uuid", json={"role": "member"}, headers=owner.headers
    )
    assert bad_id.status_code == 400


async def test_a_member_may_leave(
    make_account: Any, client: httpx.AsyncClient, db: Database
) -> None:
    team = await make_team(make_account, db)
    response = await client.delete(
        f"{team.url}/members/{team.member.id}", headers=team.member.headers
    )
    assert response.status_code == 204
    assert (await client.get(team.url, headers=team.member.headers)).status_code == 403


@asynccontextmanager
async def rows_held(db: Database, query: Any) -> AsyncIterator[None]:
    """Holds `query`'s rows locked (FOR UPDATE) for the block, so requests started inside it
    queue on those rows and then run their checks one after the other, or both at once if the
    code does not lock them."""
    async with db.session() as session:
        await session.execute(query.with_for_update())
        yield
        await asyncio.sleep(0.5)  # every request has reached the locked rows


@pytest.mark.skipif(TEST_DB != "postgres", reason="row locks: PostgreSQL")
async def test_two_owners_stepping_down_at_once_leave_one_owner(
    make_account: Any, client: httpx.AsyncClient, db: Database
) -> None:
    team = await make_team(make_account, db)
    promoted = await client.patch(
        f"{team.url}/members/{team.admin.id}", json={"role": "owner"}, headers=team.owner.headers
    )
    assert promoted.status_code == 200
    held = select(Membership).where(Membership.business_id == uuid.UUID(team.id))
    async with rows_held(db, held):
        step_down = asyncio.create_task(
            client.patch(
                f"{team.url}/members/{team.owner.id}",
                json={"role": "member"},
                headers=team.owner.headers,
            )
        )
        leave = asyncio.create_task(
            client.delete(f"{team.url}/members/{team.admin.id}", headers=team.admin.headers)
        )
    first, second = await step_down, await leave
    assert sorted([first.status_code, second.status_code]) in ([200, 409], [204, 409])
    owners = list((await roles(client, team.url, team.member.headers)).values())
    assert owners.count("owner") == 1


@pytest.mark.skipif(TEST_DB != "postgres", reason="row locks: PostgreSQL")
async def test_an_invitation_accepted_twice_at_once_is_used_once(
    make_account: Any, client: httpx.AsyncClient, db: Database
) -> None:
    team = await make_team(make_account, db)
    invitee = await make_account()
    await invite(client, team.url, team.owner, invitee.user["email"])
    token = await invitation_token(db, invitee.user["email"])
    async with rows_held(db, select(Invitation)):
        tasks = [
            asyncio.create_task(
                client.post(
                    "/api/v1/invitations/accept", json={"token": token}, headers=invitee.headers
                )
            )
            for _ in range(3)
        ]
    responses = [await task for task in tasks]
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 410, 410], [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 410} == {"invitation_used"}
