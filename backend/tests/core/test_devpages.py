from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.main import create_app


@pytest.fixture
async def same_origin_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"frontend_url": settings.app_base_url}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def test_oauth_landing_pages_without_a_frontend(
    same_origin_client: httpx.AsyncClient,
) -> None:
    connected = await same_origin_client.get(
        "/dashboard", params={"business_id": "<b>", "stripe": "connected"}
    )
    assert connected.status_code == 200
    assert "Stripe is connected" in connected.text
    assert "&lt;b&gt;" in connected.text
    failed = await same_origin_client.get(
        "/dashboard", params={"stripe": "error", "reason": "access_denied"}
    )
    assert "access_denied" in failed.text
    google = await same_origin_client.get("/auth/callback/google")
    assert "URL fragment" in google.text


async def test_no_landing_pages_when_a_frontend_is_configured(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    assert app.state.settings.frontend_url != app.state.settings.app_base_url
    assert (await client.get("/dashboard")).status_code == 404
