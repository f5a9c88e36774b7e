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
    r"(?:```[ \t]*" + LABEL + r"\s+(?P<fenced>ag_[A-Za-z0-9]{22}(?:\.\d{1,9})?)\s*```"
    r"|\[" + LABEL + r"\]:[ \t]*#[ \t]*(?:\"|&quot;)(?P<ref>ag_[A-Za-z0-9]{22}(?:\.\d{1,9})?)"
    r"(?:\"|&quot;))")
_THINKING = re.compile(r"<(thinking|think)>.*?(?:</\1>|\Z)"
                       r"|<details\b[^>]*type=[\"']?reasoning[^>]*>.*?(?:</details>|\Z)",
                       re.S | re.I)


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
    return "ag_" + "".join(secrets.choice(_ALPHABET) for _ in range(_ID_LENGTH))


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
    """`text` without our markers and thinking blocks (also `<details type="reasoning">`)."""
    text = _THINKING.sub("", text)
    text = _MARKER.sub("", text)
    return text.strip()
