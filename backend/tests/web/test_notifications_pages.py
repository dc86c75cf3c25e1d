"""The Notifications card on /settings, the /unsubscribe page and the development mailbox."""

import asyncio
import threading
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from playwright.sync_api import Page, expect

from app.core.db import Database
from app.notifications import service
from app.notifications.models import OutboxEmail
from app.notifications.templates import Content, render_html, render_text
from tests.web.conftest import WebServer
from tests.web.helpers import WebUser, assert_accessible, new_user, screenshot, sign_in


def _in_thread(work: Callable[[Database], Coroutine[Any, Any, None]], server: WebServer) -> None:
    """Runs `work` against the server's database on a loop of its own (Playwright's owns this
    thread's)."""
    errors: list[BaseException] = []

    async def main() -> None:
        database = Database.from_settings(server.settings)
        try:
            await work(database)
        finally:
            await database.dispose()

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def test_notification_preferences_are_saved(page: Page, web_server: WebServer) -> None:
    user = new_user(web_server.api, name="Nia Notified")
    business = user.create_business("Quiet Kites")
    sign_in(page, user)
    page.goto("/settings/")
    card = page.get_by_role("region", name="Email notifications")
    expect(card.get_by_label("Weekly")).to_be_checked()
    expect(card.get_by_label("Dispute ratio")).to_be_checked()
    save = card.get_by_role("button", name="Save preferences")
    expect(save).to_be_disabled()  # nothing changed yet

    # By keyboard: Daily, then the dispute alert off.
    card.get_by_label("Daily").focus()
    page.keyboard.press("Space")
    card.get_by_label("Dispute ratio").focus()
    page.keyboard.press("Space")
    expect(card.get_by_label("Daily")).to_be_checked()
    expect(card.get_by_label("Dispute ratio")).not_to_be_checked()
    save.click()
    expect(card.get_by_role("status")).to_have_text("Saved.")
    saved = user.get("/api/v1/notifications/preferences", business_id=business["id"])
    assert saved["digest"] == "daily"
    assert saved["alert_dispute"] is False
    assert saved["alert_tier"] is True

    page.reload()
    card = page.get_by_role("region", name="Email notifications")
    expect(card.get_by_label("Daily")).to_be_checked()
    expect(card.get_by_label("Dispute ratio")).not_to_be_checked()
    assert_accessible(page)
    card.scroll_into_view_if_needed()
    screenshot(page, "settings-notifications")


def _token(server: WebServer, user: WebUser, business_id: str, kind: service.Kind) -> str:
    return service.unsubscribe_token(
        server.settings, uuid.UUID(user.user["id"]), uuid.UUID(business_id), kind
    )


def test_one_click_unsubscribe_without_logging_in(page: Page, web_server: WebServer) -> None:
    user = new_user(web_server.api, name="Uma Unsub")
    business = user.create_business("Paper Planes")
    token = _token(web_server, user, business["id"], "alert_dispute")
    page.goto(f"/unsubscribe/?token={token}")  # no one signed in
    expect(page.get_by_text("Stop getting dispute ratio alerts for Paper Planes?")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "unsubscribe")
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Done: you will no longer get dispute ratio alerts for Paper Planes."
    )
    preferences = user.get("/api/v1/notifications/preferences", business_id=business["id"])
    assert preferences["alert_dispute"] is False
    assert preferences["digest"] == "weekly"
    # The same link again: already done.
    page.reload()
    expect(page.get_by_role("status")).to_contain_text("you will no longer get")

    # A forged or truncated link says so, and changes nothing.
    page.goto(f"/unsubscribe/?token={token[:-6]}AAAAAA")
    expect(page.get_by_role("alert")).to_contain_text("This unsubscribe link is not valid.")
    page.goto("/unsubscribe/")
    expect(page.get_by_role("alert")).to_contain_text("This unsubscribe link is not valid.")


def test_the_dev_mailbox_shows_the_outbox_with_working_links(
    page: Page, web_server: WebServer
) -> None:
    user = new_user(web_server.api, name="Max Mailbox")
    business = user.create_business("Glass Jars")
    address = f"mailbox-{uuid.uuid4().hex[:8]}@example.com"
    links = service.unsubscribe_links(
        web_server.settings, uuid.UUID(user.user["id"]), uuid.UUID(business["id"]), "alert_tier"
    )
    content = Content(
        greeting="Hi Max Mailbox,",
        intro=["Glass Jars's funding readiness tier rose from Emerging to Ready."],
        action=("See what changed", f"{web_server.url}/dashboard?business_id={business['id']}"),
        unsubscribe_url=links.page,
    )

    async def write(database: Database) -> None:
        async with database.session() as session:
            # As `enqueue_email` writes it; the server has no SMTP, so it stays here.
            session.add(
                OutboxEmail(
                    to=address,
                    subject="Vaultra: Glass Jars's readiness tier rose to Ready",
                    body=render_text(content),
                    html=render_html(content),
                    kind="alert_tier",
                    headers=links.headers(),
                )
            )

    _in_thread(write, web_server)
    page.goto(f"/dev/mailbox/?to={address}")
    expect(page.get_by_text("No SMTP server is configured")).to_be_visible()
    mail = page.get_by_role("listitem").filter(has_text="readiness tier rose to Ready")
    expect(mail).to_have_count(1)
    expect(mail.get_by_text("List-Unsubscribe-Post")).to_be_visible()  # opened: the newest
    expect(mail.get_by_text("rose from Emerging to Ready")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "dev-mailbox")
    mail.get_by_role("link", name=links.page).click()
    expect(page.get_by_text("Stop getting tier change alerts for Glass Jars?")).to_be_visible()
