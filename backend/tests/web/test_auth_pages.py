"""The signed-out pages: landing, sign-up, log-in, and the Google callback."""

import re
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import jwt
import pytest
from playwright.sync_api import Page, Route, expect

from app.core import security
from tests.web.conftest import WebServer
from tests.web.helpers import (
    TOKEN_KEY,
    WebUser,
    assert_accessible,
    assert_js_budget,
    js_weight,
    new_user,
    screenshot,
)

# Signed-out pages are plain scripts, no React: a few KB at most (React alone is ~67 KB).
SMALL_JS_BYTES = 15 * 1024


def stored_token(page: Page) -> str | None:
    token: str | None = page.evaluate(f"localStorage.getItem('{TOKEN_KEY}')")
    return token


def test_landing_page_explains_vaultra_and_ships_no_js(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Know how fundable your business is, and what to fix first."
    )
    for feature in (
        "One score, from 0 to 100",
        "What helps and what hurts",
        "Funding you can get, and how far the rest is",
        "An assistant that knows your numbers",
    ):
        expect(page.get_by_role("heading", name=feature)).to_be_visible()
    expect(page.get_by_text("Sample merchants let you try everything")).to_be_visible()
    main = page.get_by_role("main")
    expect(main.get_by_role("link", name="Sign up free")).to_have_attribute("href", "/auth/signup")
    expect(main.get_by_role("link", name="Log in")).to_have_attribute("href", "/auth/login")
    assert_accessible(page)
    screenshot(page, "landing")
    assert js_weight(page, "/") == 0

    main.get_by_role("link", name="Sign up free").click()
    expect(page).to_have_url(re.compile(r"/auth/signup/?$"))


def test_sign_up_shows_the_api_field_errors_next_to_the_fields(
    page: Page, web_server: WebServer
) -> None:
    taken = new_user(web_server.api)
    page.goto("/auth/signup")
    name, email, password = (
        page.get_by_label(label, exact=True) for label in ("Name", "Email", "Password")
    )
    sign_up = page.get_by_role("button", name="Sign up")

    email.fill("founder@example.com")
    password.fill("short")
    sign_up.click()
    expect(name).to_have_accessible_description("This field is required.")
    expect(password).to_have_accessible_description(re.compile("Should have at least 8 characters"))
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(name).to_be_focused()
    expect(email).not_to_have_attribute("aria-invalid", "true")

    # "Show password" reveals what was typed; there is no confirmation field.
    page.get_by_label("Show password").check()
    expect(password).to_have_attribute("type", "text")
    expect(page.get_by_label("Confirm password")).to_have_count(0)

    name.fill("Ada Founder")
    email.fill(taken.email)
    password.fill("correct horse battery")
    sign_up.click()
    expect(email).to_have_accessible_description("An account with this email already exists.")
    expect(password).not_to_have_attribute("aria-invalid", "true")
    assert stored_token(page) is None
    assert_accessible(page)
    screenshot(page, "signup-errors")

    email.fill(f"ada-{uuid.uuid4().hex[:8]}@example.com")
    sign_up.click()
    expect(page).to_have_url(re.compile(r"/onboarding/business/?$"))
    assert stored_token(page)


def test_log_in_goes_to_onboarding_without_a_business_else_to_the_dashboard(
    page: Page, web_server: WebServer
) -> None:
    user = new_user(web_server.api)
    page.goto("/auth/login")
    expect(page.get_by_role("link", name="Create an account")).to_have_attribute(
        "href", "/auth/signup"
    )
    log_in(page, user.email, "wrong password")
    expect(page.get_by_role("alert")).to_have_text("Email or password is incorrect.")
    log_in(page, user.email, user.password)
    expect(page).to_have_url(re.compile(r"/onboarding/business/?$"))

    user.create_business("Acme Coffee")
    page.goto("/auth/login")
    log_in(page, user.email, user.password)
    expect(page).to_have_url(re.compile(r"/dashboard/?$"))


def test_log_out_then_log_in_returns_to_next(page: Page, web_user: WebUser) -> None:
    business = web_user.create_business("Acme Coffee")
    deep_link = f"/dashboard/?business_id={business['id']}"
    page.goto(deep_link)
    page.get_by_role("navigation").get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/auth/login/?$"))
    assert stored_token(page) is None

    page.goto(deep_link)
    expect(page).to_have_url(re.compile(r"/auth/login/?\?next="))
    # The way to sign-up keeps `next` too.
    expect(page.get_by_role("link", name="Create an account")).to_have_attribute(
        "href", f"/auth/signup?next={quote(deep_link, safe='')}"
    )
    log_in(page, web_user.email, web_user.password)
    expect(page).to_have_url(re.compile(re.escape(deep_link) + "$"))
    expect(page.get_by_label("Business")).to_have_value(business["id"])


def test_a_next_off_the_site_is_ignored(page: Page, web_server: WebServer) -> None:
    user = new_user(web_server.api)
    page.goto("/auth/login?next=//evil.example/steal")
    log_in(page, user.email, user.password)
    expect(page).to_have_url(re.compile(r"/onboarding/business/?$"))


