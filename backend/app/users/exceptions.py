from app.core.errors import AppError, BadRequest, Conflict, Forbidden


class EmailTaken(Conflict):
    code = "email_taken"
    detail = "An account with this email already exists."
    field = "email"


class BusinessIdRequired(BadRequest):
    code = "business_id_required"
    detail = "You belong to several businesses: pass business_id."


class InvalidBusinessId(BadRequest):
    code = "invalid_business_id"
    detail = "business_id must be a UUID."


class NoBusiness(AppError):
    status_code = 404
    code = "no_business"
    detail = "You have no business yet: create one first."


class BusinessAccessDenied(Forbidden):
    # Same answer whether the business exists or not, so existence never leaks.
    code = "business_forbidden"
    detail = "You are not a member of this business."


class BusinessRoleRequired(Forbidden):
    code = "insufficient_role"
    detail = "Only an owner or admin of this business may do this."
