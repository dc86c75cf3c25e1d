"""The founder's first minutes: sign up, create a business, connect a sample merchant."""

import re
import uuid
from typing import Any

from playwright.sync_api import Page, expect

from app.core.iso import COUNTRIES, CURRENCIES
from tests.web.conftest import WebServer
from tests.web.helpers import (
    BUSINESS_KEY,
    TOKEN_KEY,
    WebUser,
    assert_accessible,
    assert_js_budget,
    js_weight,
    screenshot,
)

# Onboarding is plain scripts, no React.
SMALL_JS_BYTES = 20 * 1024


def me(web_server: WebServer, page: Page) -> Any:
    token = page.evaluate(f"localStorage.getItem('{TOKEN_KEY}')")
    response = web_server.api.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()


def test_sign_up_create_a_business_and_connect_a_sample_merchant(
    page: Page, web_server: WebServer
) -> None:
    page.goto("/")
    page.get_by_role("main").get_by_role("link", name="Sign up free").click()
    page.get_by_label("Name", exact=True).fill("Ada Founder")
    page.get_by_label("Email", exact=True).fill(f"ada-{uuid.uuid4().hex[:8]}@example.com")
    page.get_by_label("Password", exact=True).fill("correct horse battery")
    page.get_by_role("button", name="Sign up").click()

    expect(page).to_have_url(re.compile(r"/onboarding/business/?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Tell us about your business")
    create = page.get_by_role("button", name="Create business")
    create.click()  # no name: the API's error shows next to the field
    name = page.get_by_label("Business name")
    expect(name).to_have_accessible_description("This field is required.")
    expect(name).to_be_focused()
    assert_accessible(page)
    screenshot(page, "onboarding-business")

    name.fill("Northwind Labs")
    page.get_by_label("Country").select_option(label="Germany")
    expect(page.get_by_label("Currency")).to_have_value("eur")  # suggested by the country
    page.get_by_label("Industry").fill("SaaS")
    create.click()

    expect(page).to_have_url(re.compile(r"/onboarding/stripe-connect/?\?business_id="))
    [business] = me(web_server, page)["businesses"]
    assert business["name"] == "Northwind Labs"
    assert page.url.endswith(f"business_id={business['id']}")
    stored = web_server.api.get(
        f"/api/v1/users/businesses/{business['id']}",
        headers={
            "Authorization": f"Bearer {page.evaluate(f'localStorage.getItem({TOKEN_KEY!r})')}"
        },
    ).json()
    assert (stored["country"], stored["currency"], stored["industry"]) == ("DE", "eur", "SaaS")

    connect = page.get_by_role("button", name="Connect Stripe")
    expect(connect).to_be_visible()
    expect(page.get_by_text("Read-only.")).to_be_visible()
    expect(page.get_by_text("sample merchants", exact=False).first).to_be_visible()
    assert_accessible(page)
    screenshot(page, "onboarding-stripe-connect")

    connect.click()
    expect(page).to_have_url(re.compile(r"/stripe-sandbox/oauth/authorize\?"))
    page.get_by_role("link", name=re.compile("Northwind Analytics")).click()

    expect(page).to_have_url(
        re.compile(rf"/dashboard/?\?business_id={business['id']}&stripe=connected$")
    )
    expect(page.get_by_label("Business")).to_have_value(business["id"])
    assert page.evaluate(f"localStorage.getItem('{BUSINESS_KEY}')") == business["id"]


def test_stripe_connect_states(page: Page, web_user: WebUser) -> None:
    page.goto("/onboarding/stripe-connect")
    expect(page.get_by_text("You have no business yet.")).to_be_visible()
    expect(page.get_by_role("link", name="Create a business")).to_have_attribute(
        "href", "/onboarding/business"
    )

    acme = web_user.create_business("Acme Coffee")
    web_user.create_business("Bolt Bikes")
    page.goto("/onboarding/stripe-connect")  # two businesses, none chosen: which one?
    page.get_by_role("link", name="Acme Coffee").click()
    expect(page).to_have_url(re.compile(rf"\?business_id={acme['id']}$"))
    expect(page.get_by_text("Connect the Stripe account of Acme Coffee.")).to_be_visible()
    later = page.get_by_role("link", name="I'll do this later")
    expect(later).to_have_attribute("href", f"/dashboard/?business_id={acme['id']}")


def test_onboarding_offers_exactly_the_codes_the_api_accepts(page: Page, web_user: WebUser) -> None:
    page.goto("/onboarding/business")
    countries = (
        page.get_by_label("Country")
        .locator("option")
        .evaluate_all("options => options.map(option => option.value)")
    )
    currencies = (
        page.get_by_label("Currency")
        .locator("option")
        .evaluate_all("options => options.map(option => option.value)")
    )
    assert set(countries) - {""} == COUNTRIES
    assert set(currencies) == CURRENCIES
    expect(page.get_by_label("Currency")).to_have_value("usd")


def test_onboarding_log_out_and_the_way_back(page: Page, web_user: WebUser) -> None:
    page.goto("/onboarding/business")
    back = page.get_by_role("link", name="Back to the dashboard")
    expect(back).to_be_hidden()  # nothing to go back to yet
    web_user.create_business("Acme Coffee")
    page.reload()
    expect(back).to_be_visible()

    page.get_by_role("banner").get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/auth/login/?$"))
    assert page.evaluate(f"localStorage.getItem('{TOKEN_KEY}')") is None


def test_onboarding_pages_stay_light(page: Page, web_user: WebUser) -> None:
    business = web_user.create_business("Acme Coffee")
    for path in (
        "/onboarding/business",
        f"/onboarding/stripe-connect?business_id={business['id']}",
    ):
        assert_js_budget(page, path)
        assert js_weight(page, path) <= SMALL_JS_BYTES
