import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from sse_starlette import EventSourceResponse

from app.agent import service
from app.agent.dependencies import OwnedConversation
from app.agent.engine import Turn, run_turn
from app.agent.events import TextDelta, ToolRunEvent, TurnDone, TurnEvent, TurnResult
from app.agent.exceptions import KnowledgeDocumentNotFound
from app.agent.knowledge.documents import DOC_ID_PATTERN, body_without_title
from app.agent.models import Conversation, KnowledgeDocument, Message, MessageRole
from app.agent.runtime import AgentRuntime
from app.agent.schemas import (
    ChatRequest,
    ChatResponse,
    ConversationList,
    ConversationRead,
    ConversationSummary,
    KnowledgeDocumentList,
    KnowledgeDocumentRead,
    KnowledgeDocumentSummary,
    MessageRead,
    ToolCallRead,
)
from app.agent.tools import ToolContext
from app.auth.access import CurrentBusiness
from app.auth.dependencies import CurrentUser
from app.core.db import Database, checkpoint, column_length
from app.core.deps import DatabaseDep, SessionDep
from app.core.errors import AppError, error_responses
from app.users.models import User
from app.users.service import BusinessAccess

logger = logging.getLogger("vaultra.agent")

# A comment line (": ping") this often while an answer is being written, so that a proxy or load
# balancer does not close a quiet stream: nginx's default read timeout is 60 s, many load
# balancers idle out at 60 s, and a tool call on a slow model can keep the stream silent longer.
SSE_PING_SECONDS = 15.0

router = APIRouter(prefix="/agent", tags=["agent"])


async def get_runtime(request: Request) -> AgentRuntime:
    runtime: AgentRuntime = request.app.state.agent
    return runtime


RuntimeDep = Annotated[AgentRuntime, Depends(get_runtime)]


async def _start_turn(
    session: SessionDep, user: User, access: BusinessAccess, body: ChatRequest
) -> tuple[Conversation, Message, list[tuple[MessageRole, str]]]:
    """Save the question (in a new or the given conversation) and read the turns before it."""
    conversation, user_message = await service.start_turn(
        session,
        user_id=user.id,
        access=access,
        message=body.message,
        conversation_id=body.conversation_id,
    )
    history = await service.recent_history(session, conversation.id, before=user_message.id)
    return conversation, user_message, history


@router.post("/chat", response_model=ChatResponse, responses=error_responses(404, 503))
async def chat(
    session: SessionDep,
    runtime: RuntimeDep,
    user: CurrentUser,
    access: CurrentBusiness,
    body: ChatRequest,
) -> ChatResponse:
    """Ask the agent about the business; the answer cites the knowledge it used."""
    conversation, _question, history = await _start_turn(session, user, access, body)
    # The question is kept even when the model then fails (503), and no transaction stays
    # open across the model's round trips.
    await checkpoint(session)
    ctx = ToolContext(
        session=session, user_id=user.id, retriever=runtime.retriever, business_id=access.id
    )
    result = await _result(_events(runtime, ctx, access, body.message, history, stream=False))
    reply = await service.record_reply(session, conversation.id, result)
    return ChatResponse(
        conversation_id=conversation.id,
        message_id=reply.id,
        response=result.text,
        tool_calls=[ToolCallRead.from_run(run) for run in result.tool_runs],
        citations=result.citations,
        dropped_citations=result.dropped_citations,
        mode=result.mode,
    )


@router.post(
    "/chat/stream",
    response_class=EventSourceResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "Server-sent events: message_start, tool_call, delta, citations, "
            "message_end, or error.",
        },
        **error_responses(404),
    },
)
async def chat_stream(
    session: SessionDep,
    database: DatabaseDep,
    runtime: RuntimeDep,
    user: CurrentUser,
    access: CurrentBusiness,
    body: ChatRequest,
) -> EventSourceResponse:
    """The same as /chat, streamed as the answer is written."""
    # Server-sent events through sse-starlette: keep-alive pings every SSE_PING_SECONDS, and a
    # client that goes away (a closed tab) stops the turn at once, so the model is not paid for
    # an answer nobody reads; the question stays stored, the unfinished reply does not.
    conversation, user_message, history = await _start_turn(session, user, access, body)
    # The request's unit of work commits the question before the stream starts.
    stream = _sse_stream(
        runtime,
        database,
        user_id=user.id,
        access=access,
        conversation_id=conversation.id,
        user_message_id=user_message.id,
        message=body.message,
        history=history,
    )
    # "\n" between lines, as the web app's reader and most clients split on "\n\n".
    return EventSourceResponse(
        stream, sep="\n", ping=SSE_PING_SECONDS, headers={"Cache-Control": "no-cache"}
    )


