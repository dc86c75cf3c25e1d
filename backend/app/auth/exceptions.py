from app.core.errors import (
    AppError,
    BadRequest,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
)


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    detail = "Email or password is incorrect."


class InvalidToken(Unauthorized):
    code = "invalid_token"
    detail = "The token is invalid or expired."


class LoginThrottled(TooManyRequests):
    code = "too_many_login_attempts"


class CommonPassword(BadRequest):
    code = "password_too_common"
    detail = "This password is too common; choose another."
    field = "password"


class GoogleNotConfigured(ServiceUnavailable):
    code = "google_not_configured"
    detail = "Google sign-in is not configured on this server (GOOGLE_CLIENT_ID is unset)."


class OAuthError(AppError):
    """An OAuth round trip failed; `code` is safe to show in a redirect."""

    status_code = 400
    code = "oauth_error"


class InvalidState(OAuthError):
    code = "invalid_state"
    detail = "The sign-in request is invalid, expired or was already used."


class TokenNotFound(NotFound):
    code = "token_not_found"
    detail = "No such personal access token."


class SignInRequired(Forbidden):
    # A leaked token must not be able to mint successors that outlive its revocation.
    code = "sign_in_required"
    detail = "Managing personal access tokens requires a signed-in session, not a token."
