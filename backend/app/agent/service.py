"""Conversations, messages and tool calls. Services flush; the caller's unit of work commits."""

import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.agent.events import TurnResult
from app.agent.exceptions import ConversationNotFound
from app.agent.models import Conversation, Message, MessageRole, ToolCall
from app.core.db import utcnow
from app.users import service as users_service
from app.users.exceptions import BusinessAccessDenied
from app.users.service import BusinessAccess

# Earlier messages sent to the model with each turn.
HISTORY_MESSAGES = 20
TITLE_LENGTH = 80


async def get_conversation(
    session: AsyncSession, user_id: uuid.UUID, conversation_id: uuid.UUID
) -> Conversation:
    """The user's own conversation, about a business the user still belongs to."""
    # Filtered by owner in the query: another user's conversation answers like a missing one.
    result = await session.execute(
        select(Conversation).where(
            Conversation.id == conversation_id, Conversation.user_id == user_id
        )
    )
    conversation = result.scalar_one_or_none()
    if conversation is None:
        raise ConversationNotFound()
    if not await users_service.is_member(session, user_id, conversation.business_id):
        raise BusinessAccessDenied()
    return conversation


async def list_conversations(
    session: AsyncSession, user_id: uuid.UUID, business_id: uuid.UUID, *, limit: int
) -> list[Conversation]:
    result = await session.execute(
        select(Conversation)
        .where(Conversation.user_id == user_id, Conversation.business_id == business_id)
        .order_by(Conversation.updated_at.desc(), Conversation.id)
        .limit(limit)
    )
    return list(result.scalars())


async def list_messages(
    session: AsyncSession, conversation_id: uuid.UUID, *, before: uuid.UUID | None = None
) -> list[Message]:
    """Oldest first; with `before`, only the messages that precede that one."""
    query = select(Message).where(Message.conversation_id == conversation_id)
    if before is not None:
        anchor = await session.get(Message, before)
        if anchor is not None:
            query = query.where(Message.created_at < anchor.created_at)
    result = await session.execute(query.order_by(Message.created_at, Message.id))
    return list(result.scalars())


async def list_tool_calls(
    session: AsyncSession, message_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[ToolCall]]:
    """The tool runs behind each of these messages, in the order they ran."""
    if not message_ids:
        return {}
    result = await session.execute(
        select(ToolCall)
        .where(ToolCall.message_id.in_(message_ids))
        .order_by(ToolCall.iteration, ToolCall.created_at, ToolCall.id)
    )
    calls: dict[uuid.UUID, list[ToolCall]] = {}
    for call in result.scalars():
        calls.setdefault(call.message_id, []).append(call)
    return calls


async def start_turn(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    access: BusinessAccess,
    message: str,
    conversation_id: uuid.UUID | None,
) -> tuple[Conversation, Message]:
    """Save the user's message (opening a conversation if needed) before anything can fail."""
    if conversation_id is None:
        conversation = Conversation(user_id=user_id, business_id=access.id, title=_title(message))
        session.add(conversation)
        await session.flush()
    else:
        conversation = await get_conversation(session, user_id, conversation_id)
        if conversation.business_id != access.id:
            raise ConversationNotFound("This conversation belongs to another business.")
        conversation.updated_at = utcnow()
    user_message = Message(
        conversation_id=conversation.id, role=MessageRole.user, content=message, citations=[]
    )
    session.add(user_message)
    await session.flush()
    return conversation, user_message


async def recent_history(
    session: AsyncSession, conversation_id: uuid.UUID, before: uuid.UUID
) -> list[tuple[MessageRole, str]]:
    messages = await list_messages(session, conversation_id, before=before)
    return [(m.role, m.content) for m in messages[-HISTORY_MESSAGES:]]


async def record_reply(
    session: AsyncSession, conversation_id: uuid.UUID, result: TurnResult
) -> Message:
    """The assistant's answer and every tool call that informed it."""
    reply = Message(
        conversation_id=conversation_id,
        role=MessageRole.assistant,
        content=result.text,
        citations=[citation.model_dump() for citation in result.citations],
        mode=result.mode,
    )
    session.add(reply)
    await session.flush()
    session.add_all(
        ToolCall(
            message_id=reply.id,
            call_id=run.call_id,
            name=run.name,
            arguments=run.arguments,
            output=run.output,
            error=run.error,
            iteration=run.iteration,
            duration_ms=run.duration_ms,
        )
        for run in result.tool_runs
    )
    conversation = await session.get(Conversation, conversation_id)
    if conversation is not None:
        conversation.updated_at = utcnow()
    await session.flush()
    return reply


def _title(message: str) -> str:
    text = " ".join(message.split())
    return text if len(text) <= TITLE_LENGTH else text[: TITLE_LENGTH - 1].rstrip() + "…"


async def _delete_conversations(session: AsyncSession, *where: Any) -> None:
    # Children first, rather than trusting ON DELETE CASCADE, so the rows go on every dialect.
    conversations = select(Conversation.id).where(*where)
    messages = select(Message.id).where(Message.conversation_id.in_(conversations))
    await session.execute(delete(ToolCall).where(ToolCall.message_id.in_(messages)))
    await session.execute(delete(Message).where(Message.conversation_id.in_(conversations)))
    await session.execute(delete(Conversation).where(*where))


async def delete_business_data(session: AsyncSession, business_id: uuid.UUID) -> None:
    """Every conversation of a business, with its messages and tool calls (teams)."""
    await _delete_conversations(session, Conversation.business_id == business_id)


async def delete_user_data(session: AsyncSession, user_id: uuid.UUID) -> None:
    """The user's conversations in every business (account deletion, teams)."""
    await _delete_conversations(session, Conversation.user_id == user_id)
