"""Knowledge base for the agent: documents, cl100k chunking, BM25 retrieval, evaluation.

Typical use (rebuild in memory at startup; the whole KB is ~50 chunks)::

    from app.agent.knowledge import KnowledgeBase

    kb = KnowledgeBase.load()          # backend/docs/knowledge by default
    for chunk, score in kb.search("what's hurting my funding readiness?", k=5):
        print(chunk.chunk_id, chunk.metadata["doc_id"], score)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.agent.knowledge.bm25 import BM25Index
from app.agent.knowledge.chunking import Chunk, chunk_document, chunk_documents
from app.agent.knowledge.documents import Document, load_documents
from app.agent.knowledge.tokenizer import count_tokens, decode, encode

# backend/app/agent/knowledge/__init__.py -> backend/docs/knowledge
DEFAULT_KNOWLEDGE_DIR = Path(__file__).resolve().parents[3] / "docs" / "knowledge"
DEFAULT_QUESTIONS_PATH = DEFAULT_KNOWLEDGE_DIR / "eval" / "questions.jsonl"


@dataclass
class KnowledgeBase:
    """Documents, their chunks and a BM25 index over the chunks."""

    documents: list[Document]
    chunks: list[Chunk]
    index: BM25Index = field(default_factory=BM25Index)

    def __post_init__(self) -> None:
        self._by_id = {c.chunk_id: c for c in self.chunks}
        if len(self.index) == 0 and self.chunks:
            self.index.build(self.chunks)

    @classmethod
    def load(cls, folder: str | Path = DEFAULT_KNOWLEDGE_DIR) -> KnowledgeBase:
        docs = load_documents(folder)
        return cls(documents=docs, chunks=chunk_documents(docs))

    def get(self, chunk_id: str) -> Chunk:
        return self._by_id[chunk_id]

    def search(self, query: str, k: int = 5) -> list[tuple[Chunk, float]]:
        return [(self._by_id[cid], score) for cid, score in self.index.search(query, k)]


__all__ = [
    "DEFAULT_KNOWLEDGE_DIR",
    "DEFAULT_QUESTIONS_PATH",
    "BM25Index",
    "Chunk",
    "Document",
    "KnowledgeBase",
    "chunk_document",
    "chunk_documents",
    "count_tokens",
    "decode",
    "encode",
    "load_documents",
]
