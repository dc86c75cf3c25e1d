"""Errors in the shapes Stripe answers with."""

from typing import Any

from starlette.responses import Response

from stripe_sandbox.store import dumps

_DOCS = "https://stripe.com/docs/error-codes/"


class StripeError(Exception):
    """An API error: `{"error": {"type", "message", "code"?, "param"?, "doc_url"?}}`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        error_type: str = "invalid_request_error",
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.error_type = error_type
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.error_type}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = _DOCS + self.code.replace("_", "-")
        if self.param:
            error["param"] = self.param
        return {"error": error}

    def response(self) -> Response:
        return Response(
            dumps(self.body()), self.status, self.headers, media_type="application/json"
        )


class OAuthError(Exception):
    """OAuth endpoints answer flat: `{"error": "invalid_grant", "error_description": "..."}`."""

    def __init__(self, status: int, error: str, description: str):
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def response(self) -> Response:
        body = {"error": self.error, "error_description": self.description}
        return Response(dumps(body), self.status, media_type="application/json")


def redact(key: str) -> str:
    """How Stripe echoes a rejected key: prefix, stars, last four."""
    return key[:8] + "*" * max(len(key) - 12, 4) + key[-4:] if len(key) > 12 else key[:3] + "****"


def no_key() -> StripeError:
    return StripeError(
        401,
        "You did not provide an API key. You need to provide your API key in the Authorization "
        "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
        "https://stripe.com/docs/api#authentication for details, or we can help at "
        "https://support.stripe.com/.",
    )


def bad_key(key: str) -> StripeError:
    return StripeError(401, f"Invalid API Key provided: {redact(key)}")


def account_invalid(key: str, account: str) -> StripeError:
    return StripeError(
        403,
        f"The provided key '{redact(key)}' does not have access to account '{account}' (or that "
        "account does not exist). Application access may have been revoked.",
        code="account_invalid",
    )


def resource_missing(object_type: str, object_id: str, param: str = "id") -> StripeError:
    return StripeError(
        404,
        f"No such {object_type.replace('_', ' ')}: '{object_id}'",
        code="resource_missing",
        param=param,
    )


def unknown_parameter(param: str) -> StripeError:
    return StripeError(
        400, f"Received unknown parameter: {param}", code="parameter_unknown", param=param
    )


def invalid_integer(param: str, value: str) -> StripeError:
    return StripeError(
        400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=param
    )


def unrecognized_url(method: str, path: str) -> StripeError:
    return StripeError(
        404,
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we "
        "can help at https://support.stripe.com/.",
    )


def injected(status: int) -> StripeError:
    """A failure of an error storm (SandboxConfig.error_status). Stripe sends no Retry-After
    with these: the client chooses its own backoff."""
    headers = {"Stripe-Should-Retry": "true"}
    if status == 429:
        return StripeError(
            429,
            "Request rate limit exceeded. Learn more about rate limits here "
            "https://stripe.com/docs/rate-limits.",
            code="rate_limit",
            headers=headers,
        )
    return StripeError(
        status,
        "An unknown error occurred while processing this request.",
        error_type="api_error",
        headers=headers,
    )


def rate_limited(retry_after: float) -> StripeError:
    return StripeError(
        429,
        "Request rate limit exceeded. Learn more about rate limits here "
        "https://stripe.com/docs/rate-limits.",
        code="rate_limit",
        headers={"Stripe-Should-Retry": "true", "Retry-After": str(max(1, round(retry_after)))},
    )
