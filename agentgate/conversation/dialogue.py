"""One turn of a conversation, independent of the wire format.

`handle_turn` finds the conversation's state from the marker in the resent history (or
rebuilds it by replaying the history when the marker or the store is gone), applies the new
user message, asks for what is still missing or runs the workflow, stores the new state, and
yields events the whole way.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import AsyncIterator

from agentgate.conversation import ids
from agentgate.conversation.state import Record, State, owner_of
from agentgate.conversation.store import ConversationStore
from agentgate.events import ConversationRef, Event, Say, TurnFinished
from agentgate.extraction.followup import Phrases
from agentgate.extraction.offline import Absorbed, OfflineGatherer, missing_inputs
from agentgate.workflow.loader import Workflow
from agentgate.workflow.runner import RunFailed, run_workflow
from agentgate.workflow.values import shown


@dataclass(frozen=True)
class ChatMessage:
    role: str
    text: str


@dataclass(frozen=True)
class Turn:
    messages: tuple[ChatMessage, ...]
    api_key: str | None = None


@dataclass(frozen=True)
class Deps:
    store: ConversationStore
    phrases: Phrases
    id_style: str = "fence"


@dataclass(frozen=True)
class _History:
    marker: ids.Marker | None
    earlier: list[str]  # user texts already answered, oldest first
    new: list[str]      # user texts to answer now


def split_history(messages: tuple[ChatMessage, ...]) -> _History:
    """Locate the newest marker in an assistant message and the user messages after it."""
    anchor, marker = None, None
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].role == "assistant":
            if anchor is None:
                anchor = index
            found = ids.find(messages[index].text)
            if found is not None:
                anchor, marker = index, found
                break
    cut = -1 if anchor is None else anchor
    users = [(i, ids.strip(m.text)) for i, m in enumerate(messages) if m.role == "user"]
    return _History(marker=marker, earlier=[t for i, t in users if i < cut],
                    new=[t for i, t in users if i > cut])


async def handle_turn(turn: Turn, *, workflow: Workflow, deps: Deps) -> AsyncIterator[Event]:
    history = split_history(turn.messages)
    owner = owner_of(turn.api_key)
    conversation_id = history.marker.conversation if history.marker else None
    lock = deps.store.lock(conversation_id) if conversation_id else contextlib.nullcontext()
    async with lock:
        record, state = await _resume(history, owner, workflow, deps.store)
        gatherer = OfflineGatherer(workflow)
        if state is None:
            record = Record(id=ids.mint(), workflow=workflow.name, owner=owner)
            state = _replay(gatherer, workflow, history.earlier)
        greet = not history.earlier and state.asked is None and not state.values
        text, run = _decide(gatherer, workflow, state, "\n".join(history.new),
                            deps.phrases, greet)
        if run:
            if text:
                yield Say(text + "\n\n")
            async for event in _run(workflow, state, deps.phrases):
                yield event
        turn_number = record.add(state)
        await deps.store.save(record)
        if not run:
            yield Say(text)
    yield ConversationRef(str(ids.Marker(record.id, turn_number)))
    yield TurnFinished()


async def _resume(history: _History, owner: str | None, workflow: Workflow,
                  store: ConversationStore) -> tuple[Record | None, State | None]:
    if history.marker is None:
        return None, None
    record = await store.load(history.marker.conversation)
    if record is None or record.owner != owner or record.workflow != workflow.name:
        return None, None
    return record, record.snapshot(history.marker.turn)


def _replay(gatherer: OfflineGatherer, workflow: Workflow, earlier: list[str]) -> State:
    """Rebuild the state from user messages already answered, without running anything."""
    state = State()
    for text in earlier:
        absorbed = gatherer.absorb(state, text)
        if state.status == "gathering":
            _next_question(workflow, state, absorbed)
            if state.asked is None:
                state.status = "finished"
        elif absorbed.accepted or absorbed.command == "rerun":
            state.status = "finished"
    return state


def _next_question(workflow: Workflow, state: State, absorbed: Absorbed) -> None:
    missing = missing_inputs(workflow, state)
    state.asked = next(iter(absorbed.problems), None) or (missing[0] if missing else None)


def _decide(gatherer: OfflineGatherer, workflow: Workflow, state: State, text: str,
            phrases: Phrases, greet: bool) -> tuple[str, bool]:
    """Apply the user's text to `state`; return what to say, and whether to run now."""
    was_gathering = state.status == "gathering"
    before = dict(state.values)
    absorbed = gatherer.absorb(state, text)
    if not was_gathering and absorbed.problems:
        state.values = before  # a rerun changes all it was asked to, or nothing
        absorbed.accepted.clear()
    parts = _acknowledge(phrases, workflow, state, absorbed)
    if absorbed.command == "reset":
        greet = True
    if was_gathering or absorbed.command == "reset":
        _next_question(workflow, state, absorbed)
        run = state.asked is None
    else:
        run = absorbed.command == "rerun" or bool(absorbed.accepted and not absorbed.problems)
    if not run:
        parts.append(_prompt(phrases, workflow, state, greet))
    return "\n\n".join(part for part in parts if part), run


async def _run(workflow: Workflow, state: State, phrases: Phrases) -> AsyncIterator[Event]:
    state.asked, state.status = None, "finished"
    try:
        async for event in run_workflow(workflow, state.values):
            yield event
    except RunFailed as failure:
        state.status = "failed"
        yield Say(phrases.render("failed", step=failure.title, reason=failure.message))


def _acknowledge(phrases: Phrases, workflow: Workflow, state: State,
                 absorbed: Absorbed) -> list[str]:
    parts = []
    if absorbed.refused_fixed:
        parts.append(phrases.render("fixed_refused", names=absorbed.refused_fixed))
    if len(absorbed.accepted) > 1:
        parts.append(phrases.render("accepted", values=[
            (name, shown(state.values[name])) for name in absorbed.accepted]))
    for name, reason in absorbed.problems.items():
        parts.append(phrases.render("invalid", reason=reason,
                                    input=phrases.describe_input(name, workflow.inputs[name])))
    return parts


def _prompt(phrases: Phrases, workflow: Workflow, state: State, greet: bool) -> str:
    context = phrases.workflow_context(workflow)
    if state.status != "gathering":
        values = [(name, shown(workflow.value_of(name, state.values)))
                  for name in workflow.inputs]
        return phrases.render("finished", workflow=context, values=values,
                              failed=state.status == "failed")
    question = phrases.render("ask", first=greet, workflow=context,
                              input=phrases.describe_input(state.asked,
                                                           workflow.inputs[state.asked]))
    if greet:
        return phrases.render("intro", workflow=context) + "\n\n" + question
    return question
