"""Loading knowledge-base Markdown documents.

Each document is a Markdown file in ``backend/docs/knowledge/`` that starts with a small
YAML front matter block::

    ---
    doc_id: reducing-chargebacks
    title: Reducing chargebacks and handling disputes
    category: chargebacks
    source: best-practices
    ---

Only flat ``key: value`` pairs are supported (no PyYAML needed). A file without front
matter (or with missing keys) still loads: ``doc_id`` falls back to the file stem, ``title``
to the first ``# `` heading, and ``category``/``source`` to the defaults below.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_CATEGORY = "general"
DEFAULT_SOURCE = "best-practices"

# Category/source for the spec's knowledge-base files, used only when a file has no front
# matter (or leaves these keys out).
KNOWN_DOCUMENTS: dict[str, tuple[str, str]] = {
    "funding-readiness-factors": ("lending-criteria", "lending-criteria"),
    "reducing-chargebacks": ("chargebacks", "best-practices"),
    "revenue-stability": ("cash-flow", "best-practices"),
    "payout-timing": ("cash-flow", "best-practices"),
    "readiness-score-explained": ("best-practices", "best-practices"),
}

# What a `doc_id` looks like (the shipped ones: "reducing-chargebacks"); the viewer API refuses
# anything else before looking it up.
DOC_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$"
_FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_H1_RE = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_IGNORED_NAMES = {"readme.md"}


@dataclass(frozen=True, slots=True)
class Document:
    """One knowledge-base document.

    ``text`` is the Markdown body without the front matter; ``sha256`` is the hash of the
    whole file (front matter included), so editing either triggers re-ingestion.
    """

    doc_id: str
    title: str
    category: str
    source: str
    text: str
    sha256: str
    path: str = ""


def body_without_title(doc: Document) -> str:
    """The Markdown body less a leading `# ` heading: viewers show the title apart."""
    first, _, rest = doc.text.partition("\n")
    return rest.lstrip("\n") if _H1_RE.fullmatch(first) else doc.text


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def parse_front_matter(raw: str) -> tuple[dict[str, str], str]:
    """Split ``raw`` into (front matter mapping, body). No front matter -> ({}, raw)."""
    raw = raw.removeprefix("\ufeff")
    match = _FRONT_MATTER_RE.match(raw)
    if match is None:
        return {}, raw
    meta: dict[str, str] = {}
    for line in match.group(1).splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or ":" not in stripped:
            continue
        key, _, value = stripped.partition(":")
        meta[key.strip().lower()] = _unquote(value)
    return meta, raw[match.end() :]


def parse_document(raw: str, stem: str, path: str = "") -> Document:
    """Build a :class:`Document` from file contents ``raw`` whose file stem is ``stem``."""
    meta, body = parse_front_matter(raw)
    doc_id = meta.get("doc_id") or stem
    known_category, known_source = KNOWN_DOCUMENTS.get(doc_id, (DEFAULT_CATEGORY, DEFAULT_SOURCE))
    title = meta.get("title")
    if not title:
        h1 = _H1_RE.search(body)
        title = h1.group(1).strip() if h1 else doc_id.replace("-", " ").capitalize()
    return Document(
        doc_id=doc_id,
        title=title,
        category=meta.get("category") or known_category,
        source=meta.get("source") or known_source,
        text=body.strip() + "\n",
        sha256=hashlib.sha256(raw.encode("utf-8")).hexdigest(),
        path=path,
    )


def load_document(path: str | Path) -> Document:
    """Load one Markdown file."""
    p = Path(path)
    return parse_document(p.read_text(encoding="utf-8"), p.stem, str(p))


def load_documents(folder: str | Path) -> list[Document]:
    """Load every ``*.md`` file directly inside ``folder`` (not subfolders), by file name.

    ``README.md`` and files whose name starts with ``_`` or ``.`` are skipped. Raises
    ``ValueError`` if two files declare the same ``doc_id``.
    """
    docs: list[Document] = []
    seen: dict[str, str] = {}
    for p in sorted(Path(folder).glob("*.md")):
        if p.name.lower() in _IGNORED_NAMES or p.name.startswith(("_", ".")):
            continue
        doc = load_document(p)
        if doc.doc_id in seen:
            raise ValueError(f"duplicate doc_id {doc.doc_id!r} in {seen[doc.doc_id]} and {p}")
        seen[doc.doc_id] = str(p)
        docs.append(doc)
    return docs
