"""Business scoping for routes: turns the request's `business_id` into access, or refuses.

The rule itself is `users.service.resolve_access`, shared with the agent tools; this file only
finds the id and the caller. The id comes from the path, the query or the JSON body; with none
given it is inferred when the user has exactly one business.
"""

import json
import uuid
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from pydantic import WithJsonSchema

from app.auth.dependencies import CurrentUser
from app.core.deps import SessionDep
from app.core.errors import raises
from app.users import service as users_service
from app.users.exceptions import (
    BusinessAccessDenied,
    BusinessIdRequired,
    BusinessRoleRequired,
    InvalidBusinessId,
    NoBusiness,
)
from app.users.models import MANAGER_ROLES
from app.users.service import BusinessAccess

# Parsed by `_parse` (for the `invalid_business_id` code); the schema says what it must be.
RawBusinessId = Annotated[str, WithJsonSchema({"type": "string", "format": "uuid"})]


async def _business_id_from_body(request: Request) -> object | None:
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return None
    if "json" not in request.headers.get("content-type", ""):
        return None
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError:
        return None  # the route's own body validation reports malformed JSON
    return body.get("business_id") if isinstance(body, dict) else None


def _parse(raw: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(raw))
    except ValueError as exc:
        raise InvalidBusinessId() from exc


async def resolve_business(
    session: SessionDep, user: CurrentUser, raw_id: object | None
) -> BusinessAccess:
    business_id = None if raw_id is None or raw_id == "" else _parse(raw_id)
    return await users_service.resolve_access(session, user.id, business_id)


@raises(InvalidBusinessId, BusinessIdRequired, NoBusiness, BusinessAccessDenied)
async def get_business_access(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    business_id: Annotated[
        RawBusinessId | None,
        Query(description="The business; optional when you belong to exactly one."),
    ] = None,
) -> BusinessAccess:
    raw = business_id if business_id is not None else await _business_id_from_body(request)
    return await resolve_business(session, user, raw)


@raises(InvalidBusinessId, BusinessAccessDenied)
async def get_path_business_access(
    session: SessionDep,
    user: CurrentUser,
    business_id: Annotated[RawBusinessId, Path()],
) -> BusinessAccess:
    return await resolve_business(session, user, business_id)


def _require_manager(access: BusinessAccess) -> BusinessAccess:
    if access.role not in MANAGER_ROLES:
        raise BusinessRoleRequired()
    return access


@raises(BusinessRoleRequired)
async def get_managed_business(
    access: Annotated[BusinessAccess, Depends(get_business_access)],
) -> BusinessAccess:
    return _require_manager(access)


@raises(BusinessRoleRequired)
async def get_managed_path_business(
    access: Annotated[BusinessAccess, Depends(get_path_business_access)],
) -> BusinessAccess:
    return _require_manager(access)


# `?business_id=` or JSON body `business_id`, inferred for a single-business user.
CurrentBusiness = Annotated[BusinessAccess, Depends(get_business_access)]
ManagedBusiness = Annotated[BusinessAccess, Depends(get_managed_business)]
# `/…/{business_id}` in the path.
PathBusiness = Annotated[BusinessAccess, Depends(get_path_business_access)]
ManagedPathBusiness = Annotated[BusinessAccess, Depends(get_managed_path_business)]
