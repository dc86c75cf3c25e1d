"""/dashboard/agent: answers stream in the offline mode with citations into the knowledge
viewer, "Stop" ends a stream and keeps what arrived, and past conversations reopen."""

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect
from pydantic import SecretStr

from app.main import create_app
from tests.servers import free_port, serve_in_thread
from tests.web.agent_settings_fixtures import ingest_knowledge
from tests.web.conftest import WebServer
from tests.web.helpers import (
    DESKTOP,
    WebUser,
    assert_accessible,
    assert_js_budget,
    new_user,
    screenshot,
    sign_in,
)
from tests.web.overview_fixtures import sample_merchants, wait_for_score


@dataclass
class Founder:
    user: WebUser
    business_id: str


@pytest.fixture(scope="module")
def founder(web_server: WebServer) -> Iterator[Founder]:
    """A founder whose business is connected to the healthy SaaS sample merchant, synced and
    scored, with the knowledge base in place: the offline answers then have real figures."""
    user = new_user(web_server.api, name="Ada Founder")
    business = user.create_business("Northwind Software")
    with sample_merchants(user) as merchants:
        merchants.connect(business["id"], "healthy_saas")
        wait_for_score(user, business["id"])
        ingest_knowledge(web_server.settings)
        yield Founder(user, business["id"])


def titles(founder: Founder) -> dict[str, str]:
    documents = founder.user.get("/api/v1/agent/knowledge")["documents"]
    return {doc["doc_id"]: doc["title"] for doc in documents}


def test_a_question_streams_an_answer_with_citations(page: Page, founder: Founder) -> None:
    sign_in(page, founder.user)
    page.goto("/dashboard/agent/")
    expect(page.get_by_label("Message")).to_be_visible()
    expect(page.get_by_role("button", name="Stop")).to_be_disabled()
    assert_accessible(page)
    screenshot(page, "agent-empty")

    page.get_by_role("button", name="What's hurting my readiness?").click()
    answer = page.get_by_role("article")
    expect(answer).to_have_count(1)
    citation = answer.get_by_role("link").first
    expect(citation).to_have_attribute("href", re.compile(r"/dashboard/knowledge/\?doc="))
    expect(page.get_by_role("button", name="Stop")).to_be_disabled()  # the stream has ended
    expect(answer).to_contain_text("Your funding readiness score is")
    expect(answer.get_by_text("Offline mode", exact=True)).to_be_visible()
    expect(page.get_by_role("note")).to_contain_text("No language model is configured")
    # The tools the answer used, each a collapsed result.
    expect(answer.get_by_text("Readiness breakdown")).to_be_visible()
    expect(answer.get_by_text("Knowledge search")).to_be_visible()
    # The conversation is now in the address bar, so a reload resumes it.
    expect(page).to_have_url(re.compile(r"[?&]conversation=[0-9a-f-]{36}"))

    href = citation.get_attribute("href") or ""
    doc_id = href.split("doc=", 1)[1].split("&", 1)[0]
    title = titles(founder)[doc_id]
    expect(citation).to_have_text(title)
    assert_accessible(page)
    screenshot(page, "agent-answer")

    citation.click()
    expect(page).to_have_url(re.compile(rf"/dashboard/knowledge/\?doc={doc_id}"))
    expect(page.get_by_role("heading", name=title)).to_be_visible()


