"""Invitations through the API: invite, read the email, accept, and what a used, expired,
withdrawn or forged link answers."""

import hashlib
import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select, update

from app.core.db import Database, utcnow
from app.notifications import service as notifications_service
from app.teams import service as teams_service
from app.teams.models import Invitation
from tests.teams.helpers import invitation_token, invite, make_team


async def test_the_whole_invitation_flow(
    make_account: Any, client: httpx.AsyncClient, db: Database
) -> None:
    owner = await make_account(name="Olive Owner")
    business = await owner.create_business("Flow Co")
    url = f"/api/v1/users/businesses/{business['id']}"

    response = await invite(client, url, owner, "New.Person@Example.COM", "admin")
    assert response.status_code == 201, response.text
    invitation = response.json()
    assert invitation["email"] == "new.person@example.com"
    assert invitation["role"] == "admin"
    assert invitation["invited_by"] == "Olive Owner"
    pending = await client.get(f"{url}/invitations", headers=owner.headers)
    assert [i["id"] for i in pending.json()] == [invitation["id"]]

    async with db.session() as session:
        emails = await notifications_service.list_outbox(session, to="new.person@example.com")
    assert len(emails) == 1
    assert emails[0].subject == "Olive Owner invited you to Flow Co on Vaultra"
    assert "as an admin" in emails[0].body
    assert "http://frontend.test/invitations/accept?token=" in emails[0].body
    token = await invitation_token(db, "new.person@example.com")

    # Only the token's hash is stored.
    async with db.session() as session:
        row = (await session.execute(select(Invitation))).scalar_one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in row.token_hash
    assert timedelta(days=6, hours=23) < row.expires_at - row.created_at <= timedelta(days=7)

    # The page shows what the invitation offers before anyone signs in.
    preview = await client.get("/api/v1/invitations/preview", params={"token": token})
    assert preview.status_code == 200, preview.text
    assert preview.json()["business_name"] == "Flow Co"
    assert preview.json()["email"] == "new.person@example.com"
    assert preview.json()["role"] == "admin"

    # Not signed in: 401, and the invitation is still usable.
    anonymous = await client.post("/api/v1/invitations/accept", json={"token": token})
    assert anonymous.status_code == 401

    # Another address cannot use it.
    stranger = await make_account()
    wrong = await client.post(
        "/api/v1/invitations/accept", json={"token": token}, headers=stranger.headers
    )
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "invitation_email_mismatch"

    # The invitee signed up with another case: still a match.
    invitee = await make_account(email="NEW.person@example.com", name="Nia New")
    before = await client.get(url, headers=invitee.headers)
    assert before.status_code == 403
    accepted = await client.post(
        "/api/v1/invitations/accept", json={"token": token}, headers=invitee.headers
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {"id": business["id"], "name": "Flow Co", "role": "admin"}
    after = await client.get(url, headers=invitee.headers)
    assert after.status_code == 200
    assert after.json()["role"] == "admin"
    members = await client.get(f"{url}/members", headers=invitee.headers)
    assert [(m["name"], m["role"]) for m in members.json()] == [
        ("Olive Owner", "owner"),
        ("Nia New", "admin"),
    ]
    assert (await client.get(f"{url}/invitations", headers=owner.headers)).json() == []

    # Single use.
    again = await client.post(
        "/api/v1/invitations/accept", json={"token": token}, headers=invitee.headers
    )
    assert again.status_code == 410
    assert again.json()["code"] == "invitation_used"

    # Removed: the next request is refused.
    removed = await client.delete(f"{url}/members/{invitee.id}", headers=owner.headers)
    assert removed.status_code == 204
    assert (await client.get(url, headers=invitee.headers)).status_code == 403
    assert (await client.get(f"{url}/members", headers=invitee.headers)).status_code == 403


async def test_expired_revoked_and_replaced_links_answer_410(
    make_account: Any, client: httpx.AsyncClient, db: Database
) -> None:
    owner = await make_account()
    business = await owner.create_business("Gone Co")
    url = f"/api/v1/users/businesses/{business['id']}"
    invitee = await make_account(email="late@example.com")

    await invite(client, url, owner, "late@example.com")
    first = await invitation_token(db, "late@example.com")
    # Inviting the same address again withdraws the first link.
    replaced = await invite(client, url, owner, "late@example.com")
    assert replaced.status_code == 201
    second = await invitation_token(db, "late@example.com")
    assert second != first
    response = await client.post(
        "/api/v1/invitations/accept", json={"token": first}, headers=invitee.headers
    )
    assert response.status_code == 410
    assert response.json()["code"] == "invitation_revoked"

    # Expired.
    async with db.session() as session:
        await session.execute(
            update(Invitation)
            .where(Invitation.id == uuid.UUID(replaced.json()["id"]))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    for call in (
        client.post("/api/v1/invitations/accept", json={"token": second}, headers=invitee.headers),
        client.get("/api/v1/invitations/preview", params={"token": second}),
    ):
        response = await call
        assert response.status_code == 410
        assert response.json()["code"] == "invitation_expired"
    # An expired invitation is no longer pending.
    assert (await client.get(f"{url}/invitations", headers=owner.headers)).json() == []

    # Withdrawn by the owner.
    third = await invite(client, url, owner, "late@example.com")
    token = await invitation_token(db, "late@example.com")
    revoked = await client.delete(f"{url}/invitations/{third.json()['id']}", headers=owner.headers)
    assert revoked.status_code == 204
    again = await client.delete(f"{url}/invitations/{third.json()['id']}", headers=owner.headers)
    assert again.status_code == 404
    response = await client.post(
        "/api/v1/invitations/accept", json={"token": token}, headers=invitee.headers
    )
    assert response.status_code == 410
    assert response.json()["code"] == "invitation_revoked"
    assert (await client.get(url, headers=invitee.headers)).status_code == 403


async def test_forged_and_unknown_tokens(
    make_account: Any, client: httpx.AsyncClient, settings: Any
) -> None:
    account = await make_account()
    for token in ("nonsense", "abc.def", "x" * 43 + "." + "y" * 22):
        response = await client.post(
            "/api/v1/invitations/accept", json={"token": token}, headers=account.headers
        )
        assert response.status_code == 400, token
        assert response.json()["code"] == "invitation_invalid"
    # Correctly signed but never issued (or its business was deleted).
    unknown = teams_service.new_token(settings.resolved_jwt_secret())
    response = await client.post(
        "/api/v1/invitations/accept", json={"token": unknown}, headers=account.headers
    )
    assert response.status_code == 404
    assert response.json()["code"] == "invitation_not_found"
    for body in ({}, {"token": ""}, {"token": "a" * 201}, {"token": "a", "extra": 1}):
        response = await client.post(
            "/api/v1/invitations/accept", json=body, headers=account.headers
        )
        assert response.status_code == 400, body


async def test_who_may_invite_whom(
    make_account: Any, client: httpx.AsyncClient, db: Database
) -> None:
    team = await make_team(make_account, db)
    owner_invite = await invite(client, team.url, team.admin, "boss@example.com", "owner")
    assert owner_invite.status_code == 403
    assert owner_invite.json()["code"] == "owner_role_required"
    admin_invite = await invite(client, team.url, team.admin, "helper@example.com", "admin")
    assert admin_invite.status_code == 201
    by_member = await invite(client, team.url, team.member, "friend@example.com")
    assert by_member.status_code == 403
    assert by_member.json()["code"] == "insufficient_role"
    by_owner = await invite(client, team.url, team.owner, "co-founder@example.com", "owner")
    assert by_owner.status_code == 201
    # An admin cannot withdraw an owner's invitation either.
    response = await client.delete(
        f"{team.url}/invitations/{by_owner.json()['id']}", headers=team.admin.headers
    )
    assert response.status_code == 403

    existing = await invite(client, team.url, team.owner, team.member.user["email"].upper())
    assert existing.status_code == 409
    assert existing.json()["code"] == "already_member"

    for body in (
        {"email": "not-an-email"},
        {"email": "a@example.com", "role": "emperor"},
        {"email": "a\x00b@example.com"},
        {"email": "x" * 320 + "@example.com"},
        {},
    ):
        response = await client.post(
            f"{team.url}/invitations", json=body, headers=team.owner.headers
        )
        assert response.status_code == 400, body
    async with db.session() as session:
        assert await notifications_service.list_outbox(session, to="boss@example.com") == []
        assert await notifications_service.list_outbox(session, to="friend@example.com") == []


def test_the_invitation_email_has_a_text_and_an_escaped_html_part() -> None:
    from datetime import UTC, datetime

    from app.users.models import Role

    link = "http://frontend.test/invitations/accept?token=abc.def"
    email = teams_service.render_invitation(
        inviter="Olive <Owner>",
        business="Bits & <b>Bolts</b>",
        role=Role.admin,
        link=link,
        expires_at=datetime(2026, 12, 10, 6, 0, tzinfo=UTC),
    )
    assert email.subject == "Olive <Owner> invited you to Bits & <b>Bolts</b> on Vaultra"
    assert link in email.text
    assert "expires on 10 December 2026, 06:00 UTC" in email.text
    assert "Bits &amp; &lt;b&gt;Bolts&lt;/b&gt;" in email.html
    assert "<b>Bolts</b>" not in email.html
    assert f'href="{link}"' in email.html
    assert "as an admin" in email.html


async def test_accepting_while_already_a_member_keeps_the_role(
    make_account: Any, client: httpx.AsyncClient, db: Database
) -> None:
    team = await make_team(make_account, db)
    # Invited by address before joining another way: the invitation is not spent.
    await invite(client, team.url, team.owner, team.outsider.user["email"], "admin")
    token = await invitation_token(db, team.outsider.user["email"])
    async with db.session() as session:
        from app.users import service as users_service
        from app.users.models import Role

        await users_service.add_member(
            session, uuid.UUID(team.id), uuid.UUID(team.outsider.id), Role.member
        )
    response = await client.post(
        "/api/v1/invitations/accept", json={"token": token}, headers=team.outsider.headers
    )
    assert response.status_code == 409
    assert response.json() == {
        "detail": "You are already a member of this business.",
        "code": "already_member",
    }
    assert (await client.get(team.url, headers=team.outsider.headers)).json()["role"] == "member"
