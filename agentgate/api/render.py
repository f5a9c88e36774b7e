"""Events as reply text: the thinking block, progress lines, answer and conversation marker.

`TextRenderer` remembers whether a thinking block is open, so the wire layer can always
close it, also when a turn ends in an error.
"""

from __future__ import annotations

from agentgate.conversation import ids
from agentgate.events import (AnswerDelta, ConversationRef, Event, NodeFailed, NodeFinished,
                              NodeStarted, Say, ThinkingEnded, ThinkingStarted)

THINKING_OPEN = "<thinking>\n"
THINKING_CLOSE = "</thinking>\n\n"


class TextRenderer:
    def __init__(self, id_style: str = "fence"):
        self.id_style = id_style
        self.thinking = False

    def render(self, event: Event) -> str:
        match event:
            case Say(text=text) | AnswerDelta(text=text):
                return text
            case ThinkingStarted():
                self.thinking = True
                return THINKING_OPEN
            case NodeStarted(title=title):
                return f"▸ {title}…\n"
            case NodeFinished(title=title, seconds=seconds, summary=summary):
                extra = f" — {summary}" if summary else ""
                return f"✓ {title} ({seconds:.2f} s){extra}\n"
            case NodeFailed(title=title, error=error):
                return f"✗ {title} failed: {error}\n"
            case ThinkingEnded():
                self.thinking = False
                return THINKING_CLOSE
            case ConversationRef(marker=marker):
                return ids.embed(marker, self.id_style)
        return ""

    def close(self) -> str:
        """Text that closes a thinking block left open, or nothing."""
        if not self.thinking:
            return ""
        self.thinking = False
        return "\n" + THINKING_CLOSE
