"""The lender report: the funding page's "Share with a lender" panel (create, copy, views,
revoke), the report page a lender opens without an account (both widths, axe), and /verify."""

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import WebServer
from tests.web.helpers import (
    PHONE,
    WebUser,
    assert_accessible,
    new_user,
    screenshot,
    sign_in,
)
from tests.web.overview_fixtures import sample_merchants, wait_for_score

FUNDING = "/dashboard/funding"


@pytest.fixture(scope="module")
def founder(web_server: WebServer) -> Iterator[tuple[WebUser, str]]:
    user = new_user(web_server.api, name="Fiona Founder")
    business = user.create_business("Fern & Fig Outfitters")
    with sample_merchants(user) as merchants:
        merchants.connect(business["id"], "seasonal_retail")
        wait_for_score(user, business["id"])
        yield user, str(business["id"])


def _share(user: WebUser, business_id: str, **fields: Any) -> dict[str, Any]:
    response = user.api.post(
        "/api/v1/reports/shares",
        json={"business_id": business_id, "label": "Northwind Capital", **fields},
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _path(share: dict[str, Any]) -> str:
    return "/r/" + share["url"].rsplit("/r/", 1)[1]


def test_the_funding_page_shares_copies_counts_and_revokes(
    page: Page, browser: Browser, web_server: WebServer, founder: tuple[WebUser, str]
) -> None:
    user, business_id = founder
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, user)
    page.goto(f"{FUNDING}?business_id={business_id}")
    panel = page.get_by_role("region", name="Share with a lender")
    expect(panel).to_be_visible(timeout=20_000)
    expect(panel.get_by_text("No links yet.")).to_be_visible()

    # Bad input first: no label.
    panel.get_by_role("button", name="Create link").click()
    expect(panel.get_by_role("alert")).to_contain_text("Say who the link is for")

    panel.get_by_label("Who is it for?").fill("Northwind Capital")
    panel.get_by_label("Funding options").uncheck()
    panel.get_by_label("Link expires after").select_option("30")
    panel.get_by_role("button", name="Create link").click()
    url_field = panel.get_by_label("Link", exact=True)
    expect(url_field).to_be_visible()
    url = url_field.input_value()
    assert url.startswith(f"{web_server.url}/r/")
    panel.get_by_role("button", name="Copy link").click()
    expect(panel.get_by_text("Copied")).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == url
    item = panel.get_by_role("listitem").filter(has_text="Northwind Capital")
    expect(item).to_contain_text("0 views")
    expect(item).to_contain_text("Active")
    assert_accessible(page)
    screenshot(page, "funding-share-panel")

    # A lender opens it in a private window: no account.
    private = browser.new_context(base_url=web_server.url)
    lender = private.new_page()
    lender.goto(url)
    expect(lender.get_by_role("heading", name="Fern & Fig Outfitters", level=1)).to_be_visible()
    expect(lender.get_by_role("heading", name="Funding eligibility")).to_have_count(0)
    private.close()

    page.reload()
    item = panel.get_by_role("listitem").filter(has_text="Northwind Capital")
    expect(item).to_contain_text("1 view", timeout=10_000)

    item.get_by_role("button", name="Revoke link").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Revoke the link for “Northwind Capital”?")
    dialog.get_by_role("button", name="Revoke link").click()
    expect(item).to_contain_text("Revoked")
    expect(item.get_by_role("button", name="Revoke link")).to_have_count(0)
    assert page.request.get(url).status == 410


def test_the_report_page_at_both_widths_and_verify(
    browser: Browser, web_server: WebServer, founder: tuple[WebUser, str]
) -> None:
    user, business_id = founder
    share = _share(user, business_id)
    context = browser.new_context(base_url=web_server.url, accept_downloads=True)
    page = context.new_page()
    response = page.goto(_path(share))
    assert response is not None
    assert response.headers["x-robots-tag"] == "noindex, nofollow"
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    expect(page.get_by_role("heading", name="Fern & Fig Outfitters", level=1)).to_be_visible()
    expect(page.get_by_text(share["code"])).to_be_visible()
    expect(page.get_by_role("img", name="Gross and net revenue per month")).to_be_visible()
    assert_accessible(page)
    page.set_viewport_size(PHONE)
    assert_accessible(page)
    screenshot(page, "lender-report")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.reload()

    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF (A4)").click()
    pdf = download.value.path()
    assert errors == []  # no CSP violation, nothing blocked

    page.goto("/verify")
    assert_accessible(page)
    page.get_by_label("The report's PDF").set_input_files(str(pdf))
    page.get_by_role("button", name="Verify PDF").click()
    expect(page.get_by_role("heading", name="Verified", exact=True)).to_be_visible()
    expect(page.locator("#verdict")).to_have_attribute("data-reason", "genuine")
    assert_accessible(page)
    screenshot(page, "lender-report-verified")

    page.goto("/verify")
    page.get_by_label("Verification code").fill(share["code"])
    page.get_by_role("button", name="Verify code").click()
    expect(page.locator("#verdict")).to_have_attribute("data-reason", "genuine")
    context.close()
