"""Deleting a business or an account: counted row by row, in every table.

Two businesses are filled the way real use fills them (a Stripe connection through the sandbox,
its sync and webhook events, the refresh that computes rollups, snapshots, scores and
recommendations, a conversation, invitations, job runs). Deleting one must leave 0 of its rows
in any table and every row of the other; Stripe must see the deauthorization.
"""

import asyncio
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, text

from app.agent.models import Conversation, Message, MessageRole, ToolCall
from app.core.db import Database
from app.models import Base
from stripe_sandbox import SandboxConfig, merchant_account_id
from tests.conftest import Account
from tests.stripe.conftest import (  # noqa: F401 - fixtures
    app,
    connect_merchant,
    post_event,
    sandbox_config,
    sandbox_url,
    settings,
    wait_for_sync,
)
from tests.teams.helpers import invitation_token, invite

# The tables the issue names, which must hold rows of the business before the deletion.
MUST_BE_FILLED = {
    "stripe_events",
    "stripe_charges",
    "stripe_disputes",
    "stripe_balance_transactions",
    "integration_accounts",
    "metric_daily_rollups",
    "financial_metric_snapshots",
    "readiness_scores",
    "recommendations",
    "agent_conversations",
    "agent_messages",
    "agent_tool_calls",
    "job_runs",
    "business_invitations",
    "report_shares",
    "report_audit",
    "user_business_memberships",
    "businesses",
}


async def counts(db: Database) -> dict[str, int]:
    out = {}
    async with db.session() as session:
        for table in Base.metadata.sorted_tables:
            out[table.name] = int(
                (await session.execute(select(func.count()).select_from(table))).scalar_one()
            )
    return out


async def rows_mentioning(db: Database, *needles: str) -> dict[str, int]:
    """Rows of each table whose any column, as text, contains one of `needles`."""
    found: dict[str, int] = {}
    lowered = [needle.lower() for needle in needles]
    async with db.session() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            hits = sum(
                1
                for row in rows
                if any(n in " ".join(str(value) for value in row).lower() for n in lowered)
            )
            if hits:
                found[table.name] = hits
    return found


async def fill(
    client: httpx.AsyncClient,
    app_: FastAPI,
    db: Database,
    owner: Account,
    business_id: str,
    merchant: str,
    sandbox: SandboxConfig,
    invitee: str,
) -> None:
    response = await connect_merchant(client, owner, business_id, merchant)
    assert response.status_code == 302, response.text
    status = await wait_for_sync(client, owner, business_id)
    assert status["sync"]["state"] == "succeeded", status
    event = {
        "id": f"evt_{uuid.uuid4().hex[:12]}",
        "object": "event",
        "account": merchant_account_id(sandbox, merchant),
        "created": int(time.time()),
        "data": {"object": {"id": f"cus_{uuid.uuid4().hex[:10]}", "object": "customer"}},
        "livemode": False,
        "type": "customer.created",
    }
    assert (await post_event(client, event, sandbox.webhook_secret)).status_code == 200
    # A connect started again and abandoned leaves a signed state bound to the business.
    await client.get(
        "/api/v1/integrations/stripe/connect",
        params={"business_id": business_id},
        headers=owner.headers,
    )
    url = f"/api/v1/users/businesses/{business_id}"
    assert (await invite(client, url, owner, invitee)).status_code == 201
    async with db.session() as session:
        conversation = Conversation(
            user_id=uuid.UUID(owner.id), business_id=uuid.UUID(business_id), title="Cash flow"
        )
        session.add(conversation)
        await session.flush()
        message = Message(
            conversation_id=conversation.id, role=MessageRole.assistant, content="Fine."
        )
        session.add(message)
        await session.flush()
        session.add(
            ToolCall(
                message_id=message.id,
                call_id="call_1",
                name="get_metrics",
                arguments={},
                output={},
                iteration=0,
                duration_ms=1,
            )
        )
    # The sync's refresh (debounced) computes rollups, snapshots, scores and recommendations.
    await asyncio.sleep(2.5)
    await app_.state.queue.join()
    # A lender link to the report, opened once.
    share = await client.post(
        "/api/v1/reports/shares",
        json={"business_id": business_id, "label": "First Bank"},
        headers=owner.headers,
    )
    assert share.status_code == 201, share.text
    opened = await client.get(urlsplit(share.json()["url"]).path)
    assert opened.status_code == 200
    await app_.state.queue.join()  # what those requests enqueued (emails), before any count


