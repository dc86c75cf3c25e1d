"""The embedded retriever: BM25 over the chunks stored in Vaultra's DB, no network needed.

The index is built in memory on first use and cached; a cheap fingerprint query (chunk
count and newest chunk) notices a re-ingest, from this process or another. With an
embedder configured and stored vectors from the same model, cosine similarity is fused
with BM25 by reciprocal rank.
"""

import asyncio
import logging
import math
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from openai import OpenAIError
from sqlalchemy import func, select

from app.agent.knowledge import BM25Index
from app.agent.models import KnowledgeChunk, KnowledgeDocument
from app.agent.retrieval.base import TOP_K, Embedder, RetrievedChunk
from app.core.db import Database

logger = logging.getLogger("vaultra.agent.retrieval")

# How long a cached index is trusted before the fingerprint is checked again.
RECHECK_SECONDS = 5.0
# Candidates each ranking contributes to the fusion.
FUSION_CANDIDATES = 20
# The usual reciprocal-rank-fusion constant (Cormack et al., 2009).
RRF_K = 60

Fingerprint = tuple[int, datetime | None]


@dataclass
class _Snapshot:
    fingerprint: Fingerprint
    checked_at: float
    index: BM25Index
    chunks: dict[str, RetrievedChunk]
    # Unit-length vectors by chunk id, when every chunk has one from the embedder's model.
    vectors: dict[str, list[float]] = field(default_factory=dict)


class LocalRetriever:
    def __init__(self, database: Database, embedder: Embedder | None = None) -> None:
        self.database = database
        self.embedder = embedder
        self._snapshot: _Snapshot | None = None
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        self._snapshot = None

    async def search(self, query: str, k: int = TOP_K) -> list[RetrievedChunk]:
        snapshot = await self._current()
        if not snapshot.chunks or k <= 0:
            return []
        lexical = snapshot.index.search(query, max(k, FUSION_CANDIDATES))
        dense = await self._dense(snapshot, query) if snapshot.vectors else []
        if not dense:
            ranked = lexical[:k]
        else:
            fused: dict[str, float] = {}
            for ranking in (lexical, dense):
                for rank, (chunk_id, _) in enumerate(ranking, 1):
                    fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank)
            ranked = sorted(fused.items(), key=lambda item: -item[1])[:k]
        return [snapshot.chunks[cid].model_copy(update={"score": score}) for cid, score in ranked]

    async def _dense(self, snapshot: _Snapshot, query: str) -> list[tuple[str, float]]:
        assert self.embedder is not None
        try:
            [vector] = await self.embedder.embed([query])
        except OpenAIError:
            # Lexical results still answer; the embedder may be back for the next query.
            logger.warning("query embedding failed; BM25 only", exc_info=True)
            return []
        unit = _normalized(vector)
        scores = [
            (cid, sum(a * b for a, b in zip(unit, stored, strict=False)))
            for cid, stored in snapshot.vectors.items()
        ]
        scores.sort(key=lambda item: -item[1])
        return scores[:FUSION_CANDIDATES]

    async def _current(self) -> _Snapshot:
        snapshot = self._snapshot
        # An empty index is always re-checked: the first ingest must show up at once.
        if (
            snapshot
            and snapshot.chunks
            and time.monotonic() - snapshot.checked_at < RECHECK_SECONDS
        ):
            return snapshot
        async with self._lock:
            async with self.database.session() as session:
                row = (
                    await session.execute(
                        select(
                            func.count(KnowledgeChunk.chunk_id), func.max(KnowledgeChunk.created_at)
                        )
                    )
                ).one()
                fingerprint: Fingerprint = (row[0], row[1])
                snapshot = self._snapshot
                if snapshot is not None and snapshot.fingerprint == fingerprint:
                    snapshot.checked_at = time.monotonic()
                    return snapshot
                result = await session.execute(
                    select(KnowledgeChunk, KnowledgeDocument.embedding_model)
                    .join(KnowledgeDocument, KnowledgeDocument.doc_id == KnowledgeChunk.doc_id)
                    .order_by(KnowledgeChunk.doc_id, KnowledgeChunk.position)
                )
                rows = [(chunk, model) for chunk, model in result.all()]
            self._snapshot = self._build(fingerprint, rows)
            return self._snapshot

    def _build(self, fingerprint: Fingerprint, rows: list[tuple[KnowledgeChunk, Any]]) -> _Snapshot:
        chunks = {
            chunk.chunk_id: RetrievedChunk(
                chunk_id=chunk.chunk_id,
                doc_id=chunk.doc_id,
                text=chunk.text,
                score=0.0,
                source=str(chunk.metadata_.get("source", "")),
                category=str(chunk.metadata_.get("category", "")),
            )
            for chunk, _ in rows
        }
        index = BM25Index().build_from_texts((chunk.chunk_id, chunk.text) for chunk, _ in rows)
        vectors: dict[str, list[float]] = {}
        model = self.embedder.model if self.embedder else None
        if model and rows and all(m == model and c.embedding for c, m in rows):
            vectors = {chunk.chunk_id: _normalized(chunk.embedding or []) for chunk, _ in rows}
        return _Snapshot(fingerprint, time.monotonic(), index, chunks, vectors)


def _normalized(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]