def test_too_many_failed_log_ins_show_the_wait(page: Page, web_server: WebServer) -> None:
    # The throttle counts per email and per client IP; a made-up client IP (uvicorn trusts
    # X-Forwarded-For from loopback) keeps the other tests' logins from 127.0.0.1 unthrottled.
    client_ip = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    page.context.set_extra_http_headers({"X-Forwarded-For": client_ip})
    user = new_user(web_server.api)
    for _ in range(web_server.settings.login_max_failures):
        response = web_server.api.post(
            "/api/v1/auth/login",
            json={"email": user.email, "password": "wrong password"},
            headers={"X-Forwarded-For": client_ip},
        )
        assert response.status_code == 401
    page.goto("/auth/login")
    log_in(page, user.email, user.password)
    minutes = web_server.settings.login_window_seconds // 60
    expect(page.get_by_role("alert")).to_have_text(
        f"Too many failed log-ins. Try again in {minutes} minutes."
    )
    expect(page).to_have_url(re.compile(r"/auth/login/?$"))
    assert stored_token(page) is None
    assert_accessible(page)
    screenshot(page, "login-throttled")
    # Loopback itself was never counted: everyone else still logs in.
    other = new_user(web_server.api)
    login = {"email": other.email, "password": other.password}
    assert web_server.api.post("/api/v1/auth/login", json=login).status_code == 200


def test_an_expired_token_leads_to_log_in(
    page: Page, web_user: WebUser, web_server: WebServer
) -> None:
    expired, _ = security.create_access_token(
        user_id=uuid.UUID(web_user.user["id"]),
        email=web_user.email,
        secret=web_server.settings.resolved_jwt_secret(),
        expires_minutes=-5,
    )
    page.evaluate("([key, token]) => localStorage.setItem(key, token)", [TOKEN_KEY, expired])
    page.goto("/onboarding/business")
    expect(page).to_have_url(re.compile(r"/auth/login/?\?next=%2Fonboarding%2Fbusiness"))
    assert stored_token(page) is None

    # A token the server refuses, though its `exp` looks fine, ends the same way (a 401).
    forged, _ = security.create_access_token(
        user_id=uuid.UUID(web_user.user["id"]),
        email=web_user.email,
        secret="not-the-server-secret-" + "0" * 48,
        expires_minutes=60,
    )
    page.evaluate("([key, token]) => localStorage.setItem(key, token)", [TOKEN_KEY, forged])
    page.goto("/onboarding/stripe-connect?business_id=b1")
    expect(page).to_have_url(
        re.compile(r"/auth/login/?\?next=%2Fonboarding%2Fstripe-connect%2F?%3Fbusiness_id%3Db1$")
    )
    assert stored_token(page) is None


@pytest.fixture
def google(web_server: WebServer) -> Iterator[WebServer]:
    """The local OpenID provider, signing in a new Google account each test."""
    web_server.google.overrides.update(
        sub=f"google-{uuid.uuid4().hex}", email=f"g-{uuid.uuid4().hex[:10]}@gmail.example"
    )
    yield web_server
    web_server.google.overrides.clear()


def test_google_sign_in_continues_like_a_log_in(page: Page, google: WebServer) -> None:
    page.goto("/auth/login")
    page.get_by_role("button", name="Continue with Google").click()
    # A new Google account has no business yet; the token left the address bar.
    expect(page).to_have_url(re.compile(r"/onboarding/business/?$"))
    token = stored_token(page)
    assert token
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["email"] == google.google.overrides["email"]

    headers = {"Authorization": f"Bearer {token}"}
    created = google.api.post("/api/v1/users/businesses", json={"name": "G Co"}, headers=headers)
    deep_link = f"/dashboard/?business_id={created.json()['id']}"
    page.goto(f"/auth/login?next={quote(deep_link, safe='')}")
    page.get_by_role("button", name="Continue with Google").click()
    expect(page).to_have_url(re.compile(re.escape(deep_link) + "$"))


def test_google_errors_are_shown_with_a_way_back(page: Page, google: WebServer) -> None:
    google.google.overrides["aud"] = "someone-elses-app"  # the backend refuses the ID token
    page.goto("/auth/signup")
    page.get_by_role("button", name="Continue with Google").click()
    expect(page).to_have_url(re.compile(r"/auth/callback/google/?$"))  # the fragment is gone
    expect(page.get_by_role("heading", level=1)).to_have_text("Google sign-in failed")
    expect(page.get_by_role("alert")).to_have_text(
        "Google sign-in did not complete. Please try again."
    )
    assert stored_token(page) is None
    assert_accessible(page)
    screenshot(page, "google-callback-error")

    page.goto("/auth/callback/google#error=access_denied")
    expect(page.get_by_role("alert")).to_have_text("Google sign-in was cancelled.")
    page.get_by_role("link", name="Back to log in").click()
    expect(page).to_have_url(re.compile(r"/auth/login/?$"))


def test_google_button_only_when_google_is_on(page: Page) -> None:
    page.goto("/auth/login")
    expect(page.get_by_role("button", name="Continue with Google")).to_be_visible()

    def google_off(route: Route) -> None:
        route.fulfill(json={"google": False})

    page.route("**/api/v1/auth/providers", google_off)
    page.goto("/auth/login")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("button", name="Continue with Google")).to_be_hidden()


@pytest.mark.parametrize("path", ["/auth/signup", "/auth/login"])
def test_auth_pages_are_accessible_and_light(page: Page, path: str) -> None:
    page.goto(path)
    expect(page.get_by_role("button", name="Continue with Google")).to_be_visible()
    assert_accessible(page)
    screenshot(page, path.strip("/"))
    assert_js_budget(page, path)
    assert js_weight(page, path) <= SMALL_JS_BYTES
    page.goto("/auth/callback/google")  # opened by hand: says so, with the way back
    expect(page.get_by_role("alert")).to_contain_text("without a Google sign-in")


def log_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
