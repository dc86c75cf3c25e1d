"""`[Source: doc_id]` markers: only knowledge retrieved in the current turn may be cited.

The filter works on a stream of text: a possible marker is held back until it is complete,
then kept (valid) or removed (invented), so a made-up source never reaches the client.
"""

import re
from collections.abc import Iterable

from pydantic import BaseModel

from app.agent.retrieval import RetrievedChunk

_MARKER = re.compile(r"\[\s*source\s*:\s*([^\[\]]+?)\s*\]", re.IGNORECASE)
_OPENING = "[source:"
# Longer than any real marker: past this, a "[" is plain text.
_MAX_MARKER = 300


class Citation(BaseModel):
    doc_id: str
    chunk_id: str
    source: str
    category: str


def marker(doc_id: str) -> str:
    return f"[Source: {doc_id}]"


class CitationFilter:
    def __init__(self, retrieved: Iterable[RetrievedChunk] = ()) -> None:
        self._by_doc: dict[str, RetrievedChunk] = {}
        self._by_chunk: dict[str, RetrievedChunk] = {}
        self.add(retrieved)
        self._buffer = ""
        self.cited: dict[str, Citation] = {}
        self.dropped: list[str] = []

    def add(self, chunks: Iterable[RetrievedChunk]) -> None:
        """Make more retrieved chunks citable (e.g. a `search_knowledge` call mid-turn)."""
        for chunk in chunks:
            best = self._by_doc.get(chunk.doc_id)
            if best is None or chunk.score > best.score:
                self._by_doc[chunk.doc_id] = chunk
            self._by_chunk[chunk.chunk_id] = chunk

    @property
    def citations(self) -> list[Citation]:
        return list(self.cited.values())

    def feed(self, text: str) -> str:
        """The part of the text seen so far that can be released."""
        self._buffer += text
        out: list[str] = []
        while self._buffer:
            start = self._buffer.find("[")
            if start < 0:
                out.append(self._buffer)
                self._buffer = ""
                break
            out.append(self._buffer[:start])
            rest = self._buffer[start:]
            end = rest.find("]")
            if end < 0:
                if len(rest) < _MAX_MARKER and _may_open_marker(rest):
                    self._buffer = rest
                    break
                out.append("[")
                self._buffer = rest[1:]
                continue
            match = _MARKER.fullmatch(rest[: end + 1])
            if match is None:
                out.append("[")
                self._buffer = rest[1:]
                continue
            out.append(self._resolve(match.group(1)))
            self._buffer = rest[end + 1 :]
        return "".join(out)

    def finish(self) -> str:
        """Whatever is still held back (an unfinished "[..." is plain text)."""
        rest, self._buffer = self._buffer, ""
        return rest

    def _resolve(self, ids: str) -> str:
        kept: list[str] = []
        for raw in re.split(r"[,;]", ids):
            ref = raw.strip()
            chunk = self._by_chunk.get(ref) or self._by_doc.get(ref)
            if chunk is None:
                self.dropped.append(ref)
                continue
            self.cited.setdefault(
                chunk.doc_id,
                Citation(
                    doc_id=chunk.doc_id,
                    chunk_id=chunk.chunk_id,
                    source=chunk.source,
                    category=chunk.category,
                ),
            )
            kept.append(marker(chunk.doc_id))
        return " ".join(kept)


def _may_open_marker(text: str) -> bool:
    compact = re.sub(r"\s+", "", text).lower()
    return compact.startswith(_OPENING) or _OPENING.startswith(compact)
