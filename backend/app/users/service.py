"""Users, businesses and memberships. Services flush; the caller's unit of work commits."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.users.exceptions import BusinessAccessDenied, BusinessIdRequired, EmailTaken, NoBusiness
from app.users.models import Business, Membership, Role, User
from app.users.schemas import BusinessCreate, BusinessSummary, UserWithBusinesses


@dataclass(frozen=True)
class BusinessAccess:
    """A business the current user may act on, with the user's role in it."""

    business: Business
    role: Role

    @property
    def id(self) -> uuid.UUID:
        return self.business.id


# The reads behind every authenticated request (the user, and the businesses it may act on), built
# once: a statement built per call pays for its construction and cache key again each time, about
# a third of these queries' CPU.
_user_by_id = select(User).where(User.id == bindparam("user_id"))
_access = (
    select(Business, Membership.role)
    .join(Membership, Membership.business_id == Business.id)
    .where(Membership.user_id == bindparam("user_id"))
)
_access_to_business = _access.where(Business.id == bindparam("business_id"))
_first_two_accesses = _access.order_by(Business.created_at).limit(2)
_business_summaries = _access.with_only_columns(
    Business.id, Business.name, Membership.role
).order_by(Business.created_at, Business.id)


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    result = await session.execute(_user_by_id, {"user_id": user_id})
    return result.scalar_one_or_none()


async def get_user_by_email(session: AsyncSession, email: str) -> User | None:
    result = await session.execute(select(User).where(User.email == normalize_email(email)))
    return result.scalar_one_or_none()


async def get_user_by_google_sub(session: AsyncSession, sub: str) -> User | None:
    result = await session.execute(select(User).where(User.google_sub == sub))
    return result.scalar_one_or_none()


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    name: str,
    password_hash: str | None = None,
    google_sub: str | None = None,
    avatar_url: str | None = None,
) -> User:
    user = User(
        email=normalize_email(email),
        name=name,
        password_hash=password_hash,
        google_sub=google_sub,
        avatar_url=avatar_url,
    )
    session.add(user)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise EmailTaken() from exc
    return user


async def update_user(session: AsyncSession, user: User, changes: dict[str, Any]) -> User:
    if "avatar_url" in changes and changes["avatar_url"] is not None:
        changes["avatar_url"] = str(changes["avatar_url"])
    for field, value in changes.items():
        setattr(user, field, value)
    await session.flush()
    return user


async def list_business_summaries(
    session: AsyncSession, user_id: uuid.UUID
) -> list[BusinessSummary]:
    result = await session.execute(_business_summaries, {"user_id": user_id})
    return [BusinessSummary(id=row.id, name=row.name, role=row.role) for row in result]


async def create_business(
    session: AsyncSession, owner: User, data: BusinessCreate
) -> BusinessAccess:
    business = Business(**data.model_dump())
    session.add(business)
    await session.flush()
    session.add(Membership(user_id=owner.id, business_id=business.id, role=Role.owner))
    await session.flush()
    return BusinessAccess(business=business, role=Role.owner)


async def update_business(
    session: AsyncSession, business: Business, changes: dict[str, Any]
) -> Business:
    for field, value in changes.items():
        setattr(business, field, value)
    await session.flush()
    await session.refresh(business)
    return business


async def add_member(
    session: AsyncSession, business_id: uuid.UUID, user_id: uuid.UUID, role: Role
) -> None:
    session.add(Membership(user_id=user_id, business_id=business_id, role=role))
    await session.flush()


async def get_access(
    session: AsyncSession, user_id: uuid.UUID, business_id: uuid.UUID
) -> BusinessAccess | None:
    """The user's access to one business; None when not a member (or no such business)."""
    result = await session.execute(
        _access_to_business, {"user_id": user_id, "business_id": business_id}
    )
    row = result.one_or_none()
    return BusinessAccess(business=row[0], role=row[1]) if row else None


async def get_only_access(session: AsyncSession, user_id: uuid.UUID) -> list[BusinessAccess]:
    """Up to two of the user's businesses: enough to tell none, one, or several."""
    result = await session.execute(_first_two_accesses, {"user_id": user_id})
    return [BusinessAccess(business=row[0], role=row[1]) for row in result]


async def user_with_businesses(session: AsyncSession, user: User) -> UserWithBusinesses:
    """The signed-in user as `/users/me`, sign-up and log-in answer it (one shape for all three)."""
    businesses = await list_business_summaries(session, user.id)
    return UserWithBusinesses(
        id=user.id,
        email=user.email,
        name=user.name,
        avatar_url=user.avatar_url,
        created_at=user.created_at,
        businesses=businesses,
    )


