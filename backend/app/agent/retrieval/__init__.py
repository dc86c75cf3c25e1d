"""Knowledge retrieval behind one interface: the local index in Vaultra's DB, or Pinecone."""

from app.agent.retrieval.base import RetrievedChunk, Retriever

__all__ = ["RetrievedChunk", "Retriever"]
