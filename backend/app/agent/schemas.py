import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from app.agent.citations import Citation
from app.agent.models import MessageRole, ToolCall
from app.agent.tools import ToolRun
from app.core.text import UserText


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    business_id: uuid.UUID | None = Field(
        default=None, description="Optional when you belong to exactly one business."
    )
    message: Annotated[str, UserText(max_length=4000, multiline=True)]
    conversation_id: uuid.UUID | None = Field(
        default=None, description="Continue this conversation; omit to start a new one."
    )


class ToolCallRead(BaseModel):
    id: str
    name: str
    arguments: dict[str, Any]
    ok: bool
    error: str | None = None
    output: dict[str, Any] | None = Field(
        default=None, description="What the tool returned: what the answer is based on."
    )

    @classmethod
    def from_run(cls, run: ToolRun | ToolCall) -> "ToolCallRead":
        """From a run of this turn, or one stored with an earlier answer (the same fields)."""
        return cls(
            id=run.call_id,
            name=run.name,
            arguments=run.arguments,
            ok=run.error is None,
            error=run.error,
            output=run.output,
        )


class ChatResponse(BaseModel):
    conversation_id: uuid.UUID
    message_id: uuid.UUID = Field(description="The assistant message.")
    response: str
    tool_calls: list[ToolCallRead]
    citations: list[Citation] = Field(
        description="Knowledge the answer cites; each was retrieved during this turn."
    )
    dropped_citations: list[str] = Field(
        description="Sources the model cited that were not retrieved; removed from the answer."
    )
    mode: str = Field(description='"llm:<model>", or "offline" when no model is configured.')


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    role: MessageRole
    content: str
    citations: list[Citation]
    mode: str | None = Field(
        description='The answer\'s "llm:<model>" or "offline"; null for questions.'
    )
    tool_calls: list[ToolCallRead] = Field(
        default_factory=list, description="The data the answer is based on; none for questions."
    )
    created_at: datetime


class ConversationRead(BaseModel):
    id: uuid.UUID
    business_id: uuid.UUID
    title: str
    messages: list[MessageRead]


class ConversationSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    business_id: uuid.UUID
    title: str
    created_at: datetime
    updated_at: datetime


class ConversationList(BaseModel):
    conversations: list[ConversationSummary]


class KnowledgeDocumentSummary(BaseModel):
    doc_id: str = Field(description="What `[Source: doc_id]` citations name.")
    title: str
    category: str


class KnowledgeDocumentList(BaseModel):
    documents: list[KnowledgeDocumentSummary]


class KnowledgeDocumentRead(KnowledgeDocumentSummary):
    body_markdown: str = Field(
        description="Markdown, without the front matter and the leading title heading; "
        "render it with raw HTML disabled."
    )
