"""/settings Members and Delete data, and /invitations/accept: invite in one browser profile,
accept in another (signing up through the link), change the role, remove; delete a business and
an account behind their typed confirmations."""

import asyncio
import re
import uuid
from concurrent.futures import ThreadPoolExecutor

from playwright.sync_api import Browser, Page, expect

from app.core.db import Database
from app.notifications import service as notifications_service
from tests.conftest import TEST_PASSWORD
from tests.web.conftest import WebServer
from tests.web.helpers import (
    DESKTOP,
    PHONE,
    assert_accessible,
    assert_js_budget,
    new_user,
    screenshot,
    sign_in,
)

TOKEN = re.compile(r"/invitations/accept\?token=([A-Za-z0-9_\-.]+)")


def invitation_link(web_server: WebServer, email: str) -> str:
    """The link in the newest invitation email to `email`, read from the outbox (in a thread:
    Playwright's sync API holds this thread's event loop)."""

    async def read() -> str:
        database = Database(web_server.settings.database_url)
        try:
            async with database.session() as session:
                emails = await notifications_service.list_outbox(session, to=email)
        finally:
            await database.dispose()
        match = TOKEN.search(emails[0].body)
        assert match, emails[0].body
        return f"/invitations/accept?token={match.group(1)}"

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, read()).result()


def test_invite_accept_in_another_profile_change_role_and_remove(
    page: Page, browser: Browser, web_server: WebServer
) -> None:
    owner = new_user(web_server.api, name="Grace Owner")
    business = owner.create_business("Bolt Bikes")
    sign_in(page, owner)
    page.goto("/settings/")
    members = page.get_by_role("region", name="Members")
    expect(members.get_by_role("listitem").filter(has_text="Grace Owner")).to_contain_text("(you)")

    # A malformed address is refused on the form.
    members.get_by_label("Email").fill("not an address")
    members.get_by_role("button", name="Send invitation").click()
    expect(members.get_by_role("alert")).to_contain_text("Enter the email address")

    invitee = f"Ada-{uuid.uuid4().hex[:8]}@Example.com"
    members.get_by_label("Email").fill(invitee)
    members.get_by_label("Role", exact=True).select_option("admin")
    members.get_by_role("button", name="Send invitation").click()
    expect(members.get_by_role("status").last).to_contain_text(
        f"Invitation sent to {invitee.lower()}"
    )
    pending = members.get_by_role("listitem").filter(has_text=invitee.lower())
    expect(pending).to_contain_text("Admin")
    expect(pending).to_contain_text("invited by Grace Owner")
    assert_accessible(page)
    page.evaluate("document.getElementById('members-heading').scrollIntoView()")
    screenshot(page, "settings-members")

    # Another browser profile opens the emailed link, signed out.
    link = invitation_link(web_server, invitee)
    other = browser.new_context(base_url=web_server.url, viewport=PHONE)
    try:
        guest = other.new_page()
        guest.goto(link)
        expect(guest.get_by_role("heading", name="Join Bolt Bikes")).to_be_visible()
        expect(guest.get_by_text("Grace Owner invited")).to_contain_text("as an admin")
        assert_accessible(guest)
        screenshot(guest, "invitation-signed-out")
        guest.locator("#main").get_by_role("link", name="Sign up").click()
        guest.wait_for_url(re.compile(r"/auth/signup/?\?next="))
        guest.get_by_label("Name").fill("Ada Lovelace")
        guest.get_by_label("Email").fill(invitee.lower())
        guest.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
        guest.get_by_role("button", name="Sign up").click()
        # Back on the invitation, signed in.
        guest.wait_for_url(re.compile(r"/invitations/accept/?\?token="))
        guest.get_by_role("button", name="Join Bolt Bikes").click()
        expect(guest.get_by_role("heading", name="You joined Bolt Bikes")).to_be_visible()
        assert_accessible(guest)
        screenshot(guest, "invitation-joined")
        guest.get_by_role("link", name="Open the dashboard").click()
        guest.wait_for_url(re.compile(r"/dashboard"))
        # The link works once.
        guest.goto(link)
        expect(
            guest.get_by_role("heading", name="This invitation was already used")
        ).to_be_visible()
    finally:
        other.close()

    page.reload()
    ada = members.get_by_role("listitem").filter(has_text="Ada Lovelace")
    expect(ada.get_by_label("Role of Ada Lovelace")).to_have_value("admin")
    expect(members.get_by_text("No pending invitations.")).to_be_visible()
    ada.get_by_label("Role of Ada Lovelace").select_option("member")
    expect(members.get_by_role("status").last).to_have_text("Ada Lovelace is now member.")
    roles = owner.get(f"/api/v1/users/businesses/{business['id']}/members")
    assert [m["role"] for m in roles] == ["owner", "member"]

    ada.get_by_role("button", name="Remove Ada Lovelace").click()
    dialog = page.get_by_role("dialog", name="Remove Ada Lovelace?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Remove").click()
    expect(dialog).to_be_hidden()
    expect(members.get_by_role("listitem").filter(has_text="Ada Lovelace")).to_have_count(0)
    assert len(owner.get(f"/api/v1/users/businesses/{business['id']}/members")) == 1


