"""The agent's long-lived parts, built once from settings: LLM client, embedder, retrievers."""

import logging
from pathlib import Path

from openai import AsyncOpenAI

from app.agent.knowledge import Document, load_documents
from app.agent.llm import ChatModel, create_client
from app.agent.retrieval import Retriever
from app.agent.retrieval.embeddings import OpenAIEmbedder
from app.agent.retrieval.ingest import (
    IngestReport,
    has_chunks,
    ingest_documents,
    stored_document_ids,
)
from app.agent.retrieval.local import LocalRetriever
from app.agent.retrieval.pinecone_index import PineconeIndex, PineconeRetriever
from app.core.config import Settings
from app.core.db import Database, exclusive_section

logger = logging.getLogger("vaultra.agent")
# The advisory lock every knowledge-base ingest takes (app/core/db.py, exclusive_section).
KNOWLEDGE_INGEST_LOCK = "vaultra:knowledge-ingest"


class AgentRuntime:
    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings = settings
        self.database = database
        self.openai: AsyncOpenAI | None = create_client(settings) if settings.llm_enabled else None
        self.llm = ChatModel(self.openai, settings.openai_model) if self.openai else None
        self.embedder = (
            OpenAIEmbedder(self.openai, settings.openai_embedding_model)
            if self.openai is not None and settings.embeddings_enabled
            else None
        )
        self.pinecone: PineconeIndex | None = None
        if settings.pinecone_enabled and settings.pinecone_api_key is not None:
            self.pinecone = PineconeIndex(
                api_key=settings.pinecone_api_key.get_secret_value(),
                index_name=settings.pinecone_index,
                host=settings.pinecone_host,
                namespace=settings.pinecone_namespace,
            )
        self.local = LocalRetriever(database, self.embedder)
        self.retriever: Retriever = (
            PineconeRetriever(self.pinecone, self.embedder)
            if self.pinecone is not None and self.embedder is not None
            else self.local
        )
        self._documents: dict[str, Document] | None = None

    def knowledge_documents(self) -> dict[str, Document]:
        """The knowledge base's files by doc_id, sorted by title. Read once: they ship with
        the app (five files, 58 KB), so only a deploy changes them."""
        if self._documents is None:
            documents = sorted(load_documents(self.settings.knowledge_dir), key=lambda d: d.title)
            self._documents = {doc.doc_id: doc for doc in documents}
        return self._documents

    @property
    def mode(self) -> str:
        return self.llm.label if self.llm else "offline"

    async def ingest(self, folder: Path | None = None, *, force: bool = False) -> IngestReport:
        documents = load_documents(folder or self.settings.knowledge_dir)
        async with self.database.session() as session:
            # Two processes starting together (API pods, a release's Job) would both insert the
            # same documents (UniqueViolation): the second waits, then finds them unchanged.
            await exclusive_section(session, KNOWLEDGE_INGEST_LOCK)
            report = await ingest_documents(
                session,
                documents,
                embedder=self.embedder,
                vector_index=self.pinecone,
                force=force,
            )
        if report.changed:
            self.local.invalidate()
        return report

    async def document_ids(self) -> list[str]:
        async with self.database.session() as session:
            return await stored_document_ids(session)

    async def ingest_if_empty(self) -> None:
        """The knowledge base ships with the app: a fresh development database gets it."""
        try:
            async with self.database.session() as session:
                if await has_chunks(session):
                    return
            report = await self.ingest()
        except Exception:
            # A background task: log, the app runs on (`vaultra kb ingest` retries by hand).
            logger.exception("knowledge base ingestion failed")
            return
        logger.info(
            "knowledge base ingested",
            extra={"documents": len(report.added), "chunks": report.chunks_written},
        )

    async def close(self) -> None:
        if self.pinecone is not None:
            await self.pinecone.close()
        if self.openai is not None:
            await self.openai.close()
