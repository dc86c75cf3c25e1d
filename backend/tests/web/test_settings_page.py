"""/settings: profile and business edits, the Stripe connection (sync now, disconnect), personal
access tokens (created, used, revoked) and the MCP set-up."""

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.web.agent_settings_fixtures import wait_for_sync
from tests.web.conftest import WebServer
from tests.web.helpers import (
    WebUser,
    assert_accessible,
    assert_js_budget,
    new_user,
    screenshot,
    sign_in,
)
from tests.web.overview_fixtures import connect_merchant


@dataclass
class Owner:
    user: WebUser
    business_id: str


@pytest.fixture(scope="module")
def owner(web_server: WebServer) -> Iterator[Owner]:
    """An owner whose business is connected to the small new-store sample merchant, synced.
    The merchant is released at the end if a test left it connected (Disconnect is tested)."""
    user = new_user(web_server.api, name="Grace Owner")
    business = user.create_business("Bolt Bikes", country="US")
    assert connect_merchant(user, business["id"], "new_store")["stripe"] == "connected"
    wait_for_sync(user, business["id"])
    yield Owner(user, business["id"])
    params = {"business_id": business["id"]}
    if user.get("/api/v1/integrations/stripe/status", **params)["connected"]:
        response = user.api.delete(
            "/api/v1/integrations/stripe", params=params, headers=user.headers
        )
        assert response.status_code == 200, response.text


def test_profile_and_business_are_saved(page: Page, owner: Owner) -> None:
    sign_in(page, owner.user)
    page.goto("/settings/")
    profile = page.get_by_role("region", name="Profile")
    profile.get_by_label("Name").fill("Grace Hopper")
    profile.get_by_label("Avatar URL").fill("https://example.com/grace.png")
    profile.get_by_role("button", name="Save profile").click()
    expect(profile.get_by_role("status")).to_have_text("Profile saved.")
    me = owner.user.get("/api/v1/users/me")
    assert (me["name"], me["avatar_url"]) == ("Grace Hopper", "https://example.com/grace.png")

    business = page.get_by_role("region", name="Business", exact=True)
    business.get_by_label("Industry").fill("Bicycles")
    business.get_by_label("Annual revenue (USD)").fill("250000")
    business.get_by_role("button", name="Save business").click()
    expect(business.get_by_role("status")).to_have_text("Business saved.")
    saved = owner.user.get(f"/api/v1/users/businesses/{owner.business_id}")
    assert (saved["industry"], saved["revenue_estimate"]) == ("Bicycles", 25_000_000)

    # A refused value is shown on its field, and nothing changes.
    business.get_by_label("Country (ISO code)").fill("ZZ")
    business.get_by_role("button", name="Save business").click()
    expect(business.get_by_label("Country (ISO code)")).to_have_attribute("aria-invalid", "true")
    assert owner.user.get(f"/api/v1/users/businesses/{owner.business_id}")["country"] == "US"


def test_a_token_is_created_used_and_revoked(
    page: Page, owner: Owner, web_server: WebServer
) -> None:
    sign_in(page, owner.user)
    page.goto("/settings/")
    tokens = page.get_by_role("region", name="Personal access tokens")
    tokens.get_by_label("Token name").fill("CI script")
    tokens.get_by_role("button", name="Create token").click()
    secret = tokens.get_by_label("Your new token").input_value()
    assert secret.startswith("vtr_pat_")
    expect(tokens.get_by_role("button", name="Copy token")).to_be_visible()
    # The MCP set-up now carries it, ready to paste.
    mcp = page.get_by_role("region", name="MCP set-up")
    expect(mcp.get_by_label("Remote MCP client configuration")).to_contain_text(
        f'"url": "{web_server.url}/mcp"'
    )
    expect(mcp.get_by_label("Remote MCP client configuration")).to_contain_text(f"Bearer {secret}")
    expect(mcp.get_by_label("Local MCP client configuration")).to_contain_text(
        f'"VAULTRA_TOKEN": "{secret}"'
    )

    with httpx.Client(base_url=web_server.url) as client:
        auth = {"Authorization": f"Bearer {secret}"}
        me = client.get("/api/v1/auth/me", headers=auth)
        assert me.status_code == 200, me.text
        assert me.json()["email"] == owner.user.email

        page.reload()
        item = tokens.get_by_role("listitem").filter(has_text="CI script")
        expect(item).to_contain_text("Last used")
        expect(item).not_to_contain_text("Last usedNever")
        assert_accessible(page)
        page.evaluate("window.scrollTo(0, 0)")  # the sticky index sits at the top
        screenshot(page, "settings")

        item.get_by_role("button", name="Revoke").click()
        dialog = page.get_by_role("dialog", name="Revoke “CI script”?")
        expect(dialog).to_be_visible()
        assert_accessible(page)
        dialog.get_by_role("button", name="Revoke").click()
        expect(dialog).to_be_hidden()
        expect(tokens.get_by_role("listitem").filter(has_text="CI script")).to_have_count(0)
        expect(tokens.get_by_role("status").last).to_contain_text("revoked")

        refused = client.get("/api/v1/auth/me", headers=auth)
        assert refused.status_code == 401, refused.text


