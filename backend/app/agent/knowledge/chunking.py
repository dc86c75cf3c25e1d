"""Splitting knowledge documents into retrieval chunks.

Rules (matching the RAG section of ARCHITECTURE.md):

* A chunk never exceeds ``max_tokens`` (512) ``cl100k_base`` tokens, heading prefix included.
* Chunks follow the Markdown structure: every ``#``/``##`` section (``section_level``)
  starts a new chunk, and a section that does not fit is split at the best boundary inside
  the token budget: a blank line (paragraph) first, then a line end (list item or table
  row), then a sentence end, then a space.
* Each chunk's text starts with a context prefix ``"<doc title> > <section heading>"`` and a
  blank line, so a chunk cut out of the middle of a section still says what it is about.
* Consecutive chunks of the same section overlap by ``overlap_tokens`` (50): the body of a
  continuation chunk starts with the last 50 tokens of the previous chunk's body (one or two
  more if needed so as not to cut a UTF-8 character). A chunk that opens a new section starts
  at that section's first line instead, because the heading boundary already separates the
  two topics and an overlap there would mix unrelated text into the chunk; pass
  ``overlap_across_sections=True`` to carry the overlap across headings too.
* ``chunk_id`` is ``f"{doc_id}#{index}"`` (index counts from 0 within the document) and
  ``content_hash`` is the SHA-256 of the chunk text, so ids and hashes are stable across
  runs for unchanged documents.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from app.agent.knowledge.documents import Document
from app.agent.knowledge.tokenizer import count_tokens, decode, encode, get_encoding

MAX_TOKENS = 512
OVERLAP_TOKENS = 50
SECTION_LEVEL = 2
PREFIX_SEPARATOR = " > "

_HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_FENCE_RE = re.compile(r"^[ \t]*(```|~~~)")
_SENTENCE_ENDS = (b".", b"!", b"?", b";", b":")


@dataclass(frozen=True, slots=True)
class Chunk:
    """A retrieval unit. ``text`` = ``prefix`` + ``body`` and is what gets indexed/embedded."""

    chunk_id: str
    doc_id: str
    index: int
    text: str
    body: str
    prefix: str
    heading: str
    token_count: int
    overlap_tokens: int
    content_hash: str
    metadata: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form (e.g. for storage or a vector-store upsert)."""
        return {
            "chunk_id": self.chunk_id,
            "doc_id": self.doc_id,
            "index": self.index,
            "text": self.text,
            "body": self.body,
            "prefix": self.prefix,
            "heading": self.heading,
            "token_count": self.token_count,
            "overlap_tokens": self.overlap_tokens,
            "content_hash": self.content_hash,
            "metadata": dict(self.metadata),
        }


@dataclass(frozen=True, slots=True)
class Section:
    """A heading (or the document title for text before the first heading) and its body."""

    heading: str
    body: str


def split_sections(doc: Document, section_level: int = SECTION_LEVEL) -> list[Section]:
    """Split the Markdown body at headings of level <= ``section_level``.

    Deeper headings stay inside their section's body. Headings inside fenced code blocks
    are ignored. Sections with an empty body are dropped.
    """
    sections: list[Section] = []
    heading = doc.title
    lines: list[str] = []
    in_fence = False

    def flush() -> None:
        body = "\n".join(lines).strip()
        if body:
            sections.append(Section(heading=heading, body=body))

    for line in doc.text.splitlines():
        if _FENCE_RE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _HEADING_RE.match(line)
        if match and len(match.group(1)) <= section_level:
            flush()
            lines = []
            level, title = len(match.group(1)), match.group(2).strip()
            heading = doc.title if level == 1 else title
        else:
            lines.append(line)
    flush()
    return sections


def _boundary_strengths(ids: list[int]) -> list[int]:
    """strength[i] says how good it is to end a chunk right before token ``i``.

    3 = after a blank line, 2 = after a line end, 1 = after a sentence end, 0 = before a
    space, -1 = inside a word or a UTF-8 character.
    """
    enc = get_encoding()
    pieces = [enc.decode_single_token_bytes(t) for t in ids]
    strengths = [-1] * (len(ids) + 1)
    tail = b""
    for i, piece in enumerate(pieces):
        if i > 0:
            if piece[:1] and 0x80 <= piece[0] <= 0xBF:
                strengths[i] = -1  # would split a UTF-8 character
            elif tail.endswith(b"\n\n") or (tail.endswith(b"\n") and piece.startswith(b"\n")):
                strengths[i] = 3
            elif tail.endswith(b"\n"):
                strengths[i] = 2
            elif tail.endswith(_SENTENCE_ENDS) and piece[:1] in (b" ", b"\n"):
                strengths[i] = 1
            elif piece[:1] in (b" ", b"\t"):
                strengths[i] = 0
        tail = (tail + piece)[-2:]
    strengths[len(ids)] = 3
    return strengths


