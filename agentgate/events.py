"""What a turn produces, independent of any wire format.

`dialogue.handle_turn` and the runner yield these; the Chat Completions renderer and the CLI
turn them into text. Node events carry titles, not node inputs or outputs, which may hold
fixed (secret) values; only a request that asks for node results gets them, redacted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Say:
    """Conversational text: a question, a confirmation, a notice."""
    text: str


@dataclass(frozen=True)
class ThinkingStarted:
    """The workflow starts running; progress lines follow until ThinkingEnded."""


@dataclass(frozen=True)
class NodeStarted:
    id: str
    title: str


@dataclass(frozen=True)
class NodeFinished:
    id: str
    title: str
    seconds: float
    summary: str | None = None
    result: Any = None  # only when the run shares results, secrets redacted


@dataclass(frozen=True)
class NodeSkipped:
    """A node a branch did not choose, or whose dependencies were all skipped."""
    id: str
    title: str


@dataclass(frozen=True)
class NodeFailed:
    id: str
    title: str
    error: str


@dataclass(frozen=True)
class ThinkingEnded:
    seconds: float


@dataclass(frozen=True)
class AnswerDelta:
    """A piece of the workflow's answer."""
    text: str


@dataclass(frozen=True)
class ConversationRef:
    """The marker that lets the next request find this conversation's state."""
    marker: str


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class TurnFinished:
    usage: Usage = field(default_factory=Usage)


Event = (Say | ThinkingStarted | NodeStarted | NodeFinished | NodeSkipped | NodeFailed
         | ThinkingEnded | AnswerDelta | ConversationRef | TurnFinished)
