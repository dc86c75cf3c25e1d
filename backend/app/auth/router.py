import uuid
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import RedirectResponse

from app.auth import google
from app.auth import service as auth_service
from app.auth.dependencies import ClientIP, CurrentUser, LoginThrottleDep, SignedInUser
from app.auth.exceptions import OAuthError
from app.auth.schemas import (
    AuthProviders,
    AuthResponse,
    LoginRequest,
    SignupRequest,
    TokenCreate,
    TokenCreated,
    TokenList,
    TokenRead,
)
from app.core.deps import HttpClientDep, SessionDep, SettingsDep
from app.core.errors import error_responses
from app.users import service as users_service
from app.users.models import User
from app.users.schemas import UserWithBusinesses

router = APIRouter(prefix="/auth", tags=["auth"])


async def _auth_response(session: SessionDep, settings: SettingsDep, user: User) -> AuthResponse:
    token, expires_at = auth_service.issue_token(settings, user)
    return AuthResponse(
        user=await users_service.user_with_businesses(session, user),
        token=token,
        expires_at=expires_at.isoformat(),
    )


@router.post(
    "/signup",
    response_model=AuthResponse,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(409),
)
async def signup(session: SessionDep, settings: SettingsDep, body: SignupRequest) -> AuthResponse:
    user = await auth_service.signup(
        session, email=body.email, password=body.password, name=body.name
    )
    return await _auth_response(session, settings, user)


@router.post("/login", response_model=AuthResponse, responses=error_responses(401, 429))
async def login(
    session: SessionDep,
    settings: SettingsDep,
    throttle: LoginThrottleDep,
    client_ip: ClientIP,
    body: LoginRequest,
) -> AuthResponse:
    user = await auth_service.login(
        session, throttle, email=body.email, password=body.password, client_ip=client_ip
    )
    return await _auth_response(session, settings, user)


@router.get("/me", response_model=UserWithBusinesses)
async def me(session: SessionDep, user: CurrentUser) -> UserWithBusinesses:
    return await users_service.user_with_businesses(session, user)


@router.get("/providers", response_model=AuthProviders)
async def auth_providers(settings: SettingsDep) -> AuthProviders:
    return AuthProviders(google=settings.google_enabled)


@router.get(
    "/google/login",
    status_code=status.HTTP_302_FOUND,
    response_class=RedirectResponse,
    responses=error_responses(503),
)
async def google_login(session: SessionDep, settings: SettingsDep) -> RedirectResponse:
    """Redirects to Google with `state`, a PKCE challenge and a `nonce`."""
    url = await google.authorization_url(session, settings)
    return RedirectResponse(url, status_code=status.HTTP_302_FOUND)


@router.get(
    "/callback/google",
    status_code=status.HTTP_302_FOUND,
    response_class=RedirectResponse,
    responses=error_responses(503),
)
async def google_callback(
    session: SessionDep,
    settings: SettingsDep,
    http: HttpClientDep,
    code: str | None = Query(default=None, max_length=2048),
    state: str | None = Query(default=None, max_length=4096),
    error: str | None = Query(default=None, max_length=200),
) -> RedirectResponse:
    """Finishes Google sign-in; the token travels to the frontend in the URL fragment only."""
    target = f"{settings.frontend_url.rstrip('/')}/auth/callback/google"
    try:
        if error:
            raise OAuthError("Google sign-in was cancelled.", code="access_denied")
        if not code or not state:
            raise OAuthError("The sign-in response is incomplete.", code="invalid_request")
        user = await google.complete_login(session, settings, http, code=code, state=state)
    except OAuthError as exc:
        fragment = urlencode({"error": exc.code})
        return RedirectResponse(f"{target}#{fragment}", status_code=status.HTTP_302_FOUND)
    token, _ = auth_service.issue_token(settings, user)
    return RedirectResponse(f"{target}#{urlencode({'token': token})}", status_code=302)


@router.post(
    "/tokens",
    response_model=TokenCreated,
    status_code=status.HTTP_201_CREATED,
)
async def create_token(session: SessionDep, user: SignedInUser, body: TokenCreate) -> TokenCreated:
    """A personal access token for MCP clients and scripts; the secret is shown only once."""
    token, secret = await auth_service.create_personal_access_token(
        session, user, name=body.name, expires_in_days=body.expires_in_days
    )
    return TokenCreated(**TokenRead.model_validate(token).model_dump(), token=secret)


@router.get("/tokens", response_model=TokenList)
async def list_tokens(session: SessionDep, user: SignedInUser) -> TokenList:
    tokens = await auth_service.list_personal_access_tokens(session, user.id)
    return TokenList(tokens=[TokenRead.model_validate(token) for token in tokens])


@router.delete(
    "/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(404),
)
async def revoke_token(session: SessionDep, user: SignedInUser, token_id: uuid.UUID) -> Response:
    """Revoke a token; it stops working at once."""
    await auth_service.revoke_personal_access_token(session, user.id, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
