"""The whole invitation flow through the API and a real SMTP server (aiosmtpd): invite, read
the email as delivered, accept as the invitee, check the access; remove, and the next request
is refused."""

import re
from typing import Any

import httpx
from fastapi import FastAPI

from tests.notifications.conftest import (  # noqa: F401 - fixtures
    EMAIL_FROM,
    SmtpServer,
    settings,
    smtp_server,
)
from tests.teams.helpers import invite

LINK = re.compile(r"http://frontend\.test/invitations/accept\?token=([A-Za-z0-9_\-.]+)")


async def test_an_invitation_is_delivered_with_both_parts_and_its_link_works(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_account: Any,
    smtp_server: SmtpServer,  # noqa: F811
) -> None:
    owner = await make_account(name="Olive Owner")
    business = await owner.create_business("Mail Co")
    url = f"/api/v1/users/businesses/{business['id']}"

    response = await invite(client, url, owner, "Bea.Bookkeeper@Example.com", "member")
    assert response.status_code == 201, response.text
    await app.state.queue.join()  # the send job, enqueued after the invitation's commit

    [received] = smtp_server.to("bea.bookkeeper@example.com")
    assert received.mail_from == "notify@vaultra.test"
    assert received.message["From"] == EMAIL_FROM
    assert received.message["Subject"] == "Olive Owner invited you to Mail Co on Vaultra"
    assert received.message["Message-ID"]
    # Not a notification one may unsubscribe from: a one-off sent because someone asked.
    assert received.message["List-Unsubscribe"] is None
    text_link = LINK.search(received.text)
    html_link = LINK.search(received.html)
    assert text_link
    assert html_link
    assert text_link.group(1) == html_link.group(1)
    assert "as a member" in received.text
    assert "<strong>Mail Co</strong>" in received.html
    token = text_link.group(1)

    invitee = await make_account(email="bea.bookkeeper@example.com", name="Bea")
    assert (await client.get(url, headers=invitee.headers)).status_code == 403
    accepted = await client.post(
        "/api/v1/invitations/accept", json={"token": token}, headers=invitee.headers
    )
    assert accepted.status_code == 200, accepted.text
    assert (await client.get(url, headers=invitee.headers)).json()["role"] == "member"
    metrics = await client.get(
        "/api/v1/integrations/stripe/status",
        params={"business_id": business["id"]},
        headers=invitee.headers,
    )
    assert metrics.status_code == 200

    removed = await client.delete(f"{url}/members/{invitee.id}", headers=owner.headers)
    assert removed.status_code == 204
    refused = await client.get(
        "/api/v1/integrations/stripe/status",
        params={"business_id": business["id"]},
        headers=invitee.headers,
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "business_forbidden"
