"""The report shows no customer's name, email, phone, address, card or Stripe id, nor the
founder's email: scanned in the page, the PDF's text and the signed data, for everything the
sandbox merchant planted."""

import io
import json
import sqlite3
from typing import Any

import httpx
from pypdf import PdfReader

from stripe_sandbox import SandboxConfig
from stripe_sandbox.merchants import merchant_account_id
from tests.conftest import Account
from tests.reports.conftest import page_path, shared


def planted_pii(sandbox: SandboxConfig, account_id: str) -> set[str]:
    values: set[str] = set()
    connection = sqlite3.connect(sandbox.db_path)
    try:
        rows = connection.execute(
            "SELECT type, data FROM objects WHERE account = ? AND type IN ('charge', 'customer')",
            (account_id,),
        ).fetchall()
    finally:
        connection.close()
    for kind, data in rows:
        obj = json.loads(data)
        if kind == "customer":
            values.add(obj["id"])
        elif isinstance(obj.get("customer"), str):
            values.add(obj["customer"])
        for holder in (obj, obj.get("billing_details") or {}, obj.get("shipping") or {}):
            for key in ("name", "email", "phone", "receipt_email", "description"):
                if isinstance(holder.get(key), str) and len(holder[key]) > 3:
                    values.add(holder[key])
            address = holder.get("address") or {}
            for key in ("line1", "line2", "postal_code"):
                if isinstance(address.get(key), str) and len(address[key]) > 3:
                    values.add(address[key])
        values.update(
            v for v in (obj.get("metadata") or {}).values() if isinstance(v, str) and len(v) > 3
        )
        card = (obj.get("payment_method_details") or {}).get("card") or {}
        if card.get("fingerprint"):
            values.add(card["fingerprint"])
    return values


async def test_no_planted_pii_in_page_pdf_or_signed_data(
    client: httpx.AsyncClient,
    owner: Account,
    business: dict[str, Any],
    sandbox_config: SandboxConfig,
) -> None:
    pii = planted_pii(sandbox_config, merchant_account_id(sandbox_config, "healthy_saas"))
    assert len(pii) > 100  # names, emails, phones, addresses, customer ids, fingerprints
    assert any(value.startswith("cus_") for value in pii)
    assert any("@" in value for value in pii)
    share = await shared(client, owner, business["id"])  # every section

    page = (await client.get(page_path(share))).text
    texts = {"page": page}
    for size in ("A4", "Letter"):
        pdf = await client.get(page_path(share) + f".pdf?size={size}")
        assert pdf.status_code == 200
        reader = PdfReader(io.BytesIO(pdf.content))
        texts[f"pdf {size}"] = "\n".join(p.extract_text() for p in reader.pages)
        texts[f"signed data {size}"] = b"".join(reader.attachments["vaultra-report.json"]).decode()
    for where, text in texts.items():
        hits = sorted(value for value in pii if value in text)
        assert hits == [], where
        assert owner.user["email"] not in text, where
        assert "Fiona Founder" not in text, where
        assert "last4" not in text
        assert "cus_" not in text, where
    # The PDF text is real: the business and the score are searchable in it.
    assert "Fern & Fig Software" in texts["pdf A4"]
