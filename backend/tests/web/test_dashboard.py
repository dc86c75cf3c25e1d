"""The readiness overview (/dashboard): what a founder reads after connecting Stripe.

One founder with two businesses connected to different sample merchants (a healthy SaaS and a
gadget shop with a dispute problem) serves the module; their backfills run once.
"""

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from stripe_sandbox.merchants import get_merchant
from tests.web.conftest import WebServer
from tests.web.helpers import (
    BUSINESS_KEY,
    WebUser,
    assert_accessible,
    assert_js_budget,
    new_user,
    screenshot,
    sign_in,
)
from tests.web.overview_fixtures import (
    authorize_url,
    sample_merchants,
    wait_for_score,
)

SCORE_TIMEOUT_MS = 90_000


@dataclass
class Founder:
    user: WebUser
    healthy: dict[str, Any]
    disputes: dict[str, Any]


@pytest.fixture(scope="module")
def founder(web_server: WebServer) -> Iterator[Founder]:
    user = new_user(web_server.api, name="Dana Founder")
    healthy = user.create_business("Northwind Analytics")
    disputes = user.create_business("VoltEdge Gadgets")
    with sample_merchants(user) as merchants:
        merchants.connect(healthy["id"], "healthy_saas")
        merchants.connect(disputes["id"], "high_dispute")
        wait_for_score(user, healthy["id"])
        wait_for_score(user, disputes["id"])
        yield Founder(user, healthy, disputes)


def meter(page: Page) -> Any:
    return page.get_by_role("meter", name="Readiness score")