async def resolve_access(
    session: AsyncSession, user_id: uuid.UUID, business_id: uuid.UUID | None
) -> BusinessAccess:
    """The one business-access rule, for HTTP routes and agent tools alike: the business asked
    for if the user is a member of it, or, with none asked for, the user's only business.

    Raises `BusinessAccessDenied` (the same whether the business exists or not),
    `BusinessIdRequired` (several businesses) or `NoBusiness`.
    """
    if business_id is None:
        accessible = await get_only_access(session, user_id)
        if not accessible:
            raise NoBusiness()
        if len(accessible) > 1:
            raise BusinessIdRequired()
        return accessible[0]
    access = await get_access(session, user_id, business_id)
    if access is None:
        raise BusinessAccessDenied()
    return access


async def get_business(session: AsyncSession, business_id: uuid.UUID) -> Business | None:
    return await session.get(Business, business_id)


async def is_member(session: AsyncSession, user_id: uuid.UUID, business_id: uuid.UUID) -> bool:
    result = await session.execute(
        select(Membership.id).where(
            Membership.user_id == user_id, Membership.business_id == business_id
        )
    )
    return result.first() is not None


# --- Members and deletion (teams) -------------------------------------------------------------
# The teams module holds the rules (who may change whom, at least one owner); these functions
# only read and write the rows.


@dataclass(frozen=True)
class Member:
    user_id: uuid.UUID
    email: str
    name: str
    role: Role
    joined_at: Any


async def list_members(session: AsyncSession, business_id: uuid.UUID) -> list[Member]:
    result = await session.execute(
        select(User.id, User.email, User.name, Membership.role, Membership.created_at)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.business_id == business_id)
        .order_by(Membership.created_at, User.email)
    )
    return [Member(*row) for row in result]


async def get_membership(
    session: AsyncSession, business_id: uuid.UUID, user_id: uuid.UUID
) -> Membership | None:
    result = await session.execute(
        select(Membership).where(
            Membership.business_id == business_id, Membership.user_id == user_id
        )
    )
    return result.scalar_one_or_none()


async def lock_memberships(session: AsyncSession, business_id: uuid.UUID) -> list[Membership]:
    """The business's memberships, locked (PostgreSQL `FOR UPDATE`) so two concurrent changes
    cannot both see a second owner and both step down, leaving none."""
    result = await session.execute(
        select(Membership)
        .where(Membership.business_id == business_id)
        .order_by(Membership.id)
        .with_for_update()
    )
    return list(result.scalars())


async def set_role(session: AsyncSession, membership: Membership, role: Role) -> None:
    membership.role = role
    await session.flush()


async def remove_membership(session: AsyncSession, membership: Membership) -> None:
    await session.delete(membership)
    await session.flush()


async def member_counts(
    session: AsyncSession, user_id: uuid.UUID
) -> list[tuple[uuid.UUID, Role, int, int]]:
    """For each business of the user: (business id, the user's role, members, owners)."""
    mine = (
        select(Membership.business_id, Membership.role)
        .where(Membership.user_id == user_id)
        .subquery()
    )
    result = await session.execute(
        select(
            mine.c.business_id,
            mine.c.role,
            func.count(Membership.id),
            func.count(Membership.id).filter(Membership.role == Role.owner),
        )
        .join(Membership, Membership.business_id == mine.c.business_id)
        .group_by(mine.c.business_id, mine.c.role)
        .order_by(mine.c.business_id)
    )
    return [(row[0], Role(row[1]), int(row[2]), int(row[3])) for row in result]


async def delete_business(session: AsyncSession, business_id: uuid.UUID) -> None:
    """The business row and its memberships; the other modules' rows go first (teams)."""
    await session.execute(delete(Membership).where(Membership.business_id == business_id))
    await session.execute(delete(Business).where(Business.id == business_id))


async def delete_user(session: AsyncSession, user_id: uuid.UUID) -> None:
    """The user row and its memberships; the other modules' rows go first (teams)."""
    await session.execute(delete(Membership).where(Membership.user_id == user_id))
    await session.execute(delete(User).where(User.id == user_id))


# --- for notifications ------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberContact:
    """Who to email about a business: its members' ids, addresses and names."""

    user_id: uuid.UUID
    email: str
    name: str
    role: Role


async def member_contacts(session: AsyncSession, business_id: uuid.UUID) -> list[MemberContact]:
    result = await session.execute(
        select(User.id, User.email, User.name, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.business_id == business_id)
        .order_by(Membership.created_at, User.id)
    )
    return [MemberContact(*row) for row in result.all()]


async def all_business_ids(session: AsyncSession) -> list[uuid.UUID]:
    return list(await session.scalars(select(Business.id).order_by(Business.created_at)))
