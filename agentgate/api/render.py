"""Events as reply text: the thinking block, progress lines, answer and conversation marker.

Progress can be presented three ways (the `reasoning` setting): inside `<thinking>` tags in
the content (works in every client), as `reasoning_content` beside the content, or not at
all. `TextRenderer` remembers whether a thinking block is open, so the wire layer can
always close it, also when a turn ends in an error.
"""

from __future__ import annotations

from dataclasses import dataclass

from agentgate.conversation import ids
from agentgate.events import (AnswerDelta, ConversationRef, Event, NodeFailed, NodeFinished,
                              NodeSkipped, NodeStarted, Say, ThinkingEnded, ThinkingStarted)

THINKING_OPEN = "<thinking>\n"
THINKING_CLOSE = "</thinking>\n\n"


@dataclass(frozen=True)
class Piece:
    content: str = ""
    reasoning: str = ""

    def __bool__(self) -> bool:
        return bool(self.content or self.reasoning)


def progress_line(event: Event) -> str:
    match event:
        case NodeStarted(title=title):
            return f"▸ {title}…\n"
        case NodeFinished(title=title, seconds=seconds, summary=summary):
            extra = f" — {summary}" if summary else ""
            return f"✓ {title} ({seconds:.2f} s){extra}\n"
        case NodeFailed(title=title, error=error):
            return f"✗ {title} failed: {error}\n"
        case NodeSkipped(title=title):
            return f"– {title} (skipped)\n"
    return ""


class TextRenderer:
    def __init__(self, id_style: str = "reference", reasoning: str = "tags"):
        self.id_style = id_style
        self.reasoning = reasoning
        self.thinking = False

    def render(self, event: Event) -> Piece:
        match event:
            case Say(text=text) | AnswerDelta(text=text):
                return Piece(content=text)
            case ConversationRef(marker=marker):
                return Piece(content=ids.embed(marker, self.id_style))
            case ThinkingStarted():
                self.thinking = True
                return self._thinking(THINKING_OPEN)
            case ThinkingEnded():
                self.thinking = False
                return self._thinking(THINKING_CLOSE)
            case NodeStarted() | NodeFinished() | NodeFailed() | NodeSkipped():
                return self._thinking(progress_line(event))
        return Piece()

    def _thinking(self, text: str) -> Piece:
        if self.reasoning == "tags":
            return Piece(content=text)
        if self.reasoning == "reasoning_content" and text not in (THINKING_OPEN, THINKING_CLOSE):
            return Piece(reasoning=text)
        return Piece()

    def close(self) -> Piece:
        """What closes a thinking block left open (nothing when none is)."""
        if not self.thinking:
            return Piece()
        self.thinking = False
        return self._thinking("\n" + THINKING_CLOSE) if self.reasoning == "tags" else Piece()