def test_stop_ends_the_stream_and_keeps_what_arrived(page: Page, founder: Founder) -> None:
    sign_in(page, founder.user)
    page.goto("/dashboard/agent/")
    expect(page.get_by_role("button", name="Stop")).to_be_disabled()
    # A slow network (Chromium's own throttling, the real server behind it) keeps the
    # stream open long enough to stop it part-way.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": 3000, "uploadThroughput": -1},
    )
    page.get_by_label("Message").fill("How do I reduce chargebacks?")
    page.get_by_role("button", name="Send").click()
    stop = page.get_by_role("button", name="Stop")
    expect(stop).to_be_enabled()
    answer = page.get_by_role("article")
    expect(answer.get_by_role("listitem").first).to_be_visible()  # a tool call has arrived
    stop.click()

    expect(answer.get_by_text("Stopped", exact=True)).to_be_visible()
    expect(answer).to_contain_text("You stopped this answer")
    expect(answer.get_by_role("listitem").first).to_be_visible()  # what arrived is kept
    expect(answer).not_to_contain_text("No language model is configured")  # the ending never came
    expect(stop).to_be_disabled()
    page.get_by_label("Message").fill("Thanks")
    expect(page.get_by_role("button", name="Send")).to_be_enabled()


def test_a_conversation_reopens_with_its_messages(page: Page, founder: Founder) -> None:
    asked = founder.user.api.post(
        "/api/v1/agent/chat",
        json={
            "business_id": founder.business_id,
            "message": "Am I eligible for revenue-based financing?",
        },
        headers=founder.user.headers,
    )
    assert asked.status_code == 200, asked.text
    conversation_id = asked.json()["conversation_id"]

    sign_in(page, founder.user)
    page.goto("/dashboard/agent/")
    history = page.get_by_role("complementary")
    history.get_by_role("link", name="Am I eligible for revenue-based financing?").click()
    expect(page).to_have_url(re.compile(rf"conversation={conversation_id}"))
    expect(page.get_by_text("Am I eligible for revenue-based financing?").last).to_be_visible()
    expect(page.get_by_role("article")).to_have_count(1)
    expect(page.get_by_role("article")).to_contain_text("Revenue-based financing")
    # The data the answer was based on is shown again, one entry per tool call.
    tool_calls = asked.json()["tool_calls"]
    assert tool_calls
    expect(
        page.get_by_role("article").get_by_role("list", name="Data used").get_by_role("listitem")
    ).to_have_count(len(tool_calls))

    # It resumes: the next question goes into the same conversation.
    page.get_by_label("Message").fill("What about a line of credit?")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("article")).to_have_count(2)
    expect(page.get_by_role("button", name="Stop")).to_be_disabled()
    messages = founder.user.get(f"/api/v1/agent/conversations/{conversation_id}")["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[2]["content"] == "What about a line of credit?"

    # A reload of the address keeps it open.
    page.reload()
    expect(page.get_by_role("article")).to_have_count(2)
    assert_accessible(page)


def test_the_agent_page_stays_within_the_js_budget(page: Page, founder: Founder) -> None:
    sign_in(page, founder.user)
    assert_js_budget(page, "/dashboard/agent/")


def test_an_unreachable_model_shows_the_assistant_unavailable_with_a_retry(
    browser: Browser, web_server: WebServer, founder: Founder
) -> None:
    """The same app, configured with a model server that refuses connections: the API answers
    `llm_unavailable`, and the page says so plainly, keeps the question, and offers a retry."""
    settings = web_server.settings.model_copy(
        update={
            "openai_api_key": SecretStr("sk-test-unreachable"),
            "openai_base_url": f"http://127.0.0.1:{free_port()}/v1",
            "llm_max_retries": 0,
        }
    )
    with serve_in_thread(create_app(settings)) as url:
        context = browser.new_context(base_url=url, viewport=DESKTOP)
        context.set_default_timeout(15_000)
        page = context.new_page()
        try:
            sign_in(page, founder.user)
            page.goto("/dashboard/agent/")
            page.get_by_label("Message").fill("What's hurting my readiness?")
            page.get_by_role("button", name="Send").click()
            alert = page.get_by_text("The assistant is unavailable right now")
            expect(alert).to_be_visible()
            expect(page.get_by_role("article")).to_have_count(0)  # no half answer left behind
            retry = page.get_by_role("button", name="Retry")
            expect(retry).to_be_visible()
            assert_accessible(page)
            screenshot(page, "agent-unavailable")
            retry.click()
            expect(alert).to_be_visible()
        finally:
            context.close()
