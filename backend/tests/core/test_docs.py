"""The docs page loads Swagger UI from this server only, under a CSP that allows nothing else.

Checked in Chromium by hand (the page renders, "Try it out" works, no CSP violation is
reported); here, what the browser would be allowed to load.
"""

import re

import httpx

PAGE = "/api/v1/docs"


def _directives(policy: str) -> dict[str, list[str]]:
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


async def test_the_docs_page_loads_only_local_assets(client: httpx.AsyncClient) -> None:
    page = await client.get(PAGE)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = _directives(page.headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'none'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["connect-src"] == ["'self'"]
    assert "data:" in csp["img-src"]
    assert csp["frame-ancestors"] == ["'none'"]
    # No other origin and no inline script: every script has a src, every URL is local.
    assert "//" not in page.text.replace("<!doctype html>", "")
    scripts = re.findall(r"<script([^>]*)>", page.text)
    assert scripts
    assert all("src=" in attributes for attributes in scripts)
    loaded = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(loaded) == 4
    for url in loaded:
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 100, url
    openapi_url = re.search(r'data-openapi-url="([^"]+)"', page.text)
    assert openapi_url
    assert (await client.get(openapi_url[1])).json()["openapi"].startswith("3.")


async def test_only_the_pages_assets_are_served(client: httpx.AsyncClient) -> None:
    for name in (
        "index.html",
        "swagger-initializer.js",
        "..%2F..%2Fconfig.py",
        "oauth2-redirect.html",
    ):
        assert (await client.get(f"{PAGE}/assets/{name}")).status_code == 404, name
    assert (await client.get("/api/v1/redoc")).status_code == 404
