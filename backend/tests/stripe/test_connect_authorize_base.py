"""The browser and the server may reach Stripe Connect by different names (compose: the browser
at http://localhost:12111, the api at http://sandbox:12111): the authorize link follows
STRIPE_CONNECT_AUTHORIZE_BASE, the code exchange STRIPE_CONNECT_BASE."""

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.core.config import Settings
from app.stripe.models import IntegrationAccount
from stripe_sandbox import SandboxConfig
from tests.conftest import Account
from tests.stripe.conftest import connect_merchant, redirect_query, stripe_settings


@pytest.fixture
def settings(settings: Settings, sandbox_config: SandboxConfig, sandbox_url: str) -> Settings:
    browser_url = sandbox_url.replace("127.0.0.1", "localhost")
    assert browser_url != sandbox_url
    return stripe_settings(
        settings, sandbox_config, sandbox_url, stripe_connect_authorize_base=browser_url
    )


async def test_the_browser_authorizes_at_its_own_address_and_the_server_exchanges_at_its_own(
    app: FastAPI, client: httpx.AsyncClient, make_account: Any, settings: Settings
) -> None:
    account: Account = await make_account()
    business = await account.create_business()
    response = await client.get(
        "/api/v1/integrations/stripe/connect",
        params={"business_id": business["id"]},
        headers=account.headers,
    )
    url = urlsplit(response.json()["url"])
    assert f"{url.scheme}://{url.netloc}" == settings.stripe_connect_authorize_base
    assert url.hostname == "localhost"

    callback = await connect_merchant(client, account, business["id"], "healthy_saas")
    assert redirect_query(callback)["stripe"] == "connected"
    async with app.state.db.session() as session:
        accounts = list((await session.execute(select(IntegrationAccount))).scalars())
    assert [a.status for a in accounts] == ["connected"]
