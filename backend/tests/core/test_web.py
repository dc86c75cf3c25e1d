"""Serving the web app's build at the API's origin (app/core/web.py)."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.core.config import Settings
from app.core.docs import DOCS_CSP
from app.core.middleware import API_CSP, PAGE_CSP
from app.main import create_app

FILES = {
    "index.html": "<h1>Landing</h1>",
    "404.html": "<h1>Page not found</h1>",
    "dashboard/index.html": "<h1>Overview</h1>",
    "auth/callback/google/index.html": "<h1>Signing you in</h1>",
    "_astro/client.abc123.js": "console.log(1)",
}


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    for name, body in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(body)
    return root


@pytest.fixture
async def web(settings: Settings, dist: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The development set-up: the app at the API's origin, and a build present."""
    same_origin = {"frontend_url": settings.app_base_url, "frontend_dist": dist}
    app = create_app(settings.model_copy(update=same_origin))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def test_pages_are_served_with_the_page_policy(web: httpx.AsyncClient) -> None:
    response = await web.get("/")
    assert response.status_code == 200
    assert "Landing" in response.text
    assert response.headers["content-security-policy"] == PAGE_CSP
    assert response.headers["cache-control"] == "no-cache"
    asset = await web.get("/_astro/client.abc123.js")
    assert asset.status_code == 200
    assert "immutable" in asset.headers["cache-control"]


async def test_the_build_replaces_the_placeholder_pages(web: httpx.AsyncClient) -> None:
    response = await web.get("/dashboard", params={"business_id": "b1", "stripe": "connected"})
    assert response.status_code == 307
    assert response.headers["location"].endswith("/dashboard/?business_id=b1&stripe=connected")
    page = await web.get(response.headers["location"])
    assert "Overview" in page.text
    callback = await web.get("/auth/callback/google/")
    assert "Signing you in" in callback.text


async def test_unknown_pages_get_the_404_page(web: httpx.AsyncClient) -> None:
    response = await web.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.text


async def test_the_api_keeps_its_json_errors_and_strict_policy(web: httpx.AsyncClient) -> None:
    missing = await web.get("/api/v1/nope")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    assert missing.headers["content-security-policy"] == API_CSP
    wrong_method = await web.delete("/api/v1/auth/me")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["code"] == "method_not_allowed"
    assert (await web.get("/health")).headers["content-security-policy"] == API_CSP
    assert (await web.get("/mcp/nope")).status_code == 404
    assert (await web.get("/api/v1/docs")).headers["content-security-policy"] == DOCS_CSP
