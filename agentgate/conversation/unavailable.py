"""A workflow that cannot run here says so on the first turn, before any question.

A workflow whose steps need the internal LLM, on a server without one, would otherwise
gather every input and then fail. Its turns get one reply instead; no conversation is
started, so nothing is stored and no marker is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, AsyncIterator

from agentgate.events import Event, Say, TurnFinished
from agentgate.workflow.describe import needs_internal_llm

if TYPE_CHECKING:
    from agentgate.conversation.dialogue import Deps
    from agentgate.workflow.loader import Workflow


def unavailable(workflow: "Workflow", deps: "Deps") -> AsyncIterator[Event] | None:
    """The events of a turn saying the workflow cannot run here, or None when it can."""
    if deps.llm is not None or not needs_internal_llm(workflow, deps.catalog):
        return None
    return _say(deps.phrases.render("needs_llm",
                                    workflow=deps.phrases.workflow_context(workflow)))


async def _say(text: str) -> AsyncIterator[Event]:
    yield Say(text)
    yield TurnFinished()
