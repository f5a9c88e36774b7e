"""What a reader found in the user's message, as one immutable value.

Both readers (offline and LLM) return a `Reading`; `conversation.machine.decide` turns it
into the conversation's next state and reply. Nothing here changes any state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from agentgate.events import Usage

Command = Literal["reset", "cancel", "rerun", "confirm", "decline"]
Talk = Literal["greeting", "thanks", "wait", "help", "unclear"]
# How an input was chosen for a value, strongest first.
Evidence = Literal["named", "alias", "unit", "kind", "asked", "order", "llm", "choice"]


@dataclass(frozen=True)
class Proposal:
    """A value for an input, valid for it, and why the reader thinks it is meant for it."""

    input: str
    value: Any                 # stored form
    evidence: Evidence
    text: str = ""             # the words it was read from
    note: str | None = None    # shown with the echo: "from 36 months", "read “wensday”"
    relative: bool = False     # a relative date ("next tuesday"): depends on the day read


@dataclass(frozen=True)
class Refusal:
    """A value meant for an input that the input cannot take; `reason` is for the user."""

    input: str
    reason: str


@dataclass(frozen=True)
class Choice:
    """Two or more plausible readings: the reader asks which one was meant."""

    input: str
    options: tuple[Any, ...]   # stored forms, in the order they are offered
    text: str                  # what the user wrote


@dataclass(frozen=True)
class Unplaced:
    """A value whose input is unclear ("what about 20?"): the reader asks which input."""

    text: str
    inputs: tuple[str, ...]


@dataclass(frozen=True)
class Reading:
    proposals: tuple[Proposal, ...] = ()
    refusals: tuple[Refusal, ...] = ()
    choices: tuple[Choice, ...] = ()
    unplaced: tuple[Unplaced, ...] = ()
    refused_fixed: tuple[str, ...] = ()
    command: Command | None = None
    talk: Talk | None = None
    topic: str | None = None          # the input a question back is about
    reply: str | None = None          # a follow-up question written by the internal LLM
    unavailable: str | None = None    # why the internal LLM could not read this message
    sure: bool = True                 # the offline reader understood everything it saw
    usage: Usage = field(default_factory=Usage)

    @property
    def carries_values(self) -> bool:
        return bool(self.proposals or self.refusals or self.choices or self.unplaced
                    or self.refused_fixed)
