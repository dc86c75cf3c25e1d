from app.core.errors import BadRequest, NotFound


class InvalidUnsubscribeToken(BadRequest):
    code = "invalid_unsubscribe_token"
    detail = "This unsubscribe link is not valid. Change your email settings in Settings."


class EmailNotFound(NotFound):
    code = "email_not_found"
    detail = "No such email in the outbox."
