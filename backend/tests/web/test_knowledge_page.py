"""/dashboard/knowledge: the documents the assistant cites, each rendered from Markdown as
safe HTML (headings, lists, tables), and a not-found state for an unknown document."""

import pytest
from playwright.sync_api import Page, expect

from tests.web.helpers import WebUser, assert_accessible, assert_js_budget, screenshot


@pytest.fixture
def reader(web_user: WebUser) -> WebUser:
    web_user.create_business("Northwind Software")
    return web_user


def test_the_list_links_every_document(page: Page, reader: WebUser) -> None:
    documents = reader.get("/api/v1/agent/knowledge")["documents"]
    assert len(documents) >= 5
    page.goto("/dashboard/knowledge/")
    links = page.get_by_role("main").get_by_role("list").get_by_role("link")
    expect(links).to_have_text([doc["title"] for doc in documents])
    assert_accessible(page)
    screenshot(page, "knowledge-list")

    links.first.click()
    expect(page.get_by_role("heading", level=2, name=documents[0]["title"])).to_be_visible()


def test_a_document_renders_as_html(page: Page, reader: WebUser) -> None:
    doc = reader.get("/api/v1/agent/knowledge/readiness-score-explained")
    page.goto("/dashboard/knowledge/?doc=readiness-score-explained")
    article = page.get_by_role("article")
    expect(article.get_by_role("heading", level=2, name=doc["title"])).to_be_visible()
    # "## Components and weights" is a heading under the title; its table is a table.
    expect(article.get_by_role("heading", level=3, name="Components and weights")).to_be_visible()
    table = article.get_by_role("table").filter(has_text="key metric shown")
    expect(table.get_by_role("columnheader", name="weight")).to_be_visible()
    expect(table.get_by_role("row", name="Revenue level")).to_contain_text("20%")
    expect(table.locator("code").first).to_have_text("history")
    # Markdown markers do not leak into the text.
    assert "**" not in (article.text_content() or "")
    expect(page).to_have_title(f"{doc['title']} · Vaultra")
    assert_accessible(page)
    screenshot(page, "knowledge-document")

    page.get_by_role("link", name="All documents").click()
    expect(page.get_by_role("link", name=doc["title"])).to_be_visible()


def test_an_unknown_document_says_so(page: Page, reader: WebUser) -> None:
    page.goto("/dashboard/knowledge/?doc=no-such-doc")
    expect(page.get_by_role("heading", name="Document not found")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("no-such-doc")
    page.get_by_role("link", name="See all documents").click()
    expect(page.get_by_role("main").get_by_role("list").get_by_role("link")).not_to_have_count(0)
    assert_accessible(page)


def test_the_knowledge_page_stays_within_the_js_budget(page: Page, reader: WebUser) -> None:
    assert_js_budget(page, "/dashboard/knowledge/?doc=reducing-chargebacks")
