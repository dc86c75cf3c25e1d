"""`/users`: the caller's profile and businesses. It lives beside `CurrentUser` because every
route acts on the caller; the accounts themselves are `app.users`."""

from fastapi import APIRouter, status

from app.auth.access import ManagedPathBusiness, PathBusiness
from app.auth.dependencies import CurrentUser
from app.core.deps import SessionDep
from app.users import service as users_service
from app.users.schemas import (
    BusinessCreate,
    BusinessRead,
    BusinessUpdate,
    UserUpdate,
    UserWithBusinesses,
)
from app.users.service import BusinessAccess

router = APIRouter(prefix="/users", tags=["users"])


def business_read(access: BusinessAccess) -> BusinessRead:
    business = access.business
    fields = {name: getattr(business, name) for name in BusinessRead.model_fields if name != "role"}
    return BusinessRead(**fields, role=access.role)


@router.get("/me", response_model=UserWithBusinesses)
async def read_me(session: SessionDep, user: CurrentUser) -> UserWithBusinesses:
    return await users_service.user_with_businesses(session, user)


@router.patch("/me", response_model=UserWithBusinesses)
async def update_me(session: SessionDep, user: CurrentUser, body: UserUpdate) -> UserWithBusinesses:
    await users_service.update_user(session, user, body.changes())
    return await users_service.user_with_businesses(session, user)


@router.post(
    "/businesses",
    response_model=BusinessRead,
    status_code=status.HTTP_201_CREATED,
)
async def create_business(
    session: SessionDep, user: CurrentUser, body: BusinessCreate
) -> BusinessRead:
    access = await users_service.create_business(session, user, body)
    return business_read(access)


@router.get("/businesses/{business_id}", response_model=BusinessRead)
async def read_business(access: PathBusiness) -> BusinessRead:
    return business_read(access)


@router.patch("/businesses/{business_id}", response_model=BusinessRead)
async def update_business(
    session: SessionDep, access: ManagedPathBusiness, body: BusinessUpdate
) -> BusinessRead:
    await users_service.update_business(session, access.business, body.changes())
    return business_read(access)