def _choose_end(strengths: list[int], start: int, n: int, budget: int, overlap: int) -> int:
    limit = start + budget
    if limit >= n:
        return n
    # Do not end so early that the chunk is tiny (or that the next start would not advance).
    low = start + max(overlap + 1, budget // 2)
    for wanted in (3, 2, 1, 0):
        for i in range(limit, low - 1, -1):
            if strengths[i] >= wanted:
                return i
    return limit


def _mid_char_positions(ids: list[int]) -> frozenset[int]:
    enc = get_encoding()
    return frozenset(
        i
        for i, t in enumerate(ids)
        if i > 0 and (b := enc.decode_single_token_bytes(t))[:1] and 0x80 <= b[0] <= 0xBF
    )


def _split_section_ids(
    ids: list[int], budget: int, overlap: int, prefix: str, max_tokens: int
) -> list[tuple[int, int]]:
    """Token windows ``[start, end)`` over ``ids``; consecutive windows share ``overlap``."""
    n = len(ids)
    strengths = _boundary_strengths(ids)
    mid_char = _mid_char_positions(ids)
    windows: list[tuple[int, int]] = []
    start = 0
    while start < n:
        end = _choose_end(strengths, start, n, budget, overlap)
        # The prefix/body seam can re-tokenize differently; enforce the hard limit exactly.
        while end > start + overlap + 1 and count_tokens(prefix + decode(ids[start:end])) > (
            max_tokens
        ):
            end -= 1
        while end < n and end in mid_char and end > start + 1:
            end -= 1
        windows.append((start, end))
        if end >= n:
            break
        next_start = end - overlap
        while next_start > 0 and next_start in mid_char:
            next_start -= 1
        start = max(next_start, start + 1)
    return windows


def _make_prefix(title: str, heading: str) -> str:
    label = title if heading == title else f"{title}{PREFIX_SEPARATOR}{heading}"
    return f"{label}\n\n"


def chunk_document(
    doc: Document,
    max_tokens: int = MAX_TOKENS,
    overlap_tokens: int = OVERLAP_TOKENS,
    *,
    section_level: int = SECTION_LEVEL,
    overlap_across_sections: bool = False,
) -> list[Chunk]:
    """Split ``doc`` into chunks of at most ``max_tokens`` tokens (see module docstring)."""
    if overlap_tokens < 0 or max_tokens <= 2 * overlap_tokens + 16:
        raise ValueError("max_tokens must comfortably exceed twice overlap_tokens")
    metadata = {"source": doc.source, "category": doc.category, "doc_id": doc.doc_id}
    chunks: list[Chunk] = []
    carry: list[int] = []
    for section in split_sections(doc, section_level):
        prefix = _make_prefix(doc.title, section.heading)
        budget = max_tokens - count_tokens(prefix) - 1
        if budget <= 2 * overlap_tokens:
            raise ValueError(f"heading too long to leave room for text: {section.heading!r}")
        lead = carry if overlap_across_sections else []
        # A carried-over tail is kept apart from the new section by a blank line.
        ids = lead + encode("\n\n" + section.body) if lead else encode(section.body)
        windows = _split_section_ids(ids, budget, overlap_tokens, prefix, max_tokens)
        for w, (start, end) in enumerate(windows):
            body = decode(ids[start:end])
            text = prefix + body
            shared = windows[w - 1][1] - start if w > 0 else len(lead)
            chunks.append(
                Chunk(
                    chunk_id=f"{doc.doc_id}#{len(chunks)}",
                    doc_id=doc.doc_id,
                    index=len(chunks),
                    text=text,
                    body=body,
                    prefix=prefix,
                    heading=section.heading,
                    token_count=count_tokens(text),
                    overlap_tokens=shared,
                    content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                    metadata=dict(metadata),
                )
            )
        last_start, last_end = windows[-1]
        carry = ids[max(last_start, last_end - overlap_tokens) : last_end]
    return chunks


def chunk_documents(docs: list[Document], **kwargs: Any) -> list[Chunk]:
    """Chunk several documents (keyword arguments go to :func:`chunk_document`)."""
    return [chunk for doc in docs for chunk in chunk_document(doc, **kwargs)]
