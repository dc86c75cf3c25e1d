"""Invitations, members and roles, and the deletions that span every module.

Rules live here; each module's own rows are read and deleted through its service. Services flush;
the request's unit of work commits, so an invitation and its email, or a whole deletion, land
together or not at all.
"""

import base64
import hashlib
import hmac
import html
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from app.agent import service as agent_service
from app.auth import service as auth_service
from app.core import security
from app.core.db import utcnow
from app.jobs import runs as job_runs
from app.metrics import service as metrics_service
from app.notifications import service as notifications_service
from app.recommendations import service as recommendations_service
from app.reports import service as reports_service
from app.stripe import oauth as stripe_oauth
from app.stripe import service as stripe_service
from app.stripe.config import StripeConfig
from app.teams.exceptions import (
    AlreadyJoined,
    AlreadyMember,
    ConfirmationMismatch,
    InvitationEmailMismatch,
    InvitationExpired,
    InvitationInvalid,
    InvitationNotFound,
    InvitationRevoked,
    InvitationUsed,
    LastOwner,
    MemberNotFound,
    OwnerRoleRequired,
    SoleOwnerOfSharedBusiness,
    TooManyInvitations,
)
from app.teams.models import Invitation
from app.teams.schemas import InvitationPreview, InvitationRead, MemberRead
from app.users import service as users_service
from app.users.exceptions import BusinessRoleRequired
from app.users.models import Role, User
from app.users.schemas import BusinessSummary
from app.users.service import BusinessAccess

if TYPE_CHECKING:
    from app.users.models import Membership

# Long enough to reach someone back from a week away; short enough that a forwarded or leaked
# link stops working on its own.
INVITATION_TTL = timedelta(days=7)
# Pending invitations per business: a team of founders and advisers needs a handful; the cap
# stops the endpoint from being used to send mail in bulk.
MAX_PENDING_INVITATIONS = 50
_TOKEN_BYTES = 32
_SIGNATURE_BYTES = 16
ACCEPT_PATH = "/invitations/accept"


# --- tokens -------------------------------------------------------------------------------------


def _signature(secret: str, nonce: str) -> str:
    mac = hmac.new(secret.encode(), b"invitation:" + nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:_SIGNATURE_BYTES]).rstrip(b"=").decode()


def new_token(secret: str) -> str:
    """`<nonce>.<signature>`: 256 random bits, signed so that a forged or mistyped token is
    refused before any lookup. Only its SHA-256 is stored."""
    nonce = security.random_token(_TOKEN_BYTES)
    return f"{nonce}.{_signature(secret, nonce)}"


def _verified_hash(secret: str, token: str) -> str:
    nonce, _, signature = token.strip().partition(".")
    if not nonce or not signature:
        raise InvitationInvalid()
    if not security.constant_time_equals(signature, _signature(secret, nonce)):
        raise InvitationInvalid()
    return security.sha256_hex(token.strip())


def accept_url(frontend_url: str, token: str) -> str:
    return f"{frontend_url.rstrip('/')}{ACCEPT_PATH}?token={token}"


# --- the invitation email -----------------------------------------------------------------------


@dataclass(frozen=True)
class InvitationEmail:
    subject: str
    text: str
    html: str


def render_invitation(
    *, inviter: str, business: str, role: Role, link: str, expires_at: datetime
) -> InvitationEmail:
    """The invitation in plain text and HTML (both go to the outbox; names are escaped in HTML).
    The subject holds only user text, which has no line breaks (UserText)."""
    article = "an" if role in (Role.owner, Role.admin) else "a"
    expires = expires_at.strftime("%d %B %Y, %H:%M UTC")
    subject = f"{inviter} invited you to {business} on Vaultra"
    text = "\n".join(
        [
            "Hi,",
            "",
            f"{inviter} invited you to join {business} on Vaultra as {article} {role.value}.",
            "",
            f"Accept the invitation: {link}",
            "",
            f"The link works once and expires on {expires}. If you did not expect this",
            "invitation, ignore this email: nothing happens unless you accept it.",
        ]
    )
    e = html.escape
    body = (
        '<!doctype html><html><body style="font-family: sans-serif; line-height: 1.5">'
        f"<p>Hi,</p><p>{e(inviter)} invited you to join <strong>{e(business)}</strong> on "
        f"Vaultra as {article} {e(role.value)}.</p>"
        f'<p><a href="{e(link)}" style="display:inline-block;padding:10px 16px;'
        'background:#1d4ed8;color:#fff;border-radius:6px;text-decoration:none">'
        "Accept the invitation</a></p>"
        f"<p>Or paste this link into your browser: {e(link)}</p>"
        f"<p>The link works once and expires on {e(expires)}. If you did not expect this "
        "invitation, ignore this email: nothing happens unless you accept it.</p>"
        "</body></html>"
    )
    return InvitationEmail(subject=subject, text=text, html=body)


# --- invitations --------------------------------------------------------------------------------


def _require_may_grant(access: BusinessAccess, role: Role) -> None:
    if role == Role.owner and access.role != Role.owner:
        raise OwnerRoleRequired()


