"""/dashboard/funding: today's funding options with every criterion's distance, and the what-if
simulator against the high-dispute sample merchant (its score is capped by its disputes)."""

import time
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.web.conftest import WebServer
from tests.web.helpers import (
    JS_BUDGET_BYTES,
    assert_accessible,
    js_weight,
    screenshot,
    sign_in,
)
from tests.web.recs_funding_fixtures import SyncedBusiness, connect_sample_merchant

PATH = "/dashboard/funding"
DISPUTE_METRICS = (
    "dispute_ratio_visa_month",
    "dispute_ratio_visa_3m",
    "dispute_ratio_mc_month",
    "dispute_ratio_mc_3m",
)


@pytest.fixture(scope="module")
def high_dispute(web_server: WebServer) -> SyncedBusiness:
    return connect_sample_merchant(web_server, "high_dispute")


@pytest.fixture
def funding_page(page: Page, high_dispute: SyncedBusiness) -> Page:
    sign_in(page, high_dispute.user)
    page.goto(f"{PATH}?business_id={high_dispute.business_id}")
    return page


def readiness(business: SyncedBusiness) -> dict[str, Any]:
    body: dict[str, Any] = business.user.get("/api/v1/readiness", business_id=business.business_id)
    return body


def meter_value(page: Page, name: str) -> Locator:
    return page.get_by_role("meter", name=name, exact=True)


def option_card(page: Page, name: str) -> Locator:
    return page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name=name, exact=True)
    )


def simulated_eligibility(page: Page) -> dict[str, bool]:
    """Each option's what-if eligibility as the comparison table shows it."""
    rows = page.locator("table.comparison tbody tr")
    shown = {}
    for row in rows.all():
        cell = row.get_by_role("cell").nth(1)
        text = cell.locator(".status-pill").inner_text()
        assert text in ("Eligible", "Not yet")
        shown[str(row.get_attribute("data-option"))] = text == "Eligible"
    return shown


def test_options_show_each_criterion_with_its_distance_and_source(
    funding_page: Page, high_dispute: SyncedBusiness
) -> None:
    page = funding_page
    today = readiness(high_dispute)
    assert [o["type"] for o in today["funding_options"]] == [
        "merchant_cash_advance",
        "revenue_based_financing",
        "bank_line_of_credit",
        "sba_term_loan",
    ]
    for option in today["funding_options"]:
        card = option_card(page, option["name"])
        expect(card).to_contain_text("Eligible" if option["eligible"] else "Not yet")
        expect(card).to_contain_text(option["source"])
        measured = [c for c in option["criteria"] if c["unit"] is not None]
        expect(card.locator("table.criteria tbody tr")).to_have_count(len(measured))
        for criterion in option["criteria"]:
            expect(card).to_contain_text(criterion["description"])

    # The merchant cash advance's dispute criterion, in percent, with the distance to the limit.
    mca = today["funding_options"][0]
    disputes = next(c for c in mca["criteria"] if c["criterion"] == "worst_dispute_ratio")
    mca_card = option_card(page, mca["name"])
    row = mca_card.get_by_role("row", name=disputes["description"])
    current = f"{disputes['current'] * 100:.2f}%"
    gap = f"{(disputes['current'] - disputes['required']) * 100:.2f}%"
    expect(row.get_by_role("cell")).to_have_text([current, "< 1.00%", f"{gap} over the limit"])
    # Money via the currency's minor units.
    revenue = next(c for c in mca["criteria"] if c["criterion"] == "revenue_365d")
    revenue_row = mca_card.get_by_role("row", name=revenue["description"])
    expect(revenue_row.get_by_role("cell").first).to_have_text(f"${revenue['current'] / 100:,.2f}")


