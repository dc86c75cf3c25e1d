from app.core.errors import (
    AppError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
)


class StripeNotConnected(NotFound):
    code = "stripe_not_connected"
    detail = "This business has no connected Stripe account."


class SyncRequestedRecently(TooManyRequests):
    code = "sync_requested_recently"


class StripeNotConfigured(ServiceUnavailable):
    code = "stripe_not_configured"
    detail = "Stripe is not configured on this server (STRIPE_SECRET_KEY is unset)."


class StripeUnavailable(ServiceUnavailable):
    code = "stripe_unavailable"
    detail = "Stripe could not be reached; try again in a moment."


class InvalidWebhook(BadRequest):
    """Nothing is stored: the request is not a verified Stripe event."""

    code = "invalid_signature"
    detail = "The Stripe-Signature header is missing, invalid or too old."


class InvalidWebhookPayload(InvalidWebhook):
    code = "invalid_payload"
    detail = "The event body is not a Stripe event."


class InvalidWebhookEvent(InvalidWebhook):
    """Signed, but its envelope cannot be stored as it is (an id too long or with a NUL, an
    impossible `created`); answered 400 so it is never acknowledged and then lost."""

    code = "invalid_event"
    detail = "The event's envelope is not valid."


class ConnectFailed(AppError):
    """The Connect round trip failed; `code` becomes `reason=` on the redirect to the dashboard."""

    status_code = 400
    code = "connect_failed"
    detail = "Connecting Stripe failed."


class ConnectDeclined(ConnectFailed):
    code = "access_denied"
    detail = "The Stripe account owner declined the connection."


class ConnectIncomplete(ConnectFailed):
    code = "invalid_request"
    detail = "The Stripe response is incomplete."


class ConnectExchangeFailed(ConnectFailed):
    code = "invalid_grant"
    detail = "Stripe refused the authorization code (expired or already used)."


class ConnectNotAllowed(ConnectFailed, Forbidden):
    status_code = 403
    code = "insufficient_role"
    detail = "Only an owner or admin of this business may connect Stripe."


class AccountLinkedElsewhere(ConnectFailed, Conflict):
    status_code = 409
    code = "account_already_linked"
    detail = "This Stripe account is already connected to another business."


class AnotherAccountConnected(ConnectFailed, Conflict):
    status_code = 409
    code = "already_connected"
    detail = "Another Stripe account is connected to this business; disconnect it first."