def money(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    return f"{sign}${abs(minor) / 100:,.2f}"


def test_the_overview_shows_what_the_api_says(page: Page, founder: Founder) -> None:
    """The gadget shop: components that hurt, options not yet in reach, open recommendations."""
    user, business_id = founder.user, founder.disputes["id"]
    sign_in(page, user)
    page.goto(f"/dashboard/?business_id={business_id}")
    readiness = user.get("/api/v1/readiness", business_id=business_id)

    # The score, and its tier as text next to it in the API's words.
    expect(meter(page)).to_have_attribute("aria-valuenow", str(readiness["score"]))
    score_card = page.locator("section", has=meter(page))
    expect(score_card.get_by_test_id("tier")).to_have_text(readiness["tier"].replace("_", " "))
    expect(page.get_by_role("status").filter(has_text="Last synced")).to_be_visible()
    # Its disputes cap the score, and the page says so.
    capping = readiness["components"][readiness["capped_by"]]
    expect(score_card.get_by_role("note")).to_contain_text(
        f"{capping['label']} caps the score at {capping['caps_score_at']}"
    )

    # Every component under its label, with helps / hurts / neutral, value and weight.
    rows = page.locator("[data-component]")
    expect(rows).to_have_count(len(readiness["components"]))
    for key, component in readiness["components"].items():
        row = page.locator(f'[data-component="{key}"]')
        expect(row.get_by_role("heading")).to_have_text(component["label"])
        expect(row.locator(".status-chip")).to_contain_text(component["status"])
        expect(row).to_contain_text(component["display"])
        expect(row).to_contain_text(f"{round(component['weight'] * 100)}%")
        expect(row).to_contain_text(component["explanation"])

    # Each funding option, eligible or not yet with its first unmet criterion.
    for option in readiness["funding_options"]:
        card = page.locator(f'[data-funding="{option["type"]}"]')
        expect(card.get_by_role("heading")).to_have_text(option["name"])
        expect(card.locator(".status-chip")).to_have_text(
            "Eligible" if option["eligible"] else "Not yet"
        )
        if option["unmet"]:
            expect(card).to_contain_text(option["unmet"][0]["message"])

    # The top three open recommendations, and the way to all of them (keeping the business).
    recommendations = user.get("/api/v1/recommendations", business_id=business_id, status="open")
    titles = [item["title"] for item in recommendations["recommendations"][:3]]
    steps = page.get_by_role("region", name="Next steps")
    expect(steps.get_by_role("heading", level=3)).to_have_text(titles)
    expect(steps.get_by_role("link", name="All recommendations")).to_have_attribute(
        "href", f"/dashboard/recommendations/?business_id={business_id}"
    )

    # KPI tiles: the last 30 days of the daily history.
    history = user.get("/api/v1/metrics/history", business_id=business_id)["metrics"]
    gross = sum(point["gross_volume"] for point in history[-30:])
    tiles = page.get_by_role("list", name="Last 30 days").get_by_role("listitem")
    expect(tiles).to_have_count(4)
    expect(tiles.nth(0)).to_contain_text(f"Gross volume{money(gross)}")
    expect(tiles.nth(0).get_by_role("img")).to_be_visible()

    assert_accessible(page)
    screenshot(page, "dashboard-high-dispute")
    assert_js_budget(page, f"/dashboard/?business_id={business_id}")


def test_switching_business_changes_the_score(page: Page, founder: Founder) -> None:
    user = founder.user
    scores = {
        business["id"]: user.get("/api/v1/readiness", business_id=business["id"])["score"]
        for business in (founder.healthy, founder.disputes)
    }
    assert scores[founder.healthy["id"]] != scores[founder.disputes["id"]], scores
    sign_in(page, user)
    page.goto("/dashboard/")
    expect(page.get_by_text("Choose a business")).to_have_count(2)

    selector = page.get_by_label("Business")
    selector.select_option(label="Northwind Analytics")
    expect(meter(page)).to_have_attribute("aria-valuenow", str(scores[founder.healthy["id"]]))
    selector.select_option(label="VoltEdge Gadgets")
    expect(page.get_by_role("heading", name="VoltEdge Gadgets")).to_be_visible()
    expect(meter(page)).to_have_attribute("aria-valuenow", str(scores[founder.disputes["id"]]))
    assert page.evaluate(f"localStorage.getItem('{BUSINESS_KEY}')") == founder.disputes["id"]

    # A deep link wins over the stored choice.
    page.goto(f"/dashboard/?business_id={founder.healthy['id']}")
    expect(selector).to_have_value(founder.healthy["id"])
    expect(meter(page)).to_have_attribute("aria-valuenow", str(scores[founder.healthy["id"]]))
    screenshot(page, "dashboard")


def test_a_business_without_stripe_is_told_how_to_connect(page: Page, web_user: WebUser) -> None:
    business = web_user.create_business("Quiet Bakery")
    page.goto("/dashboard/")
    heading = page.get_by_role("heading", name="Connect Stripe to see your readiness score")
    expect(heading).to_be_visible()
    expect(page.get_by_role("link", name="Connect Stripe")).to_have_attribute(
        "href", f"/onboarding/stripe-connect?business_id={business['id']}"
    )
    expect(meter(page)).to_have_count(0)
    assert_accessible(page)
    screenshot(page, "dashboard-not-connected")


def test_a_declined_connection_shows_the_reason_and_a_retry(page: Page, web_user: WebUser) -> None:
    business = web_user.create_business("Quiet Bakery")
    page.goto(authorize_url(web_user, business["id"]))
    page.get_by_role("link", name="Deny access").click()
    expect(page).to_have_url(re.compile(r"/dashboard/?\?.*stripe=error&reason=access_denied"))
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The Stripe account owner declined the connection.")
    expect(alert).to_contain_text("access_denied")
    expect(alert.get_by_role("link", name="Try connecting again")).to_have_attribute(
        "href", f"/onboarding/stripe-connect?business_id={business['id']}"
    )
    assert_accessible(page)
    screenshot(page, "dashboard-connect-error")


# Records, from the first paint, each backfill progress line the page shows.
PROGRESS_RECORDER = """
window.__progress = [];
new MutationObserver(() => {
  const state = document.querySelector('[data-testid="sync-state"]');
  const objects = document.querySelector('[data-testid="objects-synced"]');
  if (state && objects) {
    const line = state.textContent + ' ' + objects.textContent;
    if (window.__progress.at(-1) !== line) window.__progress.push(line);
  }
}).observe(document, { subtree: true, childList: true, characterData: true });
"""


def test_the_connect_return_shows_the_backfill_then_the_score(
    page: Page, web_user: WebUser
) -> None:
    business = web_user.create_business("Fern & Fig")
    with sample_merchants(web_user) as merchants:
        page.add_init_script(PROGRESS_RECORDER)
        page.goto(authorize_url(web_user, business["id"]))
        started = time.monotonic()
        page.get_by_role("link", name=get_merchant("new_store").name).click()
        merchants.track(business["id"])
        expect(page).to_have_url(re.compile(r"/dashboard/?\?.*stripe=connected"))
        page.evaluate("window.__sameDocument = true")

        expect(meter(page)).to_be_visible(timeout=SCORE_TIMEOUT_MS)
        seconds = time.monotonic() - started
        readiness = web_user.get("/api/v1/readiness", business_id=business["id"])
        expect(meter(page)).to_have_attribute("aria-valuenow", str(readiness["score"]))
        # No reload: the page that showed the progress is the one showing the score.
        assert page.evaluate("window.__sameDocument") is True
        progress = page.evaluate("window.__progress")
        assert progress, "the backfill's progress was never shown"
        print(f"connect -> score on the page: {seconds:.1f}s; progress seen: {progress}")
        # Six weeks of history: a score, with why it is not reliable yet.
        expect(page.get_by_role("heading", name="Not enough history")).to_be_visible()
        expect(page).not_to_have_url(re.compile(r"stripe=connected"))
        screenshot(page, "dashboard-insufficient-data")
