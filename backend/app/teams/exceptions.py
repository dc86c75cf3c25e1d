from app.core.errors import AppError, BadRequest, Conflict, Forbidden, NotFound


class Gone(AppError):
    status_code = 410
    code = "gone"


class InvitationInvalid(BadRequest):
    code = "invitation_invalid"
    detail = "This invitation link is not valid. Check that it was copied in full."
    field = "token"


class InvitationNotFound(NotFound):
    code = "invitation_not_found"
    detail = "This invitation no longer exists."


class InvitationExpired(Gone):
    code = "invitation_expired"
    detail = "This invitation has expired. Ask for a new one."


class InvitationRevoked(Gone):
    code = "invitation_revoked"
    detail = "This invitation was withdrawn. Ask for a new one."


class InvitationUsed(Gone):
    code = "invitation_used"
    detail = "This invitation has already been accepted."


class InvitationEmailMismatch(Forbidden):
    code = "invitation_email_mismatch"
    detail = "This invitation is for another email address. Sign in with that address to accept."


class AlreadyMember(Conflict):
    code = "already_member"
    detail = "This person is already a member of the business."
    field = "email"


class AlreadyJoined(Conflict):
    code = "already_member"
    detail = "You are already a member of this business."


class TooManyInvitations(Conflict):
    code = "too_many_invitations"
    detail = "This business has too many pending invitations. Withdraw some first."


class OwnerRoleRequired(Forbidden):
    code = "owner_role_required"
    detail = "Only an owner of this business may do this."


class MemberNotFound(NotFound):
    code = "member_not_found"
    detail = "This person is not a member of the business."


class LastOwner(Conflict):
    code = "last_owner"
    detail = (
        "A business needs at least one owner. Make another member an owner first, "
        "or delete the business."
    )


class SoleOwnerOfSharedBusiness(Conflict):
    code = "sole_owner_of_shared_business"
    detail = (
        "You are the only owner of a business that has other members. Make another member "
        "an owner, or delete that business, before deleting your account."
    )


class ConfirmationMismatch(BadRequest):
    code = "confirmation_mismatch"
    detail = "Type the business name exactly to confirm."
    field = "confirm"
