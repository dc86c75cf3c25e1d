import logging
import uuid
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Header, Query, Request, status
from fastapi.responses import RedirectResponse

from app.auth.access import CurrentBusiness, ManagedBusiness
from app.auth.dependencies import CurrentUser
from app.core.config import Settings
from app.core.deps import SessionDep, SettingsDep
from app.core.errors import AppError, error_responses
from app.stripe import oauth, service, webhooks
from app.stripe.config import StripeConfig
from app.stripe.exceptions import ConnectDeclined, ConnectFailed
from app.stripe.schemas import ConnectUrl, StripeStatus, WebhookEvent, WebhookReceipt

logger = logging.getLogger("vaultra.stripe")

router = APIRouter(prefix="/integrations/stripe", tags=["stripe"])
webhook_router = APIRouter(prefix="/webhooks", tags=["stripe"])


async def get_stripe_config(request: Request) -> StripeConfig:
    config: StripeConfig = request.app.state.stripe_config
    return config


async def get_webhook_inbox(request: Request) -> webhooks.WebhookInbox:
    inbox: webhooks.WebhookInbox = request.app.state.webhook_inbox
    return inbox


StripeConfigDep = Annotated[StripeConfig, Depends(get_stripe_config)]
WebhookInboxDep = Annotated[webhooks.WebhookInbox, Depends(get_webhook_inbox)]


def _to_dashboard(
    settings: Settings, business_id: uuid.UUID | None, **params: str
) -> RedirectResponse:
    query = {"business_id": str(business_id)} if business_id else {}
    url = f"{settings.frontend_url.rstrip('/')}/dashboard?{urlencode(query | params)}"
    return RedirectResponse(url, status_code=status.HTTP_302_FOUND)


@router.get("/connect", response_model=ConnectUrl, responses=error_responses(503))
async def connect_stripe(
    session: SessionDep,
    settings: SettingsDep,
    config: StripeConfigDep,
    user: CurrentUser,
    access: ManagedBusiness,
) -> ConnectUrl:
    """Where to send the browser to connect Stripe (owner or admin). A navigation cannot carry
    the bearer token, so the app fetches this URL and then navigates to it."""
    url = await oauth.authorize_url(
        session, settings, config, user_id=user.id, business_id=access.id
    )
    return ConnectUrl(url=url)


@router.get("/callback", status_code=status.HTTP_302_FOUND, response_class=RedirectResponse)
async def stripe_callback(
    session: SessionDep,
    settings: SettingsDep,
    config: StripeConfigDep,
    code: Annotated[str | None, Query(max_length=512)] = None,
    state: Annotated[str | None, Query(max_length=4096)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> RedirectResponse:
    """Stripe redirects the browser here; `state` identifies the user and business. Always
    answers with a redirect to the dashboard: `stripe=connected`, or `stripe=error&reason=…`."""
    business_id: uuid.UUID | None = None
    try:
        user_id, business_id = await oauth.consume_state(session, settings, state)
        if error:
            # Stripe's own text is never reflected; only a code of ours goes back.
            raise (
                ConnectDeclined() if error == "access_denied" else ConnectFailed(code="oauth_error")
            )
        await oauth.complete_connect(
            session, config, user_id=user_id, business_id=business_id, code=code
        )
    except AppError as exc:
        return _to_dashboard(settings, business_id, stripe="error", reason=exc.code)
    except Exception:
        logger.exception("stripe connect callback failed")
        await session.rollback()
        return _to_dashboard(settings, business_id, stripe="error", reason="internal_error")
    return _to_dashboard(settings, business_id, stripe="connected")


@router.get("/status", response_model=StripeStatus)
async def read_stripe_status(session: SessionDep, access: CurrentBusiness) -> StripeStatus:
    return await service.get_status(session, access.id)


@router.post(
    "/sync",
    operation_id="request_stripe_sync",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=StripeStatus,
    responses=error_responses(429),
)
async def request_sync(session: SessionDep, access: ManagedBusiness) -> StripeStatus:
    """Queue an incremental sync now (owner or admin), at most once a minute per business:
    sooner answers 429 with `Retry-After`. Poll `/status` until `sync.state` is `succeeded`
    or `failed`."""
    await service.request_sync(session, access.id)
    return await service.get_status(session, access.id)


@router.delete("", response_model=StripeStatus, responses=error_responses(404, 503))
async def disconnect_stripe(
    session: SessionDep, config: StripeConfigDep, access: ManagedBusiness
) -> StripeStatus:
    """Deauthorize Vaultra at Stripe and stop syncing (owner or admin). Synced data is kept."""
    await oauth.disconnect(session, config, access.id)
    return await service.get_status(session, access.id)


@webhook_router.post(
    "/stripe",
    response_model=WebhookReceipt,
    responses=error_responses(400, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": WebhookEvent.model_json_schema()}},
        }
    },
)
async def stripe_webhook(
    request: Request,
    inbox: WebhookInboxDep,
    config: StripeConfigDep,
    stripe_signature: Annotated[str | None, Header()] = None,
) -> WebhookReceipt:
    """Verified events are stored (committed) before the 200; processing follows as a job."""
    payload = await request.body()
    inserted = await inbox.receive(config, payload, stripe_signature)
    return WebhookReceipt(received=True, duplicate=not inserted)
