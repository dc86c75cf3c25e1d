"""/dashboard/recommendations: accept, dismiss and undo round-trip through the API and survive
a reload; a refused action rolls back and says why; resolved ones are shown apart."""

import asyncio
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import update

from app.core.db import Database, utcnow
from app.recommendations.models import Recommendation, Status
from tests.web.conftest import WebServer
from tests.web.helpers import (
    JS_BUDGET_BYTES,
    assert_accessible,
    js_weight,
    screenshot,
    sign_in,
)
from tests.web.recs_funding_fixtures import SyncedBusiness, connect_sample_merchant

PATH = "/dashboard/recommendations"


@pytest.fixture(scope="module")
def declining(web_server: WebServer) -> SyncedBusiness:
    """The declining meal-kit merchant: three open recommendations (two high, one medium)."""
    return connect_sample_merchant(web_server, "declining")


@pytest.fixture
def recs_page(page: Page, declining: SyncedBusiness) -> Page:
    sign_in(page, declining.user)
    page.goto(f"{PATH}?business_id={declining.business_id}")
    return page


def api_recs(business: SyncedBusiness) -> dict[str, dict[str, Any]]:
    body = business.user.get("/api/v1/recommendations", business_id=business.business_id)
    return {rec["title"]: rec for rec in body["recommendations"]}


def group(page: Page, name: str) -> Locator:
    return page.get_by_role("region", name=name, exact=True)


def item(scope: Page | Locator, title: str) -> Locator:
    """The list item titled `title`, inside `scope` (the page or a group)."""
    page = scope if isinstance(scope, Page) else scope.page
    return scope.get_by_role("listitem").filter(has=page.get_by_role("heading", name=title))


def resolve_behind_the_page(server: WebServer, rec_id: str) -> None:
    """The rule stopped firing (as a refresh after new Stripe data would record it)."""

    async def resolve() -> None:
        db = Database(server.settings.database_url)
        try:
            async with db.session() as session:
                await session.execute(
                    update(Recommendation)
                    .where(Recommendation.id == uuid.UUID(rec_id))
                    .values(status=Status.resolved, resolved_at=utcnow())
                )
                await session.commit()
        finally:
            await db.dispose()

    # Playwright's sync API holds this thread's event loop: run the coroutine in another thread.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, resolve()).result()


def test_accept_dismiss_and_undo_round_trip_and_survive_a_reload(
    recs_page: Page, declining: SyncedBusiness
) -> None:
    page = recs_page
    recs = api_recs(declining)
    assert len(recs) >= 3
    assert all(rec["status"] == "open" for rec in recs.values())
    first, second = sorted(recs, key=lambda title: -recs[title]["impact"])[:2]
    for title, rec in recs.items():
        entry = item(group(page, "Open"), title)
        expect(entry).to_be_visible()
        # Each item says what it would do to the score. The declining merchant's score is
        # capped by its decline, so some fixes add nothing until revenue turns, and the
        # funding next steps move no metric.
        if rec["category"] == "funding":
            expect(entry).to_contain_text("funding next step")
        elif rec["impact"] > 0:
            expect(entry).to_contain_text(f"Would add about {rec['impact']} point")
        else:
            expect(entry).to_contain_text("No change to your score on its own")

    item(page, first).get_by_role("button", name="Accept").click()
    expect(item(group(page, "Accepted"), first)).to_be_visible()
    # Focus follows the item to its new group, onto its "Undo".
    expect(item(group(page, "Accepted"), first).get_by_role("button", name="Undo")).to_be_focused()
    item(page, second).get_by_role("button", name="Dismiss").click()
    expect(item(group(page, "Dismissed"), second)).to_be_visible()
    expect(
        item(group(page, "Dismissed"), second).get_by_role("button", name="Undo")
    ).to_be_enabled()
    after = api_recs(declining)
    assert (after[first]["status"], after[second]["status"]) == ("accepted", "dismissed")

    page.reload()
    expect(item(group(page, "Accepted"), first)).to_contain_text("Accepted ")
    expect(item(group(page, "Dismissed"), second)).to_be_visible()
    expect(item(group(page, "Open"), first)).to_have_count(0)

    # Sorting by impact puts the largest first among the open ones.
    page.get_by_label("Sort by").select_option("impact")
    open_titles = group(page, "Open").get_by_role("heading", level=3).all_inner_texts()
    impacts = [recs[title]["impact"] for title in open_titles]
    assert impacts == sorted(impacts, reverse=True)
    page.get_by_label("Priority").select_option("medium")
    medium = [t for t, r in recs.items() if r["priority"] == "medium" and t not in (first, second)]
    expect(group(page, "Open").get_by_role("listitem")).to_have_count(len(medium))
    page.get_by_label("Priority").select_option("all")
    page.get_by_label("Status").select_option("dismissed")
    expect(group(page, "Open")).to_have_count(0)
    expect(item(group(page, "Dismissed"), second)).to_be_visible()
    page.get_by_label("Status").select_option("active")

    # Undo: back to open. The buttons come back once the API has answered.
    item(page, first).get_by_role("button", name="Undo").click()
    expect(item(group(page, "Open"), first).get_by_role("button", name="Accept")).to_be_enabled()
    item(page, second).get_by_role("button", name="Undo").click()
    expect(item(group(page, "Open"), second).get_by_role("button", name="Accept")).to_be_enabled()
    expect(page.get_by_role("button", name="Undo")).to_have_count(0)
    assert {rec["status"] for rec in api_recs(declining).values()} == {"open"}
    page.reload()
    expect(group(page, "Open").get_by_role("listitem")).to_have_count(len(recs))


def test_a_refused_action_rolls_back_and_resolved_ones_show_apart(
    recs_page: Page, declining: SyncedBusiness, web_server: WebServer
) -> None:
    page = recs_page
    recs = api_recs(declining)
    title = min(recs, key=lambda t: recs[t]["impact"])
    expect(item(group(page, "Open"), title)).to_be_visible()
    resolve_behind_the_page(web_server, recs[title]["id"])

    item(page, title).get_by_role("button", name="Accept").click()
    expect(page.get_by_role("alert")).to_contain_text(
        f"Could not accept “{title}”. This recommendation no longer applies"
    )
    # Rolled back: still listed as open, as the page last knew it.
    expect(item(group(page, "Open"), title).get_by_role("button", name="Accept")).to_be_enabled()
    expect(item(group(page, "Accepted"), title)).to_have_count(0)

    page.reload()
    expect(item(group(page, "Open"), title)).to_have_count(0)
    resolved = group(page, "Resolved")
    resolved.get_by_role("button", name="Show resolved (1)").click()
    expect(item(resolved, title)).to_contain_text(re.compile(r"Resolved \d{1,2} \w{3} \d{4}"))
    expect(item(resolved, title).get_by_role("button")).to_have_count(0)

    # One open, one accepted and one resolved, for the accessibility check and the screenshots.
    accepted = next(t for t in recs if t != title)
    item(page, accepted).get_by_role("button", name="Accept").click()
    expect(
        item(group(page, "Accepted"), accepted).get_by_role("button", name="Undo")
    ).to_be_enabled()
    assert_accessible(page)
    screenshot(page, "recommendations")


def test_recommendations_page_fits_the_js_budget(recs_page: Page) -> None:
    weight = js_weight(recs_page, recs_page.url)
    print(f"\n{PATH}: {weight / 1024:.1f} KB of JS gzipped")
    assert weight <= JS_BUDGET_BYTES
