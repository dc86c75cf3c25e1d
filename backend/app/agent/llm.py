"""Chat completions through the OpenAI SDK, for OpenAI and OpenAI-compatible servers.

The SDK retries timeouts, 429 and 5xx with exponential backoff (`max_retries`); when it
gives up, the failure becomes `LLMUnavailable` (503, `llm_unavailable`).
"""

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from openai import APIConnectionError, APIStatusError, AsyncOpenAI, OpenAIError

from app.agent.exceptions import LLMUnavailable
from app.core.config import Settings

logger = logging.getLogger("vaultra.agent.llm")


@dataclass(frozen=True)
class LLMToolCall:
    id: str
    name: str
    arguments: str


@dataclass
class LLMReply:
    content: str = ""
    tool_calls: list[LLMToolCall] = field(default_factory=list)

    def as_message(self) -> dict[str, Any]:
        """The assistant message to send back with the tool results."""
        return {
            "role": "assistant",
            "content": self.content or None,
            "tool_calls": [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                for call in self.tool_calls
            ],
        }


def create_client(settings: Settings) -> AsyncOpenAI:
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
    return AsyncOpenAI(
        # Local OpenAI-compatible servers (Ollama, vLLM) accept any key.
        api_key=key or "unused",
        base_url=settings.openai_base_url or None,
        timeout=settings.llm_timeout_seconds,
        max_retries=settings.llm_max_retries,
    )


class ChatModel:
    def __init__(self, client: AsyncOpenAI, model: str) -> None:
        self.client = client
        self.model = model

    @property
    def label(self) -> str:
        return f"llm:{self.model}"

    async def complete(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], *, use_tools: bool = True
    ) -> LLMReply:
        with _unavailable_on_error():
            completion = await self.client.chat.completions.create(
                model=self.model,
                messages=cast(Any, messages),
                tools=cast(Any, tools),
                tool_choice="auto" if use_tools else "none",
            )
        message = completion.choices[0].message
        calls = [
            LLMToolCall(id=call.id, name=call.function.name, arguments=call.function.arguments)
            for call in message.tool_calls or []
            if call.type == "function"
        ]
        return LLMReply(content=message.content or "", tool_calls=calls)

    async def stream(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], *, use_tools: bool = True
    ) -> AsyncIterator[str | LLMReply]:
        """Text deltas as they arrive, then the whole reply (with any tool calls)."""
        reply = LLMReply()
        partial: dict[int, dict[str, str]] = {}
        with _unavailable_on_error():
            stream = await self.client.chat.completions.create(
                model=self.model,
                messages=cast(Any, messages),
                tools=cast(Any, tools),
                tool_choice="auto" if use_tools else "none",
                stream=True,
            )
            async with stream:
                async for chunk in stream:
                    if not chunk.choices:
                        continue
                    delta = chunk.choices[0].delta
                    if delta.content:
                        reply.content += delta.content
                        yield delta.content
                    for call in delta.tool_calls or []:
                        slot = partial.setdefault(
                            call.index, {"id": "", "name": "", "arguments": ""}
                        )
                        if call.id:
                            slot["id"] = call.id
                        if call.function and call.function.name:
                            slot["name"] += call.function.name
                        if call.function and call.function.arguments:
                            slot["arguments"] += call.function.arguments
        reply.tool_calls = [LLMToolCall(**partial[index]) for index in sorted(partial)]
        yield reply


@contextmanager
def _unavailable_on_error() -> Iterator[None]:
    try:
        yield
    except (APIConnectionError, APIStatusError) as exc:
        status = getattr(exc, "status_code", None)
        logger.warning("LLM request failed after retries", extra={"status": status})
        raise LLMUnavailable() from exc
    except OpenAIError as exc:
        logger.exception("LLM request failed")
        raise LLMUnavailable() from exc
