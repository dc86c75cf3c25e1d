"""The report as a PDF (WeasyPrint), and the checks that tell a genuine PDF from an edited one.

The PDF is the print rendering of the same template: real text (searchable), the revenue chart
as vector SVG, A4 or Letter, and on every page the "data as of" line, the verification code and
"Page n of m" (CSS @page margin boxes). The signed payload and its signature ride along as an
embedded file (`vaultra-report.json`), so a PDF can be verified without the link.

Verifying a PDF: (1) the embedded payload must carry a valid Ed25519 signature, and (2) the
figures printed on the pages must be the ones that payload renders to. The second check
compares the numbers in the page text (pypdf's extraction) with the numbers in the HTML that
the signed payload renders to, as multisets: a PDF whose text was edited to show another figure
has a number the payload does not (and lacks one it does), so it fails even though its
embedded signature is intact.
"""

import io
import json
import re
import time
from collections import Counter, OrderedDict
from collections.abc import Iterable
from html.parser import HTMLParser
from threading import Lock
from typing import Any, Literal

from app.reports.render import report_html

PageSize = Literal["A4", "Letter"]
PAGE_SIZES: tuple[PageSize, ...] = ("A4", "Letter")
ATTACHMENT = "vaultra-report.json"
# The margin boxes: repeated on every page, so left out of the figures compared.
_MARGIN_TEXT = (
    re.compile(r"Vaultra lender report"),
    re.compile(r"Data as of \d{2} \w{3} \d{4}, \d{2}:\d{2} UTC"),
    re.compile(r"Verification code [A-Z2-7]{5}-[A-Z2-7]{5}"),
    re.compile(r"Page \d+ of \d+"),
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# Frozen reports never change, so their PDFs are cached: (share id, size) -> (made at, bytes).
# 64 entries of ~60 KB each at most ~4 MB per process. A revoked or deleted share's copy is
# dropped at once in the process that revoked it (`forget`), and in the others within
# _CACHE_SECONDS: no business data outlives its deletion by more than that in memory.
_CACHE_ENTRIES = 64
_CACHE_SECONDS = 600.0
_cache: OrderedDict[tuple[str, str], tuple[float, bytes]] = OrderedDict()
_clock = time.monotonic
_cache_lock = Lock()
_render_lock = Lock()


def render_pdf(
    payload: dict[str, Any],
    *,
    canonical: str,
    signature: str,
    code: str,
    size: PageSize,
    verify_url: str,
) -> bytes:
    from weasyprint import HTML, Attachment  # heavy import (Pango): only when a PDF is made

    html = report_html(payload, code=code, print_mode=True, verify_url=verify_url, page_size=size)
    signed = json.dumps({"payload": canonical, "signature": signature}).encode()
    document = HTML(string=html, base_url=None)
    pdf: bytes = document.write_pdf(
        attachments=[Attachment(string=signed, name=ATTACHMENT, description="Signed report data")],
        pdf_identifier=code.encode(),
        custom_metadata=True,
    )
    return pdf


def _fresh(key: tuple[str, str]) -> bytes | None:
    """The cached PDF for `key`, unless it is missing or expired (call with _cache_lock)."""
    entry = _cache.get(key)
    if entry is None:
        return None
    made_at, pdf = entry
    if _clock() - made_at > _CACHE_SECONDS:
        del _cache[key]
        return None
    _cache.move_to_end(key)
    return pdf


def cached_pdf(key: tuple[str, str], make: Any) -> bytes:
    with _cache_lock:
        if (pdf := _fresh(key)) is not None:
            return pdf
    # One render at a time per process: Pango and fontconfig are not safe to drive from two
    # threads at once, and a second request for the same report then finds it cached.
    with _render_lock:
        with _cache_lock:
            if (pdf := _fresh(key)) is not None:
                return pdf
        made: bytes = make()
    with _cache_lock:
        _cache[key] = (_clock(), made)
        while len(_cache) > _CACHE_ENTRIES:
            _cache.popitem(last=False)
    return made


def forget(share_ids: Iterable[str]) -> None:
    """Drop the cached PDFs of these shares (revoked or deleted), in every page size."""
    gone = set(share_ids)
    with _cache_lock:
        for key in [key for key in _cache if key[0] in gone]:
            del _cache[key]


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


class PdfUnreadable(ValueError):
    pass


def extract(pdf: bytes) -> tuple[dict[str, Any] | None, str]:
    """The embedded signed data (None when absent) and the pages' text."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(pdf))
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
        files = reader.attachments
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise PdfUnreadable(str(exc)) from exc
    signed = None
    for blob in files.get(ATTACHMENT, []):
        try:
            data = json.loads(blob)
        except ValueError:
            continue
        if isinstance(data, dict) and isinstance(data.get("payload"), str):
            signed = data
            break
    return signed, text


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "title", "head"):
            self._skip += 1
        elif tag in ("td", "th", "li", "p", "span", "h1", "h2", "h3", "caption", "strong"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title", "head"):
            self._skip -= 1
        else:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "".join(parser.parts)


def figures(text: str) -> Counter[str]:
    for pattern in _MARGIN_TEXT:
        text = pattern.sub(" ", text)
    return Counter(_NUMBER.findall(text))


def printed_figures_match(
    payload: dict[str, Any], code: str, pdf_text: str, verify_url: str
) -> tuple[bool, list[str]]:
    """Whether the PDF shows exactly the figures the payload renders to; and the ones that
    differ (`+n` printed but not signed, `-n` signed but not printed)."""
    html = report_html(payload, code=code, print_mode=True, verify_url=verify_url)
    expected = figures(html_text(html))
    printed = figures(pdf_text)
    extra = printed - expected
    missing = expected - printed
    diff = [f"+{n}" for n in sorted(extra)] + [f"-{n}" for n in sorted(missing)]
    return not diff, diff
