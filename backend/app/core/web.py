"""The built web app (frontend/dist), served at the API's origin.

Served as the router's fallback, after every route has failed to match, rather than as a Mount
at "/": a Mount matches every path, so an API path with the wrong method would get the static
handler's answer instead of its 405, and a path with a trailing slash would lose its redirect.
API paths never fall through to the pages: an unknown /api/v1/... still gets the JSON 404.
"""

from pathlib import Path

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.middleware import API_PATH_PREFIXES

# Astro content-hashes everything under /_astro/, so a year's caching is safe; pages revalidate.
_IMMUTABLE_PREFIX = "/_astro/"
_IMMUTABLE = "public, max-age=31536000, immutable"


def web_build(dist: Path) -> Path | None:
    """The build folder when `astro build` has produced one, else None."""
    return dist if (dist / "index.html").is_file() else None


class WebApp:
    """Answers with the build's files (a folder's index.html, 404.html with status 404)."""

    def __init__(self, dist: Path, api_fallback: ASGIApp) -> None:
        self.files = StaticFiles(directory=dist, html=True)
        self.api_fallback = api_fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(API_PATH_PREFIXES):
            await self.api_fallback(scope, receive, send)
            return
        cache = _IMMUTABLE if path.startswith(_IMMUTABLE_PREFIX) else "no-cache"

        async def send_with_cache(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Cache-Control"] = cache
            await send(message)

        await self.files(scope, receive, send_with_cache)


def install_web(app: FastAPI, dist: Path) -> None:
    app.router.default = WebApp(dist, api_fallback=app.router.default)
