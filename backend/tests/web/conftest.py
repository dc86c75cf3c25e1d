"""Browser tests: Debian's Chromium (Playwright) against the real server with the built web app.

Session fixtures start one server for all browser tests: uvicorn on a free loopback port, on its
own PostgreSQL database, serving frontend/dist at the same origin, with the Stripe sandbox
mounted (sample merchants connect in the browser) and a local OpenID provider as Google.
Each module gets a browser and each test a fresh context (`page`): localStorage starts empty.

They run on PostgreSQL only (the issue's journeys); the SQLite pass skips them.
"""

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from pydantic import SecretStr

from app.core.config import BACKEND_DIR, AppEnv, Settings
from app.main import create_app
from tests.auth.oidc_provider import CLIENT_ID, CLIENT_SECRET, LocalOpenIDProvider
from tests.conftest import TEST_DB, postgres_database
from tests.servers import free_port, serve_in_thread
from tests.web.helpers import DESKTOP, WebUser, new_user, sign_in

FRONTEND_DIST = BACKEND_DIR.parent / "frontend" / "dist"
# Without the background-networking flags Chromium keeps dialling Google, refused here.
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
]


@dataclass
class WebServer:
    """The running app: `url` is its origin (pages and API alike)."""

    url: str
    settings: Settings
    api: httpx.Client
    google: LocalOpenIDProvider


@pytest.fixture(scope="session")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    if TEST_DB == "sqlite":
        pytest.skip("browser tests run on PostgreSQL (VAULTRA_TEST_DB=postgres)")
    if not (FRONTEND_DIST / "index.html").is_file():
        pytest.fail("no web build: run `make test-web` (or `cd frontend && npx astro build`)")
    google = LocalOpenIDProvider()
    with serve_in_thread(google.asgi()) as google_url, postgres_database("vaultra_web") as db_url:
        google.issuer = google_url
        port = free_port()
        origin = f"http://127.0.0.1:{port}"
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            app_env=AppEnv.test,
            database_url=db_url,
            data_dir=tmp_path_factory.mktemp("web-data"),
            jwt_secret="web-test-jwt-secret-" + "0123456789abcdef" * 4,
            redis_url=None,
            app_base_url=origin,
            frontend_url=origin,
            frontend_dist=FRONTEND_DIST,
            log_level="WARNING",
            kb_auto_ingest=False,
            google_client_id=CLIENT_ID,
            google_client_secret=SecretStr(CLIENT_SECRET),
            google_auth_url=f"{google_url}/authorize",
            google_token_url=f"{google_url}/token",
            google_jwks_url=f"{google_url}/jwks",
            google_issuers=[google_url],
        )
        with (
            serve_in_thread(create_app(settings), port=port) as url,
            httpx.Client(base_url=url, timeout=30) as api,
        ):
            yield WebServer(url=url, settings=settings, api=api, google=google)


@pytest.fixture(scope="module")
def playwright_driver(web_server: WebServer) -> Iterator[Playwright]:
    """Per module: Playwright's sync API keeps an event loop running in this thread while it
    is open, so it starts after the server (whose set-up runs asyncio) and stops with the
    module, before any other test module's asyncio."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """Headless Debian Chromium; `playwright install` cannot download a browser here."""
    executable = shutil.which("chromium") or os.environ.get("CHROMIUM_PATH")
    if executable is None:
        pytest.fail("chromium is missing: apt-get install chromium (.ci/run does)")
    browser = playwright_driver.chromium.launch(
        executable_path=executable, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser, web_server: WebServer) -> Iterator[Page]:
    """A fresh context at 1,280 px wide; relative URLs go to the server."""
    context = browser.new_context(base_url=web_server.url, viewport=DESKTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def web_user(page: Page, web_server: WebServer) -> WebUser:
    """A new user, signed up through the API and signed in on `page` (no business yet)."""
    user = new_user(web_server.api)
    sign_in(page, user)
    return user


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.web)
