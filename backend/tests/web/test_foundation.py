"""The layout every signed-in page shares: the guard, the business selector, the navigation."""

import re

from playwright.sync_api import Page, expect

from tests.web.conftest import WebServer
from tests.web.helpers import (
    BUSINESS_KEY,
    TOKEN_KEY,
    WebUser,
    assert_accessible,
    assert_js_budget,
    screenshot,
)


def test_signed_out_visitors_are_sent_to_log_in(page: Page) -> None:
    page.goto("/dashboard/?business_id=b1")
    expect(page).to_have_url(re.compile(r"/auth/login/?\?next=%2Fdashboard%2F%3Fbusiness_id%3Db1$"))


def test_dashboard_shows_the_chosen_business(page: Page, web_user: WebUser) -> None:
    acme = web_user.create_business("Acme Coffee")
    bolt = web_user.create_business("Bolt Bikes")
    page.goto("/dashboard/")
    # Two businesses and no choice yet: nothing is shown until the user chooses.
    expect(page.get_by_text("Choose a business")).to_have_count(2)
    selector = page.get_by_label("Business")
    selector.select_option(label="Bolt Bikes")
    expect(page.get_by_role("heading", name="Bolt Bikes")).to_be_visible()
    expect(page.get_by_role("banner").get_by_role("status")).to_have_text("Showing Bolt Bikes")
    assert page.evaluate(f"localStorage.getItem('{BUSINESS_KEY}')") == bolt["id"]

    # A deep link wins over the stored choice, and the navigation keeps it.
    page.goto(f"/dashboard/?business_id={acme['id']}")
    expect(page.get_by_role("heading", name="Acme Coffee")).to_be_visible()
    expect(selector).to_have_value(acme["id"])
    overview = page.get_by_role("navigation").get_by_role("link", name="Overview")
    expect(overview).to_have_attribute("href", f"/dashboard/?business_id={acme['id']}")
    expect(overview).to_have_attribute("aria-current", "page")
    assert_accessible(page)
    screenshot(page, "layout-deep-link")


def test_log_out_forgets_the_token_and_the_business(page: Page, web_user: WebUser) -> None:
    web_user.create_business("Acme Coffee")
    page.goto("/dashboard/")
    expect(page.get_by_role("heading", name="Acme Coffee")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/auth/login/?$"))
    stored = page.evaluate(
        f"[localStorage.getItem('{TOKEN_KEY}'), localStorage.getItem('{BUSINESS_KEY}')]"
    )
    assert stored == [None, None]


def test_new_business_entry_leads_to_onboarding(page: Page, web_user: WebUser) -> None:
    web_user.create_business("Acme Coffee")
    page.goto("/dashboard/")
    page.get_by_label("Business").select_option(label="+ New business")
    expect(page).to_have_url(re.compile(r"/onboarding/business/?$"))


def test_pages_stay_within_the_js_budget(page: Page, web_user: WebUser) -> None:
    web_user.create_business("Acme Coffee")
    for path in ("/", "/dashboard/"):
        assert_js_budget(page, path)


def test_the_404_page_answers_404(page: Page, web_server: WebServer) -> None:
    response = page.goto("/no/such/page")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("link", name="Home")).to_be_visible()
    assert web_server.api.get("/api/v1/no/such").json()["code"] == "not_found"
