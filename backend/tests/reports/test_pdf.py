import io
import re
import time
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from app.reports import pdf
from tests.conftest import Account
from tests.reports.conftest import page_path, shared

# Points: A4 is 210 x 297 mm, Letter 8.5 x 11 in.
SIZES = {"A4": (595.3, 841.9), "Letter": (612.0, 792.0)}


async def test_pdf_pages_sizes_and_footer_on_every_page(
    client: httpx.AsyncClient, owner: Account, business: dict[str, Any]
) -> None:
    share = await shared(client, owner, business["id"])
    for size, (width, height) in SIZES.items():
        response = await client.get(page_path(share) + f".pdf?size={size}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["cache-control"] == "private, no-store"
        assert response.headers["x-robots-tag"] == "noindex, nofollow"
        assert (
            f"vaultra-report-{share['code']}-{size}.pdf" in response.headers["content-disposition"]
        )
        reader = PdfReader(io.BytesIO(response.content))
        pages = reader.pages
        assert len(pages) >= 2
        for number, page in enumerate(pages, start=1):
            box = page.mediabox
            assert abs(float(box.width) - width) < 1
            assert abs(float(box.height) - height) < 1
            text = page.extract_text()
            assert f"Page {number} of {len(pages)}" in text
            assert f"Verification code {share['code']}" in text
            assert re.search(r"Data as of \d{2} \w{3} \d{4}, \d{2}:\d{2} UTC", text)
            # Vector only: no raster image on any page (the chart is SVG paths).
            xobjects = page.get("/Resources", {}).get("/XObject", {}) or {}
            images = [x for x in xobjects.values() if x.get_object().get("/Subtype") == "/Image"]
            assert images == []
        assert "Monthly revenue" in "".join(p.extract_text() for p in pages)


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The PDFs actually rendered (by share code), the real renderer still doing the work."""
    made: list[str] = []
    real = pdf.render_pdf

    def counting(payload: dict[str, Any], **kwargs: Any) -> bytes:
        made.append(kwargs["code"])
        return real(payload, **kwargs)

    monkeypatch.setattr(pdf, "render_pdf", counting)
    return made


async def test_frozen_pdfs_are_cached_and_the_founder_can_download(
    client: httpx.AsyncClient, owner: Account, business: dict[str, Any], renders: list[str]
) -> None:
    share = await shared(client, owner, business["id"])
    first = await client.get(f"/api/v1/reports/shares/{share['id']}/pdf", headers=owner.headers)
    assert first.status_code == 200
    again = await client.get(page_path(share) + ".pdf")
    assert again.content == first.content
    assert renders == [share["code"]]
    bad = await client.get(page_path(share) + ".pdf?size=A3")
    assert bad.status_code == 400


async def test_a_cached_pdf_is_rendered_again_once_its_lifetime_ends(
    client: httpx.AsyncClient,
    owner: Account,
    business: dict[str, Any],
    renders: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    share = await shared(client, owner, business["id"])
    assert (await client.get(page_path(share) + ".pdf")).status_code == 200
    later = time.monotonic() + pdf._CACHE_SECONDS + 1
    monkeypatch.setattr(pdf, "_clock", lambda: later)
    assert (await client.get(page_path(share) + ".pdf")).status_code == 200
    assert renders == [share["code"]] * 2


async def test_revoking_or_deleting_drops_the_cached_pdfs(
    client: httpx.AsyncClient, owner: Account, business: dict[str, Any], renders: list[str]
) -> None:
    kept = await shared(client, owner, business["id"])
    revoked = await shared(client, owner, business["id"], label="Southwind Bank")
    for share in (kept, revoked):
        for size in ("A4", "Letter"):
            assert (await client.get(page_path(share) + f".pdf?size={size}")).status_code == 200

    response = await client.delete(f"/api/v1/reports/shares/{revoked['id']}", headers=owner.headers)
    assert response.status_code == 200
    # The founder can still download a revoked share's PDF: it is rendered again, not cached.
    founder = await client.get(f"/api/v1/reports/shares/{revoked['id']}/pdf", headers=owner.headers)
    assert founder.status_code == 200
    assert renders.count(revoked["code"]) == 3
    assert (await client.get(page_path(kept) + ".pdf")).status_code == 200
    assert renders.count(kept["code"]) == 2

    deleted = await client.request(
        "DELETE",
        f"/api/v1/users/businesses/{business['id']}",
        json={"confirm": business["name"]},
        headers=owner.headers,
    )
    assert deleted.status_code == 204, deleted.text
    # Nothing of the deleted business stays in this process's memory.
    assert [key for key in pdf._cache if key[0] in (kept["id"], revoked["id"])] == []
