"""What a chat turn produces, as it happens."""

from dataclasses import dataclass

from app.agent.citations import Citation
from app.agent.tools import ToolRun


@dataclass
class TurnResult:
    text: str
    mode: str
    citations: list[Citation]
    dropped_citations: list[str]
    tool_runs: list[ToolRun]


@dataclass
class ToolRunEvent:
    run: ToolRun


@dataclass
class TextDelta:
    text: str


@dataclass
class TurnDone:
    result: TurnResult


TurnEvent = ToolRunEvent | TextDelta | TurnDone
