"""Pinecone (SDK v10) as the production vector store: upsert, query and delete by chunk id."""

import asyncio
from collections.abc import Sequence
from typing import Any

from pinecone import AsyncIndex, AsyncPinecone

from app.agent.retrieval.base import TOP_K, Embedder, RetrievedChunk

UPSERT_BATCH = 100


class PineconeIndex:
    """One index (and namespace); the data-plane client is opened on first use."""

    def __init__(self, *, api_key: str, index_name: str, host: str | None, namespace: str) -> None:
        self._api_key = api_key
        self._index_name = index_name
        self._host = host
        self.namespace = namespace
        self._index: AsyncIndex | None = None
        self._lock = asyncio.Lock()

    async def _open(self) -> AsyncIndex:
        async with self._lock:
            if self._index is None:
                async with AsyncPinecone(api_key=self._api_key) as control:
                    # With a host there is no lookup; without one, one describe call.
                    self._index = await control.index(name=self._index_name, host=self._host or "")
            return self._index

    async def upsert(self, vectors: Sequence[dict[str, Any]]) -> None:
        index = await self._open()
        # One request per batch, so a failure raises instead of being reported per batch.
        for start in range(0, len(vectors), UPSERT_BATCH):
            await index.upsert(
                vectors=vectors[start : start + UPSERT_BATCH], namespace=self.namespace
            )

    async def delete(self, ids: Sequence[str]) -> None:
        if ids:
            index = await self._open()
            await index.delete(ids=list(ids), namespace=self.namespace)

    async def query(self, vector: list[float], k: int) -> list[tuple[str, float, dict[str, Any]]]:
        index = await self._open()
        response = await index.query(
            top_k=k, vector=vector, namespace=self.namespace, include_metadata=True
        )
        return [(match.id, match.score, dict(match.metadata or {})) for match in response.matches]

    async def close(self) -> None:
        if self._index is not None:
            await self._index.close()
            self._index = None


class PineconeRetriever:
    """Embed the query, then nearest neighbours from Pinecone; chunk text rides in metadata."""

    def __init__(self, index: PineconeIndex, embedder: Embedder) -> None:
        self.index = index
        self.embedder = embedder

    async def search(self, query: str, k: int = TOP_K) -> list[RetrievedChunk]:
        [vector] = await self.embedder.embed([query])
        matches = await self.index.query(vector, k)
        return [
            RetrievedChunk(
                chunk_id=chunk_id,
                doc_id=str(metadata.get("doc_id") or chunk_id.rsplit("#", 1)[0]),
                text=str(metadata.get("text", "")),
                score=score,
                source=str(metadata.get("source", "")),
                category=str(metadata.get("category", "")),
            )
            for chunk_id, score, metadata in matches
        ]
