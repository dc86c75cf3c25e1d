from typing import Protocol

from pydantic import BaseModel

TOP_K = 5


class RetrievedChunk(BaseModel):
    """One knowledge chunk found for a query; `doc_id` is what answers cite."""

    chunk_id: str
    doc_id: str
    text: str
    score: float
    source: str
    category: str


class Retriever(Protocol):
    async def search(self, query: str, k: int = TOP_K) -> list[RetrievedChunk]: ...


class Embedder(Protocol):
    model: str

    async def embed(self, texts: list[str]) -> list[list[float]]: ...
