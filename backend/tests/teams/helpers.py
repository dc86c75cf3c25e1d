"""A team as tests need one: an owner, an admin, a member and an outsider."""

import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from app.core.db import Database
from app.notifications import service as notifications_service
from app.users import service as users_service
from app.users.models import Role
from tests.conftest import Account

TOKEN = re.compile(r"/invitations/accept\?token=([A-Za-z0-9_\-.]+)")


async def invitation_token(db: Database, email: str) -> str:
    """The token in the newest invitation email to `email`, read from the outbox (newest first)."""
    async with db.session() as session:
        emails = await notifications_service.list_outbox(session, to=email)
    assert emails, f"no email to {email}"
    match = TOKEN.search(emails[0].body)
    assert match, emails[0].body
    return match.group(1)


@dataclass
class Team:
    business: dict[str, Any]
    owner: Account
    admin: Account
    member: Account
    outsider: Account

    @property
    def id(self) -> str:
        return str(self.business["id"])

    @property
    def url(self) -> str:
        return f"/api/v1/users/businesses/{self.id}"

    def by_role(self) -> dict[str, Account]:
        return {
            "owner": self.owner,
            "admin": self.admin,
            "member": self.member,
            "outsider": self.outsider,
        }


async def make_team(make_account: Any, db: Database, name: str = "Team Co") -> Team:
    owner = await make_account(name="Olive Owner")
    admin = await make_account(name="Adam Admin")
    member = await make_account(name="Mia Member")
    outsider = await make_account(name="Otto Outsider")
    business = await owner.create_business(name)
    async with db.session() as session:
        for account, role in ((admin, Role.admin), (member, Role.member)):
            await users_service.add_member(
                session, uuid.UUID(business["id"]), uuid.UUID(account.id), role
            )
    return Team(business, owner, admin, member, outsider)


async def invite(
    client: httpx.AsyncClient, team_url: str, inviter: Account, email: str, role: str = "member"
) -> httpx.Response:
    return await client.post(
        f"{team_url}/invitations", json={"email": email, "role": role}, headers=inviter.headers
    )
