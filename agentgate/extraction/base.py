"""What every gatherer reports about a user message, and the rules they share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, Protocol

from agentgate.conversation.state import State
from agentgate.events import Usage
from agentgate.workflow.loader import Workflow

Command = Literal["reset", "rerun"]
_RESET = re.compile(r"(cancel|reset|restart|start over|start again|begin again)", re.I)
_RERUN = re.compile(r"(again|try again|run again|retry|rerun|re-run|run it again)", re.I)
def _bare(text: str) -> str:
    """'Please start over!' -> 'start over' (string operations: linear time)."""
    words = text.lower().strip().rstrip(".! \t\n").split()
    if words and words[0] == "please":
        words = words[1:]
    if words and words[-1] == "please":
        words = words[:-1]
    return " ".join(words)


@dataclass
class Absorbed:
    """What one user message changed, and what the gatherer has to say about it."""

    accepted: list[str] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)
    refused_fixed: list[str] = field(default_factory=list)
    command: Command | None = None
    reply: str | None = None        # a follow-up question written by the internal LLM
    unavailable: str | None = None  # why the internal LLM could not help this turn
    usage: Usage = field(default_factory=Usage)


class Gatherer(Protocol):
    """Made for one turn of one workflow."""

    async def rebuild(self, state: State, earlier: list[str]) -> None:
        """Rebuild a lost state from the user's messages already answered, oldest first."""

    async def absorb(self, state: State, texts: list[str]) -> Absorbed:
        """Apply the new user messages (usually one), oldest first, to `state` in place."""


def missing_inputs(workflow: Workflow, state: State) -> list[str]:
    return [name for name, spec in workflow.inputs.items()
            if spec.required and name not in state.values]


def next_question(workflow: Workflow, state: State, absorbed: Absorbed) -> None:
    """Point `state.asked` at the input to ask for next (None when nothing is missing)."""
    missing = missing_inputs(workflow, state)
    state.asked = next(iter(absorbed.problems), None) or (missing[0] if missing else None)


def local_command(state: State, text: str) -> Command | None:
    """'start over' and, after a run, 'again', recognised without any LLM."""
    if len(text) > 200:
        return None
    bare = _bare(text)
    if _RESET.fullmatch(bare):
        return "reset"
    if _RERUN.fullmatch(bare) and state.status != "gathering":
        return "rerun"
    return None


def reset(state: State) -> None:
    state.values.clear()
    state.asked, state.status = None, "gathering"


def replay_status(workflow: Workflow, state: State, absorbed: Absorbed) -> None:
    """After replaying an answered message: a state that was complete has been run."""
    if state.status == "gathering":
        next_question(workflow, state, absorbed)
        if state.asked is None:
            state.status = "finished"
    elif absorbed.accepted or absorbed.command == "rerun":
        state.status = "finished"
