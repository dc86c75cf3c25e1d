from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth import service as auth_service
from app.auth.exceptions import InvalidToken, SignInRequired
from app.auth.throttle import LoginThrottle
from app.core.deps import DatabaseDep, RedisDep, SessionDep, SettingsDep
from app.core.errors import Unauthorized, raises
from app.users.models import User

_bearer = HTTPBearer(
    auto_error=False,
    description="The JWT from /auth/login or /auth/signup, or a personal access token",
)


@raises(Unauthorized)
async def get_current_user(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    if credentials is None:
        raise Unauthorized()
    if credentials.scheme.lower() != "bearer":
        raise InvalidToken()
    request.state.personal_access_token = auth_service.is_personal_access_token(
        credentials.credentials
    )
    return await auth_service.authenticate(session, settings, credentials.credentials)


async def get_login_throttle(
    settings: SettingsDep, database: DatabaseDep, redis: RedisDep
) -> LoginThrottle:
    return LoginThrottle(settings, database, redis)


async def get_client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


CurrentUser = Annotated[User, Depends(get_current_user)]
LoginThrottleDep = Annotated[LoginThrottle, Depends(get_login_throttle)]
ClientIP = Annotated[str, Depends(get_client_ip)]


@raises(SignInRequired)
async def get_signed_in_user(request: Request, user: CurrentUser) -> User:
    """The current user, authenticated by a login JWT rather than a personal access token."""
    if request.state.personal_access_token:
        raise SignInRequired()
    return user


SignedInUser = Annotated[User, Depends(get_signed_in_user)]
