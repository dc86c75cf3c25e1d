"""/verify: by code and by PDF. Genuine verifies; an edited figure fails; revoked says so."""

import base64
import io
import json
import re
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import FastAPI
from pypdf import PdfReader, PdfWriter

from app.reports import pdf as report_pdf
from tests.conftest import Account
from tests.reports.conftest import page_path, shared


def _reason(html: str) -> str:
    match = re.search(r'data-reason="([a-z_]+)"', html)
    assert match, html[:2000]
    return match.group(1)


async def _upload(client: httpx.AsyncClient, content: bytes) -> httpx.Response:
    return await client.post("/verify", files={"pdf": ("report.pdf", content, "application/pdf")})


def _signed(pdf: bytes) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        PdfReader(io.BytesIO(pdf)).attachments["vaultra-report.json"][0]
    )
    return data


def _edited(pdf: bytes, change: Any) -> bytes:
    """What a forger would make: the same signed data attached, one printed figure changed."""
    signed = _signed(pdf)
    payload = json.loads(signed["payload"])
    change(payload)
    code = re.search(r"Verification code ([A-Z2-7-]{11})", _text(pdf))
    assert code
    return report_pdf.render_pdf(
        payload,
        canonical=signed["payload"],
        signature=signed["signature"],
        code=code.group(1),
        size="A4",
        verify_url="http://testserver/verify",
    )


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


async def test_genuine_pdf_and_code_verify(
    app: FastAPI, client: httpx.AsyncClient, owner: Account, business: dict[str, Any]
) -> None:
    share = await shared(client, owner, business["id"])
    for size in ("A4", "Letter"):
        pdf = (await client.get(page_path(share) + f".pdf?size={size}")).content
        response = await _upload(client, pdf)
        assert response.status_code == 200, response.text
        assert _reason(response.text) == "genuine", response.text
        assert "Verified" in response.text
        assert "Fern &amp; Fig Software" in response.text
        assert share["code"] in response.text

    by_code = await client.get("/verify", params={"code": share["code"].lower().replace("-", " ")})
    assert _reason(by_code.text) == "genuine"
    assert "Fern &amp; Fig Software" in by_code.text
    assert by_code.headers["cache-control"] == "private, no-store"

    # The deployment moves to another address: its PDFs still verify (the printed /verify URL
    # is part of what was signed).
    app.state.settings.app_base_url = "https://reports.vaultra.example:8443"
    assert _reason((await _upload(client, pdf)).text) == "genuine"

    unknown = await client.get("/verify", params={"code": "AAAAA-AAAAA"})
    assert _reason(unknown.text) == "unknown_code"
    form = await client.get("/verify")
    assert form.status_code == 200
    assert 'type="file"' in form.text


async def test_an_edited_figure_fails(
    client: httpx.AsyncClient, owner: Account, business: dict[str, Any]
) -> None:
    share = await shared(client, owner, business["id"])
    pdf = (await client.get(page_path(share) + ".pdf")).content

    def better_score(payload: dict[str, Any]) -> None:
        payload["score"]["score"] = min(100, payload["score"]["score"] + 9)

    def more_revenue(payload: dict[str, Any]) -> None:
        payload["revenue"][-1]["gross"] += 1_000_000

    for change in (better_score, more_revenue):
        response = await _upload(client, _edited(pdf, change))
        assert _reason(response.text) == "figures_edited", change.__name__
        assert "Not verified" in response.text

    # Signed data altered too: the signature no longer holds.
    signed = _signed(pdf)
    forged = signed["payload"].replace('"score":', '"score": 1', 1)
    tampered = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        tampered.add_page(page)
    tampered.add_attachment(
        "vaultra-report.json", json.dumps({**signed, "payload": forged}).encode()
    )
    out = io.BytesIO()
    tampered.write(out)
    assert _reason((await _upload(client, out.getvalue())).text) == "bad_signature"

    # No signed data at all (re-saved without it).
    stripped = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        stripped.add_page(page)
    out = io.BytesIO()
    stripped.write(out)
    assert _reason((await _upload(client, out.getvalue())).text) == "no_signed_data"

    not_pdf = await _upload(client, b"hello")
    assert not_pdf.status_code == 400
    assert _reason(not_pdf.text) == "not_a_report"


async def test_a_revoked_reports_code_and_pdf_say_revoked(
    client: httpx.AsyncClient, owner: Account, business: dict[str, Any]
) -> None:
    share = await shared(client, owner, business["id"])
    pdf = (await client.get(page_path(share) + ".pdf")).content
    await client.delete(f"/api/v1/reports/shares/{share['id']}", headers=owner.headers)
    by_code = await client.get("/verify", params={"code": share["code"]})
    assert _reason(by_code.text) == "revoked"
    assert "revoked" in by_code.text
    assert "Fern" not in by_code.text
    assert _reason((await _upload(client, pdf)).text) == "revoked"


async def test_the_published_key_verifies_the_signature(
    client: httpx.AsyncClient, owner: Account, business: dict[str, Any]
) -> None:
    share = await shared(client, owner, business["id"])
    pdf = (await client.get(page_path(share) + ".pdf")).content
    jwk = (await client.get("/.well-known/vaultra-report-key")).json()
    assert jwk["kty"] == "OKP"
    assert jwk["crv"] == "Ed25519"
    assert "d" not in jwk  # never the private half
    raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
    signed = _signed(pdf)
    signature = base64.urlsafe_b64decode(signed["signature"] + "==")
    # Raises InvalidSignature if not Vaultra's: checked with the key alone, no Vaultra code.
    Ed25519PublicKey.from_public_bytes(raw).verify(signature, signed["payload"].encode())
    assert json.loads(signed["payload"])["key_id"] == jwk["kid"]
