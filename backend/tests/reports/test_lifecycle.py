import re
from typing import Any

import httpx
from markupsafe import escape

from app.reports.render import money, percent
from app.reports.service import third_person
from tests.conftest import Account
from tests.reports.conftest import ALL_SECTIONS, Clock, create_share, page_path, shared


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_create_open_revoke(
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    owner: Account,
    business: dict[str, Any],
) -> None:
    share = await shared(client, owner, business["id"], expires_in_days=14)
    token = share["url"].rsplit("/r/", 1)[1]
    assert share["url"].startswith("http://frontend.test/r/")
    assert len(token) >= 43  # 256 bits, base64url
    assert share["status"] == "active"
    assert share["sections"] == ALL_SECTIONS
    assert re.fullmatch(r"[A-Z2-7]{5}-[A-Z2-7]{5}", share["code"])

    listed = await client.get(
        "/api/v1/reports/shares", params={"business_id": business["id"]}, headers=owner.headers
    )
    assert listed.status_code == 200
    assert token not in listed.text
    assert [s["id"] for s in listed.json()["shares"]] == [share["id"]]
    assert "url" not in listed.json()["shares"][0]

    # Anonymous: no Authorization header, another address.
    page = await other_client.get(page_path(share))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["x-robots-tag"] == "noindex, nofollow"
    assert page.headers["cache-control"] == "private, no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert '<meta name="robots" content="noindex, nofollow">' in page.text
    text = _text(page.text)
    assert "Fern &amp; Fig Software" in text
    assert "Data as of" in text
    assert "Computed from the Stripe account connected on" in text
    assert share["code"] in text

    # The figures are the API's for that snapshot.
    readiness = (
        await client.get(
            "/api/v1/readiness", params={"business_id": business["id"]}, headers=owner.headers
        )
    ).json()
    metrics = (
        await client.get(
            "/api/v1/metrics", params={"business_id": business["id"]}, headers=owner.headers
        )
    ).json()
    assert f'<span class="score-value">{readiness["score"]}</span>' in page.text
    for component in readiness["components"].values():
        explanation = third_person(component["explanation"])
        assert str(escape(explanation)) in page.text
    # Written for the lender: "the business's", never "your".
    assert not re.search(r"\b[Yy]our\b", text)
    currency = metrics["currency"]
    revenue = metrics["metrics"]["revenue_90d"]["value"]
    assert f'Revenue, last 90 days</th><td class="num">{money(revenue, currency)}<' in page.text
    refund = metrics["metrics"]["refund_rate_amount"]["value"]
    assert percent(refund) in text
    for option in readiness["funding_options"]:
        assert option["name"] in text

    revoked = await client.delete(f"/api/v1/reports/shares/{share['id']}", headers=owner.headers)
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    gone = await other_client.get(page_path(share))
    assert gone.status_code == 410
    assert "This report link has been revoked." in gone.text
    assert "Fern" not in gone.text
    assert share["code"] not in gone.text
    assert gone.headers["cache-control"] == "private, no-store"
    assert (await other_client.get(page_path(share) + ".pdf")).status_code == 410
    # Revoking again changes nothing.
    again = await client.delete(f"/api/v1/reports/shares/{share['id']}", headers=owner.headers)
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]


async def test_an_expired_link_is_gone(
    client: httpx.AsyncClient, owner: Account, business: dict[str, Any], clock: Clock
) -> None:
    share = await shared(client, owner, business["id"], expires_in_days=1)
    assert (await client.get(page_path(share))).status_code == 200
    clock.advance(days=1, seconds=1)
    gone = await client.get(page_path(share))
    assert gone.status_code == 410
    assert "This report link has expired." in gone.text
    listed = await client.get(
        "/api/v1/reports/shares", params={"business_id": business["id"]}, headers=owner.headers
    )
    assert listed.json()["shares"][0]["status"] == "expired"


async def test_unknown_token_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/r/" + "A" * 43)
    assert response.status_code == 404
    assert "No report at this link" in response.text


async def test_sections_and_bad_input(
    client: httpx.AsyncClient, owner: Account, business: dict[str, Any]
) -> None:
    share = await shared(client, owner, business["id"], sections=["revenue", "score"])
    assert share["sections"] == ["score", "revenue"]
    page = (await client.get(page_path(share))).text
    assert "Monthly revenue" in page
    assert "Funding eligibility" not in page
    assert "Metrics summary" not in page
    assert "Disputes and refunds" not in page
    assert "<svg" in page

    default = await shared(client, owner, business["id"])
    assert default["expires_at"][:10] > default["created_at"][:10]

    cases: list[dict[str, Any]] = [
        {"expires_in_days": 0},
        {"expires_in_days": 91},
        {"sections": []},
        {"sections": ["score", "score"]},
        {"sections": ["recommendations"]},
        {"label": ""},
        {"label": "Bank\x00"},
        {"label": "x" * 101},
    ]
    for fields in cases:
        response = await create_share(client, owner, business["id"], **fields)
        assert response.status_code == 400, (fields, response.text)
        assert response.json()["code"] == "validation_error", response.text


async def test_live_view_shows_the_latest_figures(
    client: httpx.AsyncClient, owner: Account, business: dict[str, Any]
) -> None:
    share = await shared(client, owner, business["id"], live=True)
    assert share["live"] is True
    page = await client.get(page_path(share))
    assert page.status_code == 200
    assert "Live view" in page.text


async def test_no_score_yet_is_a_clear_conflict(client: httpx.AsyncClient, owner: Account) -> None:
    business = await owner.create_business("Not Yet Connected")
    response = await create_share(client, owner, business["id"])
    assert response.status_code == 409
    assert response.json()["code"] == "report_not_ready"


async def test_rate_limited_per_token(
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    owner: Account,
    business: dict[str, Any],
    app: Any,
) -> None:
    share = await shared(client, owner, business["id"])
    app.state.settings.report_rate_per_token = 3
    for _ in range(3):
        assert (await client.get(page_path(share))).status_code == 200
    # A fourth request for the token, from anywhere, waits.
    limited = await other_client.get(page_path(share))
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert "Too many requests" in limited.text


async def test_rate_limited_per_client_address(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, app: Any
) -> None:
    app.state.settings.report_rate_per_client = 2
    for _ in range(2):
        assert (await client.get("/verify", params={"code": "AAAAA-BBBBB"})).status_code == 200
    assert (await client.get("/verify", params={"code": "AAAAA-BBBBB"})).status_code == 429
    assert (await client.get("/r/" + "B" * 43)).status_code == 429
    # Another address is not held back.
    assert (await other_client.get("/verify", params={"code": "AAAAA-BBBBB"})).status_code == 200
