"""Stripe Connect (Standard, OAuth): connect, callback, disconnect.

The `state` is signed, expires in 10 minutes, is single use and names the user and the business:
the callback arrives from a browser redirect without a bearer token, and `state` is what proves
who started it. Only the connected account's id is kept; the OAuth tokens are discarded.
"""

import uuid
from urllib.parse import urlencode

import stripe
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service as auth_service
from app.auth.exceptions import InvalidState
from app.core.config import Settings
from app.stripe import service
from app.stripe.client import StripeApi
from app.stripe.config import StripeConfig
from app.stripe.exceptions import (
    ConnectExchangeFailed,
    ConnectFailed,
    ConnectIncomplete,
    ConnectNotAllowed,
    StripeNotConfigured,
    StripeNotConnected,
    StripeUnavailable,
)
from app.stripe.models import IntegrationAccount
from app.users import service as users_service
from app.users.models import MANAGER_ROLES

STATE_PURPOSE = "stripe-connect"


def require_configured(config: StripeConfig) -> None:
    if not config.secret_key or not config.client_id:
        raise StripeNotConfigured()


async def authorize_url(
    session: AsyncSession,
    settings: Settings,
    config: StripeConfig,
    *,
    user_id: uuid.UUID,
    business_id: uuid.UUID,
) -> str:
    require_configured(config)
    state = await auth_service.issue_state(
        session, settings, purpose=STATE_PURPOSE, user_id=user_id, business_id=business_id
    )
    query = {
        "response_type": "code",
        "client_id": config.client_id,
        # Vaultra only reads; it never writes to a merchant's account.
        "scope": "read_only",
        "state": state,
        "redirect_uri": config.redirect_uri,
    }
    return f"{config.authorize_base}/oauth/authorize?{urlencode(query)}"


async def consume_state(
    session: AsyncSession, settings: Settings, state: str | None
) -> tuple[uuid.UUID, uuid.UUID]:
    """(user id, business id) the state was issued for; raises InvalidState."""
    if not state:
        raise InvalidState()
    consumed = await auth_service.consume_state(
        session, settings, token=state, purpose=STATE_PURPOSE
    )
    if consumed.user_id is None or consumed.business_id is None:
        raise InvalidState()
    return consumed.user_id, consumed.business_id


async def complete_connect(
    session: AsyncSession,
    config: StripeConfig,
    *,
    user_id: uuid.UUID,
    business_id: uuid.UUID,
    code: str | None,
) -> IntegrationAccount:
    """Exchange the code, link the account and queue its backfill (after commit)."""
    require_configured(config)
    if not code:
        raise ConnectIncomplete()
    # The role may have changed in the minutes the user spent at Stripe.
    access = await users_service.get_access(session, user_id, business_id)
    if access is None or access.role not in MANAGER_ROLES:
        raise ConnectNotAllowed()
    try:
        async with StripeApi(config) as api:
            token = await api.exchange_code(code)
    except stripe.oauth_error.InvalidGrantError as exc:
        raise ConnectExchangeFailed() from exc
    except stripe.oauth_error.OAuthError as exc:
        raise ConnectFailed(code="oauth_error") from exc
    except stripe.StripeError as exc:
        raise StripeUnavailable() from exc
    stripe_user_id = token.get("stripe_user_id")
    if not isinstance(stripe_user_id, str) or not stripe_user_id.startswith("acct_"):
        raise ConnectFailed(code="oauth_error")
    account = await service.link_account(
        session,
        business_id,
        stripe_user_id=stripe_user_id,
        livemode=bool(token.get("livemode")),
        scope=token.get("scope"),
    )
    service.enqueue_sync(session, business_id)
    return account


async def disconnect(session: AsyncSession, config: StripeConfig, business_id: uuid.UUID) -> None:
    """Deauthorize at Stripe, then stop syncing. The synced rows are kept."""
    require_configured(config)
    account = await service.get_account(session, business_id)
    if account is None or account.status != service.CONNECTED:
        raise StripeNotConnected()
    await _deauthorize(session, config, account)


async def revoke_access(
    session: AsyncSession, config: StripeConfig, business_id: uuid.UUID
) -> None:
    """Deauthorize at Stripe as `disconnect` does, when the business is connected; nothing to do
    otherwise (teams' business deletion, which then deletes the rows)."""
    account = await service.get_account(session, business_id)
    if account is None or account.status != service.CONNECTED:
        return
    require_configured(config)
    await _deauthorize(session, config, account)


async def _deauthorize(
    session: AsyncSession, config: StripeConfig, account: IntegrationAccount
) -> None:
    try:
        async with StripeApi(config) as api:
            await api.deauthorize(account.stripe_user_id)
    except stripe.oauth_error.InvalidClientError:
        pass  # Stripe no longer links the account to us: it was already deauthorized
    except stripe.StripeError as exc:
        # Still connected at Stripe: report it rather than pretend the access was revoked.
        raise StripeUnavailable() from exc
    await service.mark_disconnected(session, account)