async def test_deleting_a_business_leaves_none_of_its_rows(
    app: FastAPI,  # noqa: F811
    client: httpx.AsyncClient,
    db: Database,
    make_account: Any,
    sandbox_config: SandboxConfig,  # noqa: F811
    sandbox_url: str,  # noqa: F811
) -> None:
    alice = await make_account(name="Alice")
    bob = await make_account(name="Bob")
    doomed = await alice.create_business("Doomed Co")
    kept = await bob.create_business("Kept Co")
    # Bob also belongs to the doomed business: he loses it, keeps his own.
    url = f"/api/v1/users/businesses/{doomed['id']}"
    await invite(client, url, alice, bob.user["email"])
    token = await invitation_token(db, bob.user["email"])
    accept = await client.post(
        "/api/v1/invitations/accept", json={"token": token}, headers=bob.headers
    )
    assert accept.status_code == 200

    before_fill = await counts(db)
    await fill(
        client, app, db, alice, doomed["id"], "high_dispute", sandbox_config, "x@example.com"
    )
    filled = await counts(db)
    doomed_rows = {name: filled[name] - before_fill[name] for name in filled}
    await fill(client, app, db, bob, kept["id"], "healthy_saas", sandbox_config, "y@example.com")
    before = await counts(db)
    mentions = await rows_mentioning(db, doomed["id"])
    # A table whose rows name the business counts them directly: rows made before the fill
    # (the business, memberships, Bob's invitation) are the business's, and runs of global jobs
    # during the fill (sending the outbox) are not. Child tables (messages, tool calls, audit)
    # count what the fill added.
    for table in Base.metadata.sorted_tables:
        if "business_id" in table.c or table.name in ("businesses", "job_runs"):
            doomed_rows[table.name] = mentions.get(table.name, 0)
    assert (doomed_rows["businesses"], doomed_rows["user_business_memberships"]) == (1, 2)
    empty = sorted(
        name for name in MUST_BE_FILLED if not (doomed_rows.get(name) or mentions.get(name))
    )
    assert empty == [], (doomed_rows, mentions)

    # The wrong confirmation, an admin-free member: refused, nothing deleted.
    wrong = await client.request(
        "DELETE", url, json={"confirm": "doomed co"}, headers=alice.headers
    )
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "confirmation_mismatch"
    assert wrong.json()["errors"][0]["field"] == "confirm"
    missing = await client.request("DELETE", url, headers=alice.headers)
    assert missing.status_code == 400
    by_member = await client.request(
        "DELETE", url, json={"confirm": "Doomed Co"}, headers=bob.headers
    )
    assert by_member.status_code == 403
    assert await counts(db) == before

    response = await client.request(
        "DELETE", url, json={"confirm": "Doomed Co"}, headers=alice.headers
    )
    assert response.status_code == 204, response.text
    await app.state.queue.join()
    after = await counts(db)

    # The outbox keeps what was sent to people (deleted with their accounts), nothing else of it.
    changed = {
        name: (before[name], after[name], doomed_rows.get(name, 0))
        for name in before
        if name != "email_outbox" and before[name] - after[name] != doomed_rows.get(name, 0)
    }
    assert changed == {}, "table: (before, after, rows of the business)"
    assert await rows_mentioning(db, doomed["id"]) == {}

    # Stripe saw the deauthorization: the account can no longer be read.
    acct = merchant_account_id(sandbox_config, "high_dispute")
    async with httpx.AsyncClient(base_url=sandbox_url) as http:
        refused = await http.get(
            "/v1/charges",
            headers={
                "Authorization": f"Bearer {sandbox_config.secret_key}",
                "Stripe-Account": acct,
            },
        )
    assert refused.status_code in (401, 403), refused.text

    # Alice has no business left; Bob keeps his, with its data.
    assert (await client.get(url, headers=alice.headers)).status_code == 403
    me = (await client.get("/api/v1/users/me", headers=bob.headers)).json()
    assert [b["name"] for b in me["businesses"]] == ["Kept Co"]
    metrics = await client.get(
        "/api/v1/integrations/stripe/status",
        params={"business_id": kept["id"]},
        headers=bob.headers,
    )
    assert metrics.json()["connected"] is True