def test_sync_now_shows_the_sync_running_then_finished(page: Page, owner: Owner) -> None:
    sign_in(page, owner.user)
    page.goto("/settings/")
    stripe = page.get_by_role("region", name="Stripe connection")
    expect(stripe.locator(".settings-card-head .badge")).to_have_text("Connected")
    stripe.get_by_role("button", name="Sync now").click()
    state = stripe.locator(".sync-state")
    expect(state).to_have_text("Sync running…")
    expect(state).to_have_text(re.compile(r"^Sync finished .*: [\d,]+ objects\.$"), timeout=30_000)
    status = owner.user.get("/api/v1/integrations/stripe/status", business_id=owner.business_id)
    assert status["sync"]["state"] == "succeeded"

    # Asked again within the minute: the 429 and its wait are shown.
    stripe.get_by_role("button", name="Sync now").click()
    expect(stripe.get_by_role("alert")).to_contain_text("less than a minute ago")
    expect(stripe.get_by_role("alert")).to_contain_text(re.compile(r"\d+ s left"))
    expect(stripe.get_by_role("button", name="Sync now")).to_be_disabled()


def test_disconnect_shows_the_not_connected_state(page: Page, owner: Owner) -> None:
    sign_in(page, owner.user)
    page.goto("/settings/")
    stripe = page.get_by_role("region", name="Stripe connection")
    stripe.get_by_role("button", name="Disconnect").click()
    dialog = page.get_by_role("dialog", name="Disconnect Stripe?")
    # Cancel keeps the connection.
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    stripe.get_by_role("button", name="Disconnect").click()
    dialog.get_by_role("button", name="Disconnect").click()
    expect(stripe.locator(".settings-card-head .badge")).to_have_text("Not connected")
    expect(stripe.get_by_role("button", name="Connect Stripe")).to_be_visible()
    status = owner.user.get("/api/v1/integrations/stripe/status", business_id=owner.business_id)
    assert status["connected"] is False
    page.reload()
    expect(stripe.locator(".settings-card-head .badge")).to_have_text("Not connected")
    # The overview keeps the last score, says Stripe is not connected, and offers the way back.
    page.goto(f"/dashboard/?business_id={owner.business_id}")
    expect(page.get_by_role("meter", name="Readiness score")).to_be_visible()
    expect(page.get_by_text(re.compile("Stripe connected"))).to_have_count(0)
    notice = page.get_by_role("region", name="Stripe is not connected")
    expect(notice).to_be_visible()
    expect(notice.get_by_role("link", name="Connect Stripe")).to_have_attribute(
        "href", re.compile(f"/onboarding/stripe-connect.*business_id={owner.business_id}")
    )
    assert_accessible(page)
    screenshot(page, "dashboard-disconnected")


def test_the_settings_page_stays_within_the_js_budget(page: Page, owner: Owner) -> None:
    sign_in(page, owner.user)
    assert_js_budget(page, "/settings/")
