"""Invitations, members, and deleting a business or an account (paths under /users, where the
business and the account already live, and /invitations for the invitee)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from app.auth.access import ManagedPathBusiness, PathBusiness
from app.auth.dependencies import CurrentUser, SignedInUser
from app.core.deps import SessionDep, SettingsDep
from app.core.errors import error_responses
from app.stripe.config import StripeConfig
from app.teams import service
from app.teams.schemas import (
    BusinessDelete,
    InvitationAccept,
    InvitationCreate,
    InvitationPreview,
    InvitationRead,
    InvitationToken,
    MemberRead,
    MemberUpdate,
)
from app.users.schemas import BusinessSummary

router = APIRouter(tags=["teams"])


async def get_stripe_config(request: Request) -> StripeConfig:
    config: StripeConfig = request.app.state.stripe_config
    return config


StripeConfigDep = Annotated[StripeConfig, Depends(get_stripe_config)]
_BUSINESS = "/users/businesses/{business_id}"


@router.post(
    f"{_BUSINESS}/invitations",
    response_model=InvitationRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(409),
)
async def create_invitation(
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    access: ManagedPathBusiness,
    body: InvitationCreate,
) -> InvitationRead:
    """Invite someone by email (owner or admin; only an owner may invite an owner). The link
    is emailed, works once and expires in 7 days; inviting the same address again replaces it."""
    return await service.invite(
        session,
        access,
        user,
        email=body.email,
        role=body.role,
        secret=settings.resolved_jwt_secret(),
        frontend_url=settings.frontend_url,
    )


@router.get(f"{_BUSINESS}/invitations", response_model=list[InvitationRead])
async def list_invitations(
    session: SessionDep, access: ManagedPathBusiness
) -> list[InvitationRead]:
    """Pending invitations: neither accepted, withdrawn nor expired (owner or admin)."""
    return await service.list_pending(session, access.id)


@router.delete(
    f"{_BUSINESS}/invitations/{{invitation_id}}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(404),
)
async def revoke_invitation(
    session: SessionDep, access: ManagedPathBusiness, invitation_id: uuid.UUID
) -> Response:
    """Withdraw a pending invitation (owner or admin): its link then answers 410."""
    await service.revoke(session, access, invitation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/invitations/preview", response_model=InvitationPreview, responses=error_responses(404, 410)
)
async def preview_invitation(
    session: SessionDep, settings: SettingsDep, token: Annotated[InvitationToken, Query()]
) -> InvitationPreview:
    """What an invitation offers, for its page before the invitee signs in (no sign-in: the
    token is the credential)."""
    return await service.preview(session, settings.resolved_jwt_secret(), token)


@router.post(
    "/invitations/accept",
    response_model=BusinessSummary,
    responses=error_responses(404, 409, 410),
)
async def accept_invitation(
    session: SessionDep, settings: SettingsDep, user: CurrentUser, body: InvitationAccept
) -> BusinessSummary:
    """Join the business, signed in as the invited address (case does not matter). An expired,
    withdrawn or already used invitation answers 410 with `invitation_expired`,
    `invitation_revoked` or `invitation_used`."""
    return await service.accept(session, settings.resolved_jwt_secret(), user, body.token)


@router.get(f"{_BUSINESS}/members", response_model=list[MemberRead])
async def list_members(session: SessionDep, access: PathBusiness) -> list[MemberRead]:
    """Everyone in the business, with their role (any member)."""
    return await service.list_members(session, access.id)


@router.patch(
    f"{_BUSINESS}/members/{{user_id}}",
    response_model=MemberRead,
    responses=error_responses(404, 409),
)
async def update_member(
    session: SessionDep,
    user: CurrentUser,
    access: ManagedPathBusiness,
    user_id: uuid.UUID,
    body: MemberUpdate,
) -> MemberRead:
    """Change a role. Owners change anyone's, and transfer ownership by making another member
    an owner; admins move members between member and admin. A business keeps one owner
    (`last_owner`)."""
    return await service.change_role(session, access, user, user_id, body.role)


@router.delete(
    f"{_BUSINESS}/members/{{user_id}}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(404, 409),
)
async def remove_member(
    session: SessionDep, user: CurrentUser, access: PathBusiness, user_id: uuid.UUID
) -> Response:
    """Remove a member (owner, or admin for non-owners), or leave (your own id). The last owner
    cannot leave: transfer ownership or delete the business."""
    await service.remove_member(session, access, user, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(_BUSINESS, status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(503))
async def delete_business(
    session: SessionDep,
    config: StripeConfigDep,
    user: SignedInUser,
    access: PathBusiness,
    body: BusinessDelete,
) -> Response:
    """Delete the business and all of its data (owners only; `confirm` is the business name).
    Stripe access is revoked first, as disconnecting does."""
    await service.delete_business(session, config, access, body.confirm)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/users/me", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(409, 503)
)
async def delete_me(session: SessionDep, config: StripeConfigDep, user: SignedInUser) -> Response:
    """Delete your account and personal data, with the businesses only you belong to. Refused
    (`sole_owner_of_shared_business`) while you are the only owner of a business with other
    members."""
    await service.delete_account(session, config, user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
