import io
import re
import time
from typing import Any

import httpx
from pypdf import PdfReader

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


async def test_frozen_pdfs_are_cached_and_the_founder_can_download(
    client: httpx.AsyncClient, owner: Account, business: dict[str, Any]
) -> None:
    share = await shared(client, owner, business["id"])
    first = await client.get(f"/api/v1/reports/shares/{share['id']}/pdf", headers=owner.headers)
    assert first.status_code == 200
    started = time.perf_counter()
    again = await client.get(page_path(share) + ".pdf")
    assert time.perf_counter() - started < 0.2
    assert again.content == first.content
    bad = await client.get(page_path(share) + ".pdf?size=A3")
    assert bad.status_code == 400
