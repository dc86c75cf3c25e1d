"""/dashboard/metrics: the charts of a business connected to a synced sample merchant."""

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import WebServer
from tests.web.helpers import (
    WebUser,
    assert_accessible,
    assert_js_budget,
    new_user,
    screenshot,
    sign_in,
)
from tests.web.overview_fixtures import sample_merchants, wait_for_score

CHARTS = (
    "Gross and net volume",
    "Refund rate",
    "Dispute ratios",
    "Payouts",
    "Top-customer share",
    "Readiness score",
)
NETWORK_LINES = (
    "Visa early warning 0.65%",
    "Visa standard 0.9%",
    "Visa VAMP excessive 1.5%",
    "Mastercard 1%",
)


@pytest.fixture(scope="module")
def merchant(web_server: WebServer) -> Iterator[tuple[WebUser, dict[str, Any]]]:
    """A founder whose business is connected to the healthy SaaS sample merchant, scored."""
    user = new_user(web_server.api)
    business = user.create_business("Northwind Analytics")
    with sample_merchants(user) as merchants:
        merchants.connect(business["id"], "healthy_saas")
        wait_for_score(user, business["id"])
        yield user, business


def open_metrics(page: Page, merchant: tuple[WebUser, dict[str, Any]], query: str = "") -> str:
    user, business = merchant
    sign_in(page, user)
    page.goto(f"/dashboard/metrics/?business_id={business['id']}{query}")
    return str(business["id"])


def test_charts_render_with_network_lines(
    page: Page, merchant: tuple[WebUser, dict[str, Any]]
) -> None:
    open_metrics(page, merchant)
    for name in CHARTS:
        figure = page.get_by_role("figure", name=name)
        expect(figure.locator("canvas").first).to_be_visible()
        expect(figure.get_by_role("button", name="Show as table")).to_be_visible()
    disputes = page.get_by_role("figure", name="Dispute ratios")
    for label in NETWORK_LINES:
        expect(disputes.get_by_text(label, exact=True)).to_be_visible()
    assert_accessible(page)
    screenshot(page, "metrics")


def test_table_matches_the_api_and_granularity_is_in_the_url(
    page: Page, merchant: tuple[WebUser, dict[str, Any]]
) -> None:
    user, _ = merchant
    business_id = open_metrics(page, merchant, "&granularity=day")
    volume = page.get_by_role("figure", name="Gross and net volume")
    expect(volume.locator("canvas").first).to_be_visible()
    query = parse_qs(urlsplit(page.url).query)
    assert query["granularity"] == ["day"]
    end = query["end"][0]
    history = user.get(
        "/api/v1/metrics/history",
        business_id=business_id,
        granularity="day",
        start_date=query["start"][0],
        end_date=end,
    )
    last = history["metrics"][-1]
    assert last["period_start"] == end
    # The view ends today, so its last day is not over: the page says so.
    expect(page.locator(".metrics-range")).to_contain_text(
        f"Today ({end}) is still under way: its figures so far."
    )

    toggle = volume.get_by_role("button", name="Show as table")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    rows = volume.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(len(history["metrics"]) + 1)
    expect(rows.last).to_have_text(
        re.compile(
            rf"^{end}\s*{re.escape(money(last['gross_volume']))}\s*{re.escape(money(last['net_volume']))}$"
        )
    )
    first_day = volume.get_by_role("table").get_by_role("row").nth(1).get_by_role("rowheader")
    expect(first_day).to_have_text(history["metrics"][0]["period_start"])
    assert_accessible(page)

    # Weeks: the URL says so, and the table now has one row per week.
    page.get_by_label("Granularity").select_option("week")
    expect(page).to_have_url(re.compile(r"[?&]granularity=week(&|$)"))
    weekly = user.get(
        "/api/v1/metrics/history",
        business_id=business_id,
        granularity="week",
        start_date=query["start"][0],
        end_date=end,
    )
    expect(rows).to_have_count(len(weekly["metrics"]) + 1)
    expect(rows.last.get_by_role("rowheader")).to_have_text(weekly["metrics"][-1]["period_start"])
    expect(rows.last).to_contain_text(money(weekly["metrics"][-1]["gross_volume"]))
    assert page.url.count("business_id=") == 1


def test_metrics_page_stays_within_the_js_budget(
    page: Page, merchant: tuple[WebUser, dict[str, Any]]
) -> None:
    user, business = merchant
    sign_in(page, user)
    assert_js_budget(page, f"/dashboard/metrics/?business_id={business['id']}")


def money(minor: int) -> str:
    """USD as formatMoney writes it: $1,234.56."""
    sign = "-" if minor < 0 else ""
    return f"{sign}${abs(minor) / 100:,.2f}"