def _read(invitation: Invitation, inviter: str | None) -> InvitationRead:
    return InvitationRead(
        id=invitation.id,
        email=invitation.email,
        role=invitation.role,
        invited_by=inviter,
        created_at=invitation.created_at,
        expires_at=invitation.expires_at,
    )


async def invite(
    session: AsyncSession,
    access: BusinessAccess,
    inviter: User,
    *,
    email: str,
    role: Role,
    secret: str,
    frontend_url: str,
) -> InvitationRead:
    """Creates the invitation and writes its email to the outbox, in one transaction. Inviting
    an address again withdraws its earlier pending invitation: the newest link is the one that
    works."""
    _require_may_grant(access, role)
    email = users_service.normalize_email(email)
    existing = await users_service.get_user_by_email(session, email)
    if existing is not None and await users_service.is_member(session, existing.id, access.id):
        raise AlreadyMember()
    now = utcnow()
    await session.execute(
        update(Invitation)
        .where(*_pending(now), Invitation.business_id == access.id, Invitation.email == email)
        .values(revoked_at=now)
    )
    pending = await session.scalar(
        select(func.count(Invitation.id)).where(*_pending(now), Invitation.business_id == access.id)
    )
    if (pending or 0) >= MAX_PENDING_INVITATIONS:
        raise TooManyInvitations()
    token = new_token(secret)
    invitation = Invitation(
        business_id=access.id,
        email=email,
        role=role,
        token_hash=security.sha256_hex(token),
        invited_by_id=inviter.id,
        created_at=now,
        expires_at=now + INVITATION_TTL,
    )
    session.add(invitation)
    await session.flush()
    message = render_invitation(
        inviter=inviter.name,
        business=access.business.name,
        role=role,
        link=accept_url(frontend_url, token),
        expires_at=invitation.expires_at,
    )
    await notifications_service.enqueue_email(
        session,
        to=email,
        subject=message.subject,
        text=message.text,
        html=message.html,
        kind="invitation",
        business_id=access.id,
    )
    return _read(invitation, inviter.name)


def _pending(now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None),
        Invitation.expires_at > now,
    )


async def list_pending(session: AsyncSession, business_id: uuid.UUID) -> list[InvitationRead]:
    result = await session.execute(
        select(Invitation, User.name)
        .outerjoin(User, User.id == Invitation.invited_by_id)
        .where(*_pending(utcnow()), Invitation.business_id == business_id)
        .order_by(Invitation.created_at, Invitation.id)
    )
    return [_read(invitation, name) for invitation, name in result.all()]


async def revoke(session: AsyncSession, access: BusinessAccess, invitation_id: uuid.UUID) -> None:
    invitation = await session.get(Invitation, invitation_id)
    if (
        invitation is None
        or invitation.business_id != access.id
        or invitation.accepted_at is not None
        or invitation.revoked_at is not None
    ):
        raise InvitationNotFound()
    _require_may_grant(access, invitation.role)
    invitation.revoked_at = utcnow()
    await session.flush()


async def _usable(session: AsyncSession, secret: str, token: str, *, lock: bool) -> Invitation:
    query = select(Invitation).where(Invitation.token_hash == _verified_hash(secret, token))
    result = await session.execute(query.with_for_update() if lock else query)
    invitation = result.scalar_one_or_none()
    if invitation is None:
        raise InvitationNotFound()
    if invitation.accepted_at is not None:
        raise InvitationUsed()
    if invitation.revoked_at is not None:
        raise InvitationRevoked()
    if invitation.expires_at <= utcnow():
        raise InvitationExpired()
    return invitation


async def preview(session: AsyncSession, secret: str, token: str) -> InvitationPreview:
    invitation = await _usable(session, secret, token, lock=False)
    business = await users_service.get_business(session, invitation.business_id)
    inviter = (
        await users_service.get_user(session, invitation.invited_by_id)
        if invitation.invited_by_id
        else None
    )
    if business is None:
        raise InvitationNotFound()
    return InvitationPreview(
        business_name=business.name,
        email=invitation.email,
        role=invitation.role,
        invited_by=inviter.name if inviter else None,
        expires_at=invitation.expires_at,
    )


async def accept(session: AsyncSession, secret: str, user: User, token: str) -> BusinessSummary:
    """Joins the business with the invitation's role. The row is locked, so of two concurrent
    acceptances one joins and the other is told the invitation was used."""
    invitation = await _usable(session, secret, token, lock=True)
    if users_service.normalize_email(user.email) != invitation.email:
        raise InvitationEmailMismatch()
    if await users_service.is_member(session, user.id, invitation.business_id):
        raise AlreadyJoined()
    await users_service.add_member(session, invitation.business_id, user.id, invitation.role)
    invitation.accepted_at = utcnow()
    await session.flush()
    business = await users_service.get_business(session, invitation.business_id)
    assert business is not None  # the invitation's foreign key keeps it
    return BusinessSummary(id=business.id, name=business.name, role=invitation.role)