@router.get("/conversations", response_model=ConversationList)
async def list_conversations(
    session: SessionDep,
    user: CurrentUser,
    access: CurrentBusiness,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> ConversationList:
    """Your conversations about the business, most recent first."""
    conversations = await service.list_conversations(session, user.id, access.id, limit=limit)
    return ConversationList(
        conversations=[ConversationSummary.model_validate(c) for c in conversations]
    )


@router.get("/conversations/{conversation_id}", response_model=ConversationRead)
async def get_conversation(
    session: SessionDep, conversation: OwnedConversation
) -> ConversationRead:
    messages = await service.list_messages(session, conversation.id)
    tool_calls = await service.list_tool_calls(session, [m.id for m in messages])
    return ConversationRead(
        id=conversation.id,
        business_id=conversation.business_id,
        title=conversation.title,
        messages=[
            MessageRead.model_validate(m).model_copy(
                update={"tool_calls": [ToolCallRead.from_run(c) for c in tool_calls.get(m.id, [])]}
            )
            for m in messages
        ],
    )


@router.get(
    "/knowledge",
    operation_id="list_knowledge_documents",
    response_model=KnowledgeDocumentList,
)
async def list_knowledge_documents(
    _user: CurrentUser, runtime: RuntimeDep
) -> KnowledgeDocumentList:
    """The knowledge-base documents answers cite, by title."""
    documents = runtime.knowledge_documents().values()
    return KnowledgeDocumentList(
        documents=[
            KnowledgeDocumentSummary(doc_id=doc.doc_id, title=doc.title, category=doc.category)
            for doc in documents
        ]
    )


@router.get(
    "/knowledge/{doc_id}",
    operation_id="get_knowledge_document",
    response_model=KnowledgeDocumentRead,
    responses=error_responses(404),
)
async def get_knowledge_document(
    _user: CurrentUser,
    runtime: RuntimeDep,
    doc_id: Annotated[
        str, Path(pattern=DOC_ID_PATTERN, max_length=column_length(KnowledgeDocument.doc_id))
    ],
) -> KnowledgeDocumentRead:
    """One document, as a `[Source: doc_id]` citation links to it."""
    doc = runtime.knowledge_documents().get(doc_id)
    if doc is None:
        raise KnowledgeDocumentNotFound()
    return KnowledgeDocumentRead(
        doc_id=doc.doc_id,
        title=doc.title,
        category=doc.category,
        body_markdown=body_without_title(doc),
    )


def _events(
    runtime: AgentRuntime,
    ctx: ToolContext,
    access: BusinessAccess,
    message: str,
    history: list[tuple[MessageRole, str]],
    *,
    stream: bool,
) -> AsyncIterator[TurnEvent]:
    return run_turn(
        ctx,
        Turn(business=access, message=message, history=history),
        llm=runtime.llm,
        max_iterations=runtime.settings.agent_max_tool_iterations,
        stream=stream,
    )


async def _result(events: AsyncIterator[TurnEvent]) -> TurnResult:
    async for event in events:
        if isinstance(event, TurnDone):
            return event.result
    raise RuntimeError("the turn ended without a result")


def _sse(event: str, data: dict[str, Any]) -> dict[str, str]:
    """One event for EventSourceResponse: its name, and its data as one line of JSON."""
    return {"event": event, "data": json.dumps(data, default=str, ensure_ascii=False)}


async def _sse_stream(
    runtime: AgentRuntime,
    database: Database,
    *,
    user_id: uuid.UUID,
    access: BusinessAccess,
    conversation_id: uuid.UUID,
    user_message_id: uuid.UUID,
    message: str,
    history: list[tuple[MessageRole, str]],
) -> AsyncIterator[dict[str, str]]:
    yield _sse(
        "message_start",
        {
            "conversation_id": conversation_id,
            "user_message_id": user_message_id,
            "mode": runtime.mode,
        },
    )
    try:
        # The request's session is closed by now: the turn gets its own unit of work.
        async with database.session() as session:
            ctx = ToolContext(
                session=session, user_id=user_id, retriever=runtime.retriever, business_id=access.id
            )
            async for event in _events(runtime, ctx, access, message, history, stream=True):
                if isinstance(event, ToolRunEvent):
                    yield _sse("tool_call", ToolCallRead.from_run(event.run).model_dump())
                elif isinstance(event, TextDelta):
                    yield _sse("delta", {"text": event.text})
                else:
                    done = event.result
                    reply = await service.record_reply(session, conversation_id, done)
        # Sent once the reply is committed, so `message_id` can be fetched right away.
        yield _sse(
            "citations",
            {
                "citations": [c.model_dump() for c in done.citations],
                "dropped_citations": done.dropped_citations,
            },
        )
        yield _sse(
            "message_end",
            {
                "conversation_id": conversation_id,
                "message_id": reply.id,
                "response": done.text,
                "mode": done.mode,
            },
        )
    except AppError as exc:
        yield _sse("error", {"code": exc.code, "detail": exc.detail})
    except Exception:
        logger.exception("agent stream failed")
        yield _sse("error", {"code": "internal_error", "detail": "Internal server error."})
