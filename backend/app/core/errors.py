"""Domain errors and the one place that turns them into the JSON error shape."""

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute


class AppError(Exception):
    """Base for domain errors: a status code, a machine code and a human message."""

    status_code = 400
    code = "bad_request"
    detail = "The request could not be processed."
    # The request field at fault, when there is one: the body then names it in `errors`, as a
    # validation error does, so a form shows the message next to that field.
    field: str | None = None

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        status_code: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.detail = detail or self.detail
        self.code = code or self.code
        self.status_code = status_code or self.status_code
        self.headers = headers
        super().__init__(self.detail)


class BadRequest(AppError):
    status_code = 400
    code = "bad_request"


class Unauthorized(AppError):
    status_code = 401
    code = "not_authenticated"
    detail = "Authentication is required."

    def __init__(self, detail: str | None = None, *, code: str | None = None) -> None:
        super().__init__(detail, code=code, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"
    detail = "You do not have access to this resource."


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    detail = "Not found."


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The request body is larger than {limit} bytes.", headers={"Connection": "close"}
        )


class TooManyRequests(AppError):
    status_code = 429
    code = "too_many_requests"

    def __init__(self, detail: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(detail, code=code, headers={"Retry-After": str(max(1, retry_after))})


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service_unavailable"


class DatabaseUnavailable(ServiceUnavailable):
    """The database is down or restarting: the same request can succeed in a few seconds."""

    code = "database_unavailable"
    detail = "The database is unavailable. Retry shortly."
    retry_after_seconds = 5

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": str(self.retry_after_seconds)})


class FieldError(BaseModel):
    field: str
    message: str


class ErrorResponse(BaseModel):
    detail: str
    code: str
    errors: list[FieldError] | None = None
    request_id: str | None = None


_STATUS_DESCRIPTIONS = {
    400: "Invalid request",
    401: "Missing, invalid or expired credentials",
    403: "Not a member of the business, or not allowed",
    404: "Not found",
    409: "Conflict",
    410: "Gone: expired, withdrawn or already used",
    413: "Request body too large",
    429: "Too many requests",
    503: "A dependency is unavailable",
}


def error_responses(*status_codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the errors a route's own code raises."""
    return {
        code: {"model": ErrorResponse, "description": _STATUS_DESCRIPTIONS.get(code, "Error")}
        for code in status_codes
    }


def error_response(exc: AppError) -> JSONResponse:
    errors = [{"field": exc.field, "message": exc.detail}] if exc.field else None
    return JSONResponse(
        _error_body(exc.detail, exc.code, errors=errors),
        status_code=exc.status_code,
        headers=exc.headers,
    )


DependencyT = TypeVar("DependencyT", bound=Callable[..., Any])
_RAISES = "__vaultra_raises__"


def raises(*errors: type[AppError]) -> Callable[[DependencyT], DependencyT]:
    """Marks a dependency with the errors it raises: each route that uses it, directly or through
    another dependency, documents their status codes (see `document_errors`)."""

    def mark(dependency: DependencyT) -> DependencyT:
        setattr(dependency, _RAISES, frozenset(error.status_code for error in errors))
        return dependency

    return mark


def _dependency_codes(dependant: Dependant) -> set[int]:
    codes: set[int] = set(getattr(dependant.call, _RAISES, ()))
    for sub in dependant.dependencies:
        codes |= _dependency_codes(sub)
    return codes


def document_errors(schema: dict[str, Any], routes: Sequence[BaseRoute | RouteContext]) -> None:
    """Adds to each operation of `schema` the errors it can answer besides its own: 400 when it
    takes parameters or a body (validation errors are 400 here, so FastAPI's 422 goes), 413 when
    it takes a body, and what its dependencies `raises` (401 from sign-in, 403 and 404 from
    business scoping)."""
    error_schema = {"$ref": "#/components/schemas/ErrorResponse"}
    for route in iter_route_contexts(routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        for method in route.methods or ():
            operation = schema["paths"][route.path_format][method.lower()]
            codes = _dependency_codes(route.dependant)
            if operation.get("parameters") or "requestBody" in operation:
                codes.add(400)
            if "requestBody" in operation:
                codes.add(413)
            responses = operation["responses"]
            responses.pop("422", None)
            for code in sorted(codes):
                responses.setdefault(
                    str(code),
                    {
                        "description": _STATUS_DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": error_schema}},
                    },
                )


def internal_error_body(request_id: str) -> dict[str, Any]:
    """The 500 body: no details (they go to the log), only the id to quote to support."""
    return _error_body("Internal server error.", "internal_error", request_id=request_id)


def _error_body(detail: str, code: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": detail, "code": code}
    body.update({key: value for key, value in extra.items() if value is not None})
    return body


_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def _field_name(location: tuple[Any, ...]) -> str:
    parts = [str(part) for part in location if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(location[-1]) if location else "request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_request: Request, exc: AppError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field_name(tuple(error.get("loc", ()))), "message": error.get("msg", "")}
            for error in exc.errors()
        ]
        body = _error_body("The request is invalid.", "validation_error", errors=errors)
        return JSONResponse(body, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return JSONResponse(
            _error_body(str(exc.detail), code),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