def test_a_withdrawn_or_mangled_link_says_why(page: Page, web_server: WebServer) -> None:
    owner = new_user(web_server.api)
    business = owner.create_business("Withdrawn Co")
    email = f"late-{uuid.uuid4().hex[:8]}@example.com"
    created = web_server.api.post(
        f"/api/v1/users/businesses/{business['id']}/invitations",
        json={"email": email},
        headers=owner.headers,
    )
    link = invitation_link(web_server, email)
    sign_in(page, owner)
    page.goto("/settings/")
    members = page.get_by_role("region", name="Members")
    members.get_by_role("button", name=f"Withdraw the invitation to {email}").click()
    expect(members.get_by_role("status").last).to_contain_text("withdrawn")
    assert created.status_code == 201

    page.goto(link)
    expect(page.get_by_role("heading", name="This invitation was withdrawn")).to_be_visible()
    page.goto("/invitations/accept?token=half-a-link")
    expect(page.get_by_role("heading", name="This invitation cannot be used")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("not valid")
    assert_accessible(page)
    page.goto("/invitations/accept")
    expect(page.get_by_role("heading", name="This link is incomplete")).to_be_visible()


def test_delete_the_business_then_the_account(page: Page, web_server: WebServer) -> None:
    owner = new_user(web_server.api, name="Dora Deleter")
    owner.create_business("Gone Tomorrow")
    sign_in(page, owner)
    page.set_viewport_size(PHONE)
    page.goto("/settings/")
    danger = page.get_by_role("region", name="Delete data")
    delete_business = danger.get_by_role("button", name="Delete business")
    expect(delete_business).to_be_disabled()
    danger.get_by_label(re.compile("Type the business name")).fill("gone tomorrow")
    expect(delete_business).to_be_disabled()
    danger.get_by_label(re.compile("Type the business name")).fill("Gone Tomorrow")
    expect(delete_business).to_be_enabled()
    assert_accessible(page)
    page.evaluate("document.getElementById('danger-heading').scrollIntoView()")
    screenshot(page, "settings-delete-data")
    delete_business.click()
    page.wait_for_url(re.compile(r"/onboarding/business"))
    assert owner.get("/api/v1/users/me")["businesses"] == []

    # The account, now with no business: still offered, then deleted.
    page.set_viewport_size(DESKTOP)
    page.goto("/settings/")
    danger = page.get_by_role("region", name="Delete data")
    expect(danger).to_contain_text("You have no business yet.")
    danger.get_by_label(re.compile("Type your email")).fill(owner.email)
    danger.get_by_role("button", name="Delete account").click()
    page.wait_for_url(lambda url: url.rstrip("/") == web_server.url)
    assert page.evaluate("localStorage.getItem('vaultra_token')") is None
    me = web_server.api.get("/api/v1/users/me", headers=owner.headers)
    assert me.status_code == 401


def test_the_sole_owner_of_a_shared_business_is_told_what_to_do(
    page: Page, web_server: WebServer
) -> None:
    owner = new_user(web_server.api, name="Sole Owner")
    business = owner.create_business("Shared Bikes")
    member = new_user(web_server.api, name="Mo Member")
    web_server.api.post(
        f"/api/v1/users/businesses/{business['id']}/invitations",
        json={"email": member.email},
        headers=owner.headers,
    )
    token = invitation_link(web_server, member.email).split("token=")[1]
    accepted = web_server.api.post(
        "/api/v1/invitations/accept", json={"token": token}, headers=member.headers
    )
    assert accepted.status_code == 200, accepted.text

    sign_in(page, owner)
    page.goto("/settings/")
    danger = page.get_by_role("region", name="Delete data")
    danger.get_by_label(re.compile("Type your email")).fill(owner.email)
    danger.get_by_role("button", name="Delete account").click()
    expect(danger.get_by_role("alert")).to_contain_text("only owner of a business")
    assert owner.get("/api/v1/users/me")["email"] == owner.email

    # The member sees the list without controls, and may leave.
    sign_in(page, member)
    page.goto(f"/settings/?business_id={business['id']}")
    members = page.get_by_role("region", name="Members")
    expect(members.get_by_role("button", name="Send invitation")).to_have_count(0)
    expect(members.get_by_role("listitem").filter(has_text="Sole Owner")).to_contain_text("Owner")
    expect(page.get_by_role("region", name="Delete data")).to_contain_text(
        "Only an owner can delete this business"
    )
    assert_accessible(page)
    members.get_by_role("button", name="Leave").click()
    page.get_by_role("dialog", name="Leave Shared Bikes?").get_by_role(
        "button", name="Leave"
    ).click()
    page.wait_for_url(re.compile(r"/dashboard|/onboarding"))
    assert member.get("/api/v1/users/me")["businesses"] == []


def test_the_invitation_page_stays_within_the_js_budget(page: Page) -> None:
    assert_js_budget(page, "/invitations/accept?token=x")
