"""Conversation markers: minted, written into replies, found again in resent history.

A marker is `ag_<22 base62 chars>` naming the conversation, then `.<n>` naming the state
snapshot written by that reply, so a regenerated or edited turn resumes from the right
state. Two written forms, both always recognised:

    ```agentgate-conversation            [agentgate-conversation]: # "ag_….3"
    ag_….3
    ```

Finding is tolerant of what clients do to resent text: re-indented or re-wrapped
whitespace, `\\r\\n`, HTML-escaped quotes.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass

LABEL = "agentgate-conversation"
_ALPHABET = string.ascii_letters + string.digits
_ID_LENGTH = 22  # 62**22 > 2**130

_MARKER = re.compile(
    r"(?:```[ \t]*" + LABEL + r"\s+(?P<fenced>ag_[A-Za-z0-9]{22}(?:\.[0-9]{1,9})?)\s*```"
    r"|\[" + LABEL + r"\]:[ \t]*#[ \t]*(?:\"|&quot;)(?P<ref>ag_[A-Za-z0-9]{22}(?:\.[0-9]{1,9})?)"
    r"(?:\"|&quot;))")
_BLOCKS = (("<thinking>", "</thinking>"), ("<think>", "</think>"))


@dataclass(frozen=True)
class Marker:
    conversation: str
    turn: int | None = None

    def __str__(self) -> str:
        return self.conversation if self.turn is None else f"{self.conversation}.{self.turn}"

    @classmethod
    def parse(cls, text: str) -> "Marker":
        conversation, _, turn = text.partition(".")
        return cls(conversation, int(turn) if turn else None)


def mint() -> str:
    """A new unguessable conversation ID (about 131 bits from the OS CSPRNG)."""
    number = secrets.randbelow(len(_ALPHABET) ** _ID_LENGTH)
    digits = []
    for _ in range(_ID_LENGTH):
        number, digit = divmod(number, len(_ALPHABET))
        digits.append(_ALPHABET[digit])
    return "ag_" + "".join(digits)


def embed(marker: Marker | str, style: str = "fence") -> str:
    """The text appended to a reply; sent as one piece so no client sees half a marker."""
    if style == "reference":
        return f'\n\n[{LABEL}]: # "{marker}"\n'
    return f"\n\n```{LABEL}\n{marker}\n```\n"


def find(text: str) -> Marker | None:
    """The last marker in `text`, in either form."""
    found = None
    for match in _MARKER.finditer(text):
        found = match.group("fenced") or match.group("ref")
    return Marker.parse(found) if found else None


def strip(text: str) -> str:
    """`text` without our markers and thinking blocks (also `<details type="reasoning">`).

    Written with plain string searches so its cost stays linear in the text's length.
    """
    text = _strip_thinking(text)
    for _ in range(8):  # a marker hidden inside another one shows up once the outer goes
        stripped = _MARKER.sub("", text)
        if stripped == text:
            break
        text = stripped
    return text.strip()


def _strip_thinking(text: str) -> str:
    lower = text.lower()
    kept: list[str] = []
    position = 0
    while True:
        start, close = _next_block(lower, position)
        if start < 0:
            kept.append(text[position:])
            return "".join(kept)
        kept.append(text[position:start])
        end = lower.find(close, start)
        if end < 0:
            return "".join(kept)  # an unclosed block runs to the end
        position = end + len(close)


def _next_block(lower: str, position: int) -> tuple[int, str]:
    """Where the next thinking block starts, and the tag that closes it."""
    best, close = -1, ""
    for opening, closing in _BLOCKS:
        found = lower.find(opening, position)
        if found >= 0 and (best < 0 or found < best):
            best, close = found, closing
    search = position
    while True:
        found = lower.find("<details", search)
        if found < 0 or (best >= 0 and found > best):
            return best, close
        tag_end = lower.find(">", found)
        if tag_end < 0:
            return best, close
        if "reasoning" in lower[found:tag_end]:
            return found, "</details>"
        search = tag_end
