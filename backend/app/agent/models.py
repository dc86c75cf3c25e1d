import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, JSONType, Timestamps, UUIDPrimaryKey, utcnow


class MessageRole(StrEnum):
    user = "user"
    assistant = "assistant"


class Conversation(UUIDPrimaryKey, Timestamps, Base):
    """A chat thread: one user, one business."""

    __tablename__ = "agent_conversations"
    __table_args__ = (
        Index(
            "ix_agent_conversations_user_business_updated", "user_id", "business_id", "updated_at"
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    business_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))


class Message(UUIDPrimaryKey, Base):
    __tablename__ = "agent_messages"
    __table_args__ = (
        Index("ix_agent_messages_conversation_created", "conversation_id", "created_at"),
    )

    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agent_conversations.id", ondelete="CASCADE")
    )
    role: Mapped[MessageRole] = mapped_column(
        Enum(MessageRole, native_enum=False, length=20, validate_strings=True)
    )
    content: Mapped[str] = mapped_column(Text)
    # [{doc_id, chunk_id, source, category}] of the knowledge the answer cites.
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # "llm:<model>" or "offline"; None for user messages.
    mode: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ToolCall(UUIDPrimaryKey, Base):
    """One tool run during a turn, attached to the assistant message it informed."""

    __tablename__ = "agent_tool_calls"

    message_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agent_messages.id", ondelete="CASCADE"), index=True
    )
    # The model's id for the call (OpenAI `tool_call_id`), or one we made up offline.
    call_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(64))
    arguments: Mapped[dict[str, Any]] = mapped_column(JSONType)
    output: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(Text)
    iteration: Mapped[int] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class KnowledgeDocument(Timestamps, Base):
    __tablename__ = "knowledge_documents"

    doc_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(100))
    path: Mapped[str] = mapped_column(String(500))
    # SHA-256 of the file: an unchanged hash means nothing to re-chunk or re-embed.
    content_hash: Mapped[str] = mapped_column(String(64))
    # The embedding model the chunks' vectors came from; None when stored without vectors.
    embedding_model: Mapped[str | None] = mapped_column(String(100))


class KnowledgeChunk(Base):
    __tablename__ = "knowledge_chunks"

    chunk_id: Mapped[str] = mapped_column(String(220), primary_key=True)
    doc_id: Mapped[str] = mapped_column(
        ForeignKey("knowledge_documents.doc_id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    heading: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    token_count: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    # {source, category, doc_id}, as sent to the vector store.
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType)
    embedding: Mapped[list[float] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