# --- members ------------------------------------------------------------------------------------


async def list_members(session: AsyncSession, business_id: uuid.UUID) -> list[MemberRead]:
    members = await users_service.list_members(session, business_id)
    return [
        MemberRead(
            user_id=m.user_id, email=m.email, name=m.name, role=m.role, joined_at=m.joined_at
        )
        for m in members
    ]


async def _locked_target(
    session: AsyncSession, business_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[int, "Membership"]:
    memberships = await users_service.lock_memberships(session, business_id)
    target = next((m for m in memberships if m.user_id == user_id), None)
    if target is None:
        raise MemberNotFound()
    owners = sum(1 for m in memberships if m.role == Role.owner)
    return owners, target


async def change_role(
    session: AsyncSession, access: BusinessAccess, actor: User, user_id: uuid.UUID, role: Role
) -> MemberRead:
    """Owners set any role, their own included (making another member an owner transfers
    ownership; the first owner may then step down). Admins change members (and themselves)
    between member and admin. A business always keeps one owner."""
    owners, target = await _locked_target(session, access.id, user_id)
    if access.role == Role.admin:
        if role == Role.owner or target.role == Role.owner:
            raise OwnerRoleRequired()
        if target.role == Role.admin and target.user_id != actor.id:
            raise OwnerRoleRequired()
    elif access.role != Role.owner:
        raise BusinessRoleRequired()
    if target.role == Role.owner and role != Role.owner and owners <= 1:
        raise LastOwner()
    await users_service.set_role(session, target, role)
    return await _member(session, access.id, user_id)


async def remove_member(
    session: AsyncSession, access: BusinessAccess, actor: User, user_id: uuid.UUID
) -> None:
    """Anyone may leave; owners remove anyone, admins anyone but owners; the last owner stays."""
    owners, target = await _locked_target(session, access.id, user_id)
    if target.user_id != actor.id:
        if access.role not in (Role.owner, Role.admin):
            raise BusinessRoleRequired()
        if access.role == Role.admin and target.role == Role.owner:
            raise OwnerRoleRequired()
    if target.role == Role.owner and owners <= 1:
        raise LastOwner()
    await users_service.remove_membership(session, target)


async def _member(session: AsyncSession, business_id: uuid.UUID, user_id: uuid.UUID) -> MemberRead:
    for member in await list_members(session, business_id):
        if member.user_id == user_id:
            return member
    raise MemberNotFound()


# --- deletions ----------------------------------------------------------------------------------


async def delete_business(
    session: AsyncSession, config: StripeConfig, access: BusinessAccess, confirm: str
) -> None:
    """Owners only, with the business's name typed as confirmation: revokes Stripe access (as
    disconnect does: a Stripe outage refuses the deletion with 503 rather than leave Vaultra
    authorized), then deletes every row of the business in every module."""
    if access.role != Role.owner:
        raise OwnerRoleRequired()
    if confirm != access.business.name:
        raise ConfirmationMismatch()
    await _delete_business(session, config, access.id)


async def _delete_business(
    session: AsyncSession, config: StripeConfig, business_id: uuid.UUID
) -> None:
    await stripe_oauth.revoke_access(session, config, business_id)
    await agent_service.delete_business_data(session, business_id)
    await recommendations_service.delete_business_data(session, business_id)
    await reports_service.delete_business_data(session, business_id)
    await metrics_service.delete_business_data(session, business_id)
    await stripe_service.delete_business_data(session, business_id)
    await auth_service.delete_business_data(session, business_id)
    await notifications_service.delete_for_business(session, business_id)
    await job_runs.delete_runs_mentioning(session, str(business_id))
    await session.execute(delete(Invitation).where(Invitation.business_id == business_id))
    await users_service.delete_business(session, business_id)
    session.expunge_all()


async def delete_account(session: AsyncSession, config: StripeConfig, user: User) -> None:
    """Deletes the user's personal data: afterwards no row holds their id or email. A business
    they alone belong to goes with them; while they are the only owner of a business with other
    members, the account stays (someone must own it)."""
    alone: list[uuid.UUID] = []
    for business_id, role, members, owners in await users_service.member_counts(session, user.id):
        if members == 1:
            alone.append(business_id)
        elif role == Role.owner and owners == 1:
            raise SoleOwnerOfSharedBusiness()
    user_id, email = user.id, users_service.normalize_email(user.email)
    for business_id in alone:
        await _delete_business(session, config, business_id)
    await agent_service.delete_user_data(session, user_id)
    await reports_service.delete_user_data(session, user_id)
    await auth_service.delete_user_data(session, user_id, email)
    await job_runs.delete_runs_mentioning(session, str(user_id))
    await notifications_service.delete_for_recipient(session, email, user_id=user_id)
    await session.execute(delete(Invitation).where(Invitation.email == email))
    await session.execute(
        update(Invitation).where(Invitation.invited_by_id == user_id).values(invited_by_id=None)
    )
    await users_service.delete_user(session, user_id)
    session.expunge_all()
