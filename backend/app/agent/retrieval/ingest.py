"""Knowledge ingestion: documents -> chunks (-> embeddings) in Vaultra's DB, and Pinecone.

Idempotent by content hash: a changed document is re-chunked (and re-embedded), a removed
one is deleted, an unchanged one is left alone.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agent.knowledge import Chunk, Document, chunk_document
from app.agent.models import KnowledgeChunk, KnowledgeDocument
from app.agent.retrieval.base import Embedder
from app.agent.retrieval.pinecone_index import PineconeIndex


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    chunks_written: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deleted)


async def stored_document_ids(session: AsyncSession) -> list[str]:
    result = await session.execute(
        select(KnowledgeDocument.doc_id).order_by(KnowledgeDocument.doc_id)
    )
    return list(result.scalars())


async def has_chunks(session: AsyncSession) -> bool:
    result = await session.execute(select(KnowledgeChunk.chunk_id).limit(1))
    return result.first() is not None


async def ingest_documents(
    session: AsyncSession,
    documents: Sequence[Document],
    *,
    embedder: Embedder | None = None,
    vector_index: PineconeIndex | None = None,
    force: bool = False,
    chunker: Callable[[Document], list[Chunk]] = chunk_document,
) -> IngestReport:
    """Bring the stored knowledge in line with `documents`; flushes, the caller commits.

    The vector store is written before the caller commits, so a failed upsert leaves the
    database unchanged and the next run retries the same documents.
    """
    if vector_index is not None and embedder is None:
        raise ValueError("a vector index needs an embedder")
    model = embedder.model if embedder is not None else None
    result = await session.execute(select(KnowledgeDocument))
    stored = {row.doc_id: row for row in result.scalars()}
    report = IngestReport()

    for doc in documents:
        row = stored.pop(doc.doc_id, None)
        fresh = (
            row is not None
            and row.content_hash == doc.sha256
            and (model is None or row.embedding_model == model)
        )
        if fresh and not force:
            report.unchanged.append(doc.doc_id)
            continue
        chunks = chunker(doc)
        vectors = await embedder.embed([chunk.text for chunk in chunks]) if embedder else None
        old_ids = await _chunk_ids(session, doc.doc_id) if row is not None else []
        if row is None:
            row = KnowledgeDocument(doc_id=doc.doc_id)
            session.add(row)
            report.added.append(doc.doc_id)
        else:
            await session.execute(delete(KnowledgeChunk).where(KnowledgeChunk.doc_id == doc.doc_id))
            report.updated.append(doc.doc_id)
        row.title = doc.title
        row.source = doc.source
        row.category = doc.category
        row.path = doc.path
        row.content_hash = doc.sha256
        row.embedding_model = model
        await session.flush()
        session.add_all(
            KnowledgeChunk(
                chunk_id=chunk.chunk_id,
                doc_id=doc.doc_id,
                position=chunk.index,
                heading=chunk.heading,
                text=chunk.text,
                token_count=chunk.token_count,
                content_hash=chunk.content_hash,
                metadata_=dict(chunk.metadata),
                embedding=vectors[i] if vectors else None,
            )
            for i, chunk in enumerate(chunks)
        )
        report.chunks_written += len(chunks)
        if vector_index is not None and vectors is not None:
            await vector_index.upsert(_pinecone_records(doc, chunks, vectors))
            new_ids = {chunk.chunk_id for chunk in chunks}
            await vector_index.delete([cid for cid in old_ids if cid not in new_ids])

    for doc_id, row in stored.items():
        old_ids = await _chunk_ids(session, doc_id)
        if vector_index is not None:
            await vector_index.delete(old_ids)
        await session.execute(delete(KnowledgeChunk).where(KnowledgeChunk.doc_id == doc_id))
        await session.delete(row)
        report.deleted.append(doc_id)
    await session.flush()
    return report


async def _chunk_ids(session: AsyncSession, doc_id: str) -> list[str]:
    result = await session.execute(
        select(KnowledgeChunk.chunk_id).where(KnowledgeChunk.doc_id == doc_id)
    )
    return list(result.scalars())


def _pinecone_records(
    doc: Document, chunks: Sequence[Chunk], vectors: Sequence[list[float]]
) -> list[dict[str, Any]]:
    # The text rides in the metadata so a query needs no second lookup.
    return [
        {
            "id": chunk.chunk_id,
            "values": vector,
            "metadata": {**chunk.metadata, "title": doc.title, "text": chunk.text},
        }
        for chunk, vector in zip(chunks, vectors, strict=True)
    ]