async def test_deleting_an_account_removes_every_row_with_its_id_or_email(
    app: FastAPI,  # noqa: F811
    client: httpx.AsyncClient,
    db: Database,
    make_account: Any,
    sandbox_config: SandboxConfig,  # noqa: F811
) -> None:
    carol = await make_account(email="Carol@Example.com", name="Carol")
    dave = await make_account(name="Dave")
    solo = await carol.create_business("Carol Solo")
    shared = await dave.create_business("Shared Co")
    # Carol: sole member of Solo (connected to Stripe), admin of Dave's business.
    await fill(client, app, db, carol, solo["id"], "new_store", sandbox_config, "z@example.com")
    shared_url = f"/api/v1/users/businesses/{shared['id']}"
    await invite(client, shared_url, dave, "carol@example.com", "admin")
    token = await invitation_token(db, "carol@example.com")
    accepted = await client.post(
        "/api/v1/invitations/accept", json={"token": token}, headers=carol.headers
    )
    assert accepted.status_code == 200
    # Carol invites someone to Dave's business: the invitation stays, without her id.
    assert (await invite(client, shared_url, carol, "erin@example.com")).status_code == 201
    # An access token and a failed login keyed by her email.
    created = await client.post(
        "/api/v1/auth/tokens", json={"name": "script"}, headers=carol.headers
    )
    assert created.status_code == 201, created.text
    await client.post(
        "/api/v1/auth/login", json={"email": "carol@example.com", "password": "wrong password!"}
    )
    assert await rows_mentioning(db, carol.id, "carol@example.com")

    # A personal access token cannot delete the account.
    by_token = await client.delete(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {created.json()['token']}"}
    )
    assert by_token.status_code == 403
    response = await client.delete("/api/v1/users/me", headers=carol.headers)
    assert response.status_code == 204, response.text
    await app.state.queue.join()

    assert await rows_mentioning(db, carol.id, "carol@example.com") == {}
    assert await rows_mentioning(db, solo["id"]) == {}
    # Her session ends with the account.
    assert (await client.get("/api/v1/users/me", headers=carol.headers)).status_code == 401
    # Dave's business is intact, with the invitation Carol sent.
    members = await client.get(f"{shared_url}/members", headers=dave.headers)
    assert [m["name"] for m in members.json()] == ["Dave"]
    pending = await client.get(f"{shared_url}/invitations", headers=dave.headers)
    assert [(i["email"], i["invited_by"]) for i in pending.json()] == [("erin@example.com", None)]
    # The address can sign up again, as a new account.
    again = await make_account(email="carol@example.com")
    assert again.id != carol.id


async def test_the_only_owner_of_a_shared_business_cannot_delete_the_account(
    client: httpx.AsyncClient, db: Database, make_account: Any
) -> None:
    owner = await make_account()
    business = await owner.create_business("Shared")
    member = await make_account()
    url = f"/api/v1/users/businesses/{business['id']}"
    await invite(client, url, owner, member.user["email"])
    token = await invitation_token(db, member.user["email"])
    await client.post("/api/v1/invitations/accept", json={"token": token}, headers=member.headers)

    refused = await client.delete("/api/v1/users/me", headers=owner.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "sole_owner_of_shared_business"
    assert (await client.get(url, headers=owner.headers)).status_code == 200

    # After handing ownership over, the account goes and the business stays with the new owner.
    await client.patch(f"{url}/members/{member.id}", json={"role": "owner"}, headers=owner.headers)
    assert (await client.delete("/api/v1/users/me", headers=owner.headers)).status_code == 204
    business_now = await client.get(url, headers=member.headers)
    assert business_now.json()["role"] == "owner"
    async with db.session() as session:
        left = await session.execute(text("SELECT count(*) FROM users"))
    assert left.scalar_one() == 1
