"""What browser tests do again and again: sign in, check accessibility, screenshots, JS weight."""

import gzip
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, ViewportSize

from tests.conftest import TEST_PASSWORD

PHONE: ViewportSize = {"width": 375, "height": 812}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
# Saved by every screenshot() call; gitignored. VAULTRA_SCREENSHOTS may point elsewhere (CI).
SCREENSHOT_DIR = Path(os.environ.get("VAULTRA_SCREENSHOTS", Path(__file__).parent / "screenshots"))
# The budget: JavaScript a page loads, gzipped.
JS_BUDGET_BYTES = 100 * 1024
TOKEN_KEY = "vaultra_token"
BUSINESS_KEY = "vaultra_current_business_id"


@dataclass
class WebUser:
    """A signed-up user; `api` calls the server as this user."""

    email: str
    password: str
    token: str
    api: httpx.Client
    user: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def create_business(self, name: str = "Acme", **fields: Any) -> dict[str, Any]:
        response = self.api.post(
            "/api/v1/users/businesses", json={"name": name, **fields}, headers=self.headers
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def get(self, path: str, **params: Any) -> Any:
        """GET an API path as this user; asserts 200 and returns the JSON."""
        response = self.api.get(path, params=params, headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()


def new_user(api: httpx.Client, name: str = "Web Founder") -> WebUser:
    """Signs up through the API (a unique email each time)."""
    email = f"web-{uuid.uuid4().hex[:10]}@example.com"
    response = api.post(
        "/api/v1/auth/signup", json={"email": email, "password": TEST_PASSWORD, "name": name}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return WebUser(email, TEST_PASSWORD, body["token"], api, body["user"])


def sign_in(page: Page, user: WebUser) -> None:
    """Puts the user's token where the app keeps it, as a log-in would (no page is visited
    after this: call page.goto next)."""
    page.goto("/404-sign-in")  # any page of the origin; the 404 page runs no auth guard
    page.evaluate("([key, token]) => localStorage.setItem(key, token)", [TOKEN_KEY, user.token])


def assert_accessible(page: Page) -> None:
    """axe-core finds no serious or critical violation on the page as it is now."""
    results = Axe().run(page)
    violations = results.response.get("violations", [])
    serious = [v for v in violations if v.get("impact") in ("serious", "critical")]
    report = [
        f"{v['id']} ({v['impact']}): {v['help']} -> "
        + ", ".join(str(node["target"]) for node in v["nodes"][:5])
        for v in serious
    ]
    assert not serious, "\n".join(report)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "page"


def screenshot(page: Page, name: str) -> list[Path]:
    """Full-page screenshots at 375 and 1,280 px (`<name>-375.png`, `<name>-1280.png`) in
    SCREENSHOT_DIR, asserting no horizontal scroll at either width. Restores the viewport."""
    original = page.viewport_size or DESKTOP
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    saved = []
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        page.wait_for_timeout(100)  # a layout pass after the resize
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {size['width']}px"
        path = SCREENSHOT_DIR / f"{_slug(name)}-{size['width']}.png"
        page.screenshot(path=str(path), full_page=True)
        saved.append(path)
    page.set_viewport_size(original)
    return saved


def js_weight(page: Page, path: str) -> int:
    """Gzipped bytes of all JavaScript the page loads (islands included), loading it afresh."""
    bodies: dict[str, bytes] = {}

    def keep(response: Any) -> None:
        if response.request.resource_type == "script" and response.ok:
            bodies[response.url] = response.body()

    page.on("response", keep)
    try:
        page.goto(path, wait_until="networkidle")
    finally:
        page.remove_listener("response", keep)
    return sum(len(gzip.compress(body, compresslevel=9)) for body in bodies.values())


def assert_js_budget(page: Page, path: str) -> None:
    weight = js_weight(page, path)
    assert weight <= JS_BUDGET_BYTES, f"{path} loads {weight / 1024:.1f} KB of JS gzipped"