def test_what_if_disputes_at_zero_raises_the_score_and_saves_nothing(
    funding_page: Page, high_dispute: SyncedBusiness, web_server: WebServer
) -> None:
    page = funding_page
    before = readiness(high_dispute)
    history = high_dispute.user.get(
        "/api/v1/readiness/history", business_id=high_dispute.business_id
    )
    score = str(before["score"])
    expect(meter_value(page, "Readiness score")).to_have_attribute("aria-valuenow", score)
    # The simulated meter is there from the start, showing today's score.
    simulated = meter_value(page, "Simulated readiness score")
    expect(simulated).to_have_attribute("aria-valuenow", score)

    # Every field takes exactly what the API accepts (the OpenAPI bounds of each override).
    schema = web_server.api.get("/api/v1/openapi.json").json()
    bounds = schema["components"]["schemas"]["SimulateRequest"]["properties"]["overrides"][
        "properties"
    ]
    fields = page.locator("input[type=number][data-metrics]")
    assert fields.count() >= 8
    for field in fields.all():
        scale = float(str(field.get_attribute("data-scale")))
        for metric in str(field.get_attribute("data-metrics")).split():
            if metric == "days_of_history":
                continue  # moved with the months, converted
            assert float(str(field.get_attribute("min"))) == pytest.approx(
                bounds[metric]["minimum"] * scale
            ), metric
            assert float(str(field.get_attribute("max"))) == pytest.approx(
                bounds[metric]["maximum"] * scale
            ), metric

    dispute = page.get_by_role("spinbutton", name="Dispute ratio")
    metrics = high_dispute.user.get("/api/v1/metrics", business_id=high_dispute.business_id)
    worst = max(metrics["metrics"][m]["value"] for m in DISPUTE_METRICS)
    expect(dispute).to_have_value(f"{worst * 100:.2f}".rstrip("0").rstrip("."))
    for label in (
        "Refund rate",
        "Monthly revenue",
        "Revenue growth",
        "Revenue volatility",
        "Top-customer share",
        "Payout failure rate",
    ):
        expect(page.get_by_role("spinbutton", name=label)).not_to_have_value("")

    started = time.perf_counter()
    dispute.fill("0")
    expect(simulated).not_to_have_attribute("aria-valuenow", score)
    elapsed_ms = (time.perf_counter() - started) * 1000
    print(f"\nwhat-if: input change to simulated score {elapsed_ms:.0f} ms (debounce 150 ms)")

    api = high_dispute.user.api.post(
        "/api/v1/readiness/simulate",
        params={"business_id": high_dispute.business_id},
        json={"overrides": dict.fromkeys(DISPUTE_METRICS, 0)},
        headers=high_dispute.user.headers,
    ).json()
    assert api["score"] > before["score"]
    expect(simulated).to_have_attribute("aria-valuenow", str(api["score"]))
    assert simulated_eligibility(page) == {o["type"]: o["eligible"] for o in api["funding_options"]}
    unlocked = [
        o["name"]
        for o, t in zip(api["funding_options"], before["funding_options"], strict=True)
        if o["eligible"] and not t["eligible"]
    ]
    assert unlocked, "clearing the disputes unlocks an option for this merchant"
    for name in unlocked:
        expect(page.locator("table.comparison").get_by_role("row", name=name)).to_contain_text(
            "Unlocked"
        )

    # The what-if says when a cap holds its score (the tier rule applies to what-ifs too).
    cap_note = page.get_by_test_id("simulated-cap")
    if api["capped_by"] is None:
        expect(cap_note).to_have_count(0)
    else:
        expect(cap_note).to_be_visible()

    # A value the API would refuse is refused in the page, and nothing is asked.
    refund = page.get_by_role("spinbutton", name="Refund rate")
    refund.fill("150")
    expect(refund).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Must be between 0% and 100%.")).to_be_visible()
    expect(simulated).to_have_attribute("aria-valuenow", str(api["score"]))
    refund.fill("1")
    expect(refund).not_to_have_attribute("aria-invalid", "true")

    page.get_by_role("button", name="Reset").click()
    expect(simulated).to_have_attribute("aria-valuenow", score)
    expect(dispute).to_have_value(f"{worst * 100:.2f}".rstrip("0").rstrip("."))
    expect(page.locator("table.comparison tr.changed")).to_have_count(0)

    # Nothing was saved: the score and its history are as before, also after a reload.
    page.reload()
    expect(meter_value(page, "Simulated readiness score")).to_have_attribute("aria-valuenow", score)
    after = readiness(high_dispute)
    assert (after["score"], after["computed_at"], after["funding_options"]) == (
        before["score"],
        before["computed_at"],
        before["funding_options"],
    )
    assert (
        high_dispute.user.get("/api/v1/readiness/history", business_id=high_dispute.business_id)
        == history
    )

    # The page with a what-if unlocking options, for the accessibility check and the screenshots
    # (last: after a full-page screenshot Chromium's clicks can miss their target).
    page.get_by_role("spinbutton", name="Dispute ratio").fill("0.5")
    expect(meter_value(page, "Simulated readiness score")).not_to_have_attribute(
        "aria-valuenow", score
    )
    assert_accessible(page)
    page.evaluate("window.scrollTo(0, 0)")  # sticky panels at their place in the full page
    screenshot(page, "funding-what-if")


def test_funding_page_is_accessible_and_fits_the_js_budget(funding_page: Page) -> None:
    expect(meter_value(funding_page, "Simulated readiness score")).to_be_visible()
    assert_accessible(funding_page)
    screenshot(funding_page, "funding")
    weight = js_weight(funding_page, funding_page.url)
    print(f"\n{PATH}: {weight / 1024:.1f} KB of JS gzipped")
    assert weight <= JS_BUDGET_BYTES
