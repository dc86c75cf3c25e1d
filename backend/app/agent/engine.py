"""One chat turn: the tool-calling loop with a language model, or the offline answerer.

A turn is an async stream of events (tool runs, text deltas, then the result), so the JSON
endpoint and the SSE endpoint share one code path.
"""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from app.agent import offline, prompts
from app.agent.citations import CitationFilter
from app.agent.events import TextDelta, ToolRunEvent, TurnDone, TurnEvent, TurnResult
from app.agent.llm import ChatModel, LLMReply, LLMToolCall
from app.agent.models import MessageRole
from app.agent.retrieval.base import TOP_K
from app.agent.tools import TOOLS, ToolContext, ToolRun, execute
from app.users.service import BusinessAccess

NO_ANSWER = "I could not produce an answer this time; please rephrase or try again."


@dataclass
class Turn:
    business: BusinessAccess
    message: str
    # Earlier messages of the conversation, oldest first.
    history: list[tuple[MessageRole, str]] = field(default_factory=list)


async def run_turn(
    ctx: ToolContext,
    turn: Turn,
    *,
    llm: ChatModel | None,
    max_iterations: int,
    stream: bool = False,
) -> AsyncIterator[TurnEvent]:
    if llm is None:
        async for event in offline.answer(ctx, turn.business, turn.message):
            yield event
        return
    async for event in _llm_turn(ctx, turn, llm, max_iterations, stream):
        yield event


async def _llm_turn(
    ctx: ToolContext, turn: Turn, llm: ChatModel, max_iterations: int, stream: bool
) -> AsyncIterator[TurnEvent]:
    knowledge = await ctx.retriever.search(turn.message, TOP_K)
    ctx.retrieved.extend(knowledge)
    citations = CitationFilter(knowledge)
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": prompts.system_prompt(turn.business)},
        {"role": "system", "content": prompts.knowledge_message(knowledge)},
        *({"role": role.value, "content": content} for role, content in turn.history),
        {"role": "user", "content": turn.message},
    ]
    tools = [tool.openai_schema() for tool in TOOLS.values()]
    runs: list[ToolRun] = []
    parts: list[str] = []

    # After `max_iterations` rounds of tool calls, one last call must answer without tools.
    for iteration in range(1, max_iterations + 2):
        use_tools = iteration <= max_iterations
        reply = LLMReply()
        if stream:
            async for piece in llm.stream(messages, tools, use_tools=use_tools):
                if isinstance(piece, LLMReply):
                    reply = piece
                elif text := citations.feed(piece):
                    parts.append(text)
                    yield TextDelta(text)
        else:
            reply = await llm.complete(messages, tools, use_tools=use_tools)
            if text := citations.feed(reply.content):
                parts.append(text)
                yield TextDelta(text)
        if not use_tools or not reply.tool_calls:
            break
        messages.append(reply.as_message())
        for call in reply.tool_calls:
            run = await _run_call(ctx, call, iteration)
            citations.add(ctx.retrieved)
            runs.append(run)
            yield ToolRunEvent(run)
            messages.append({"role": "tool", "tool_call_id": call.id, "content": run.content()})

    if tail := citations.finish():
        parts.append(tail)
        yield TextDelta(tail)
    text = "".join(parts).strip()
    if not text:
        text = NO_ANSWER
        yield TextDelta(text)
    yield TurnDone(
        TurnResult(
            text=text,
            mode=llm.label,
            citations=citations.citations,
            dropped_citations=citations.dropped,
            tool_runs=runs,
        )
    )


async def _run_call(ctx: ToolContext, call: LLMToolCall, iteration: int) -> ToolRun:
    try:
        arguments = json.loads(call.arguments or "{}")
    except ValueError:
        arguments = None
    if not isinstance(arguments, dict):
        return ToolRun(
            call_id=call.id,
            name=call.name,
            arguments={"raw": call.arguments},
            iteration=iteration,
            error="Arguments must be a JSON object.",
        )
    return await execute(ctx, call.name, arguments, call_id=call.id, iteration=iteration)
