"""One turn of a conversation, independent of the wire format.

`handle_turn` finds the conversation's state from the marker in the resent history (or
rebuilds it from the history when the marker or the store is gone), applies the new user
message, asks for what is still missing or runs the workflow, stores the new state, and
yields events the whole way.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import AsyncIterator

from agentgate.conversation import ids
from agentgate.conversation.state import Record, State, owner_of
from agentgate.conversation.store import ConversationStore
from agentgate.events import ConversationRef, Event, Say, TurnFinished, Usage
from agentgate.extraction.base import Absorbed, Gatherer, next_question
from agentgate.extraction.followup import Phrases
from agentgate.extraction.llm import LLMGatherer
from agentgate.extraction.offline import OfflineGatherer
from agentgate.llm import InternalLLM
from agentgate.workflow.loader import Catalog, Workflow
from agentgate.workflow.runner import RunFailed, run_workflow
from agentgate.workflow.runtime import Runtime
from agentgate.workflow.values import InvalidValue, coerce, shown


MAX_TEXT = 20_000  # characters of a user message that are read; answers are short


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
    llm: InternalLLM | None = None
    catalog: Catalog | None = None
    node_timeout: float = 60.0
    run_timeout: float = 300.0

    def runtime(self) -> Runtime:
        return Runtime(llm=self.llm, catalog=self.catalog, node_timeout=self.node_timeout,
                       run_timeout=self.run_timeout)

    def gatherer(self, workflow: Workflow) -> Gatherer:
        if self.llm is None:
            return OfflineGatherer(workflow)
        return LLMGatherer(workflow, self.llm, self.phrases)


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
    users = [(i, ids.strip(m.text[:MAX_TEXT])) for i, m in enumerate(messages)
             if m.role == "user"]
    return _History(marker=marker, earlier=[t for i, t in users if i < cut],
                    new=[t for i, t in users if i > cut])


async def handle_turn(turn: Turn, *, workflow: Workflow, deps: Deps) -> AsyncIterator[Event]:
    history = split_history(turn.messages)
    owner = owner_of(turn.api_key)
    conversation_id = history.marker.conversation if history.marker else None
    lock = deps.store.lock(conversation_id) if conversation_id else contextlib.nullcontext()
    async with lock:
        record, state, foreign = await _resume(history, owner, workflow, deps.store)
        gatherer = deps.gatherer(workflow)
        earlier = [] if foreign else history.earlier
        rebuilt = state is None and bool(earlier)
        if state is None:
            record = Record(id=ids.mint(), workflow=workflow.name, owner=owner)
            state = State()
            await gatherer.rebuild(state, earlier)
        else:
            _fit(state, workflow)
        greet = not earlier and state.asked is None and not state.values
        text, run, absorbed = await _decide(gatherer, workflow, state, history.new,
                                            deps.phrases, greet)
        runtime = deps.runtime()
        if run:
            if text:
                yield Say(text + "\n\n")
            async for event in _run(workflow, state, deps.phrases, runtime):
                yield event
        if rebuilt and absorbed.unavailable:
            # Nothing could be rebuilt: store nothing and leave no marker, so the next
            # turn rebuilds from the whole history again instead of from an empty state.
            yield Say(text)
            yield TurnFinished(absorbed.usage)
            return
        turn_number = record.add(state)
        await deps.store.save(record)
        if not run:
            yield Say(text)
    yield ConversationRef(str(ids.Marker(record.id, turn_number)))
    spent = runtime.usage
    yield TurnFinished(Usage(absorbed.usage.prompt_tokens + spent.prompt_tokens,
                             absorbed.usage.completion_tokens + spent.completion_tokens))


async def _resume(history: _History, owner: str | None, workflow: Workflow,
                  store: ConversationStore) -> tuple[Record | None, State | None, bool]:
    """(record, state) to continue from, or Nones; and whether the history belongs to
    another workflow (the client switched models), whose answers must not be replayed."""
    if history.marker is None:
        return None, None, False
    record = await store.load(history.marker.conversation)
    if record is None or record.owner != owner:
        return None, None, False
    if record.workflow != workflow.name:
        return None, None, True
    return record, record.snapshot(history.marker.turn), False


def _fit(state: State, workflow: Workflow) -> None:
    """Keep only what still fits the workflow, which may have been edited since."""
    for name, value in list(state.values.items()):
        spec = workflow.inputs.get(name)
        try:
            if spec is None:
                raise InvalidValue("no longer an input")
            state.values[name] = coerce(spec, value)
        except InvalidValue:
            del state.values[name]
    if state.asked not in workflow.inputs:
        state.asked = None
        if state.status == "gathering":
            next_question(workflow, state, Absorbed())


async def _decide(gatherer: Gatherer, workflow: Workflow, state: State, texts: list[str],
                  phrases: Phrases, greet: bool) -> tuple[str, bool, Absorbed]:
    """Apply the user's text to `state`; return what to say, whether to run now, and what
    the gatherer reported."""
    before = state.copy()
    absorbed = await gatherer.absorb(state, texts)
    was_gathering = before.status == "gathering"
    if absorbed.unavailable:
        state.values, state.asked, state.status = before.values, before.asked, before.status
        return phrases.render("llm_unavailable", reason=absorbed.unavailable), False, absorbed
    if not was_gathering and absorbed.problems:
        state.values = before.values  # a rerun changes all it was asked to, or nothing
        absorbed.accepted.clear()
    parts = _acknowledge(phrases, workflow, state, absorbed)
    if absorbed.command == "reset":
        greet = True
    if was_gathering or absorbed.command == "reset":
        state.status = "gathering"
        next_question(workflow, state, absorbed)
        run = state.asked is None
    else:
        run = not absorbed.problems and (absorbed.command == "rerun" or bool(absorbed.accepted))
    if not run:
        parts.append(_prompt(phrases, workflow, state, greet, absorbed))
    return "\n\n".join(part for part in parts if part), run, absorbed


async def _run(workflow: Workflow, state: State, phrases: Phrases,
               runtime: Runtime) -> AsyncIterator[Event]:
    state.asked, state.status = None, "finished"
    try:
        async for event in run_workflow(workflow, state.values, runtime):
            yield event
    except RunFailed as failure:
        state.status = "failed"
        yield Say(phrases.render("failed", step=failure.title, reason=failure.message))


def _acknowledge(phrases: Phrases, workflow: Workflow, state: State,
                 absorbed: Absorbed) -> list[str]:
    parts = []
    if absorbed.refused_fixed:
        parts.append(phrases.render("fixed_refused", names=absorbed.refused_fixed))
    if len(absorbed.accepted) > 1 and not absorbed.reply:
        parts.append(phrases.render("accepted", values=[
            (name, shown(state.values[name])) for name in absorbed.accepted]))
    for name, reason in absorbed.problems.items():
        parts.append(phrases.render("invalid", reason=reason,
                                    input=phrases.describe_input(name, workflow.inputs[name])))
    return parts


def _prompt(phrases: Phrases, workflow: Workflow, state: State, greet: bool,
            absorbed: Absorbed) -> str:
    context = phrases.workflow_context(workflow)
    if state.status != "gathering":
        values = [(name, shown(workflow.value_of(name, state.values)))
                  for name in workflow.inputs]
        return phrases.render("finished", workflow=context, values=values,
                              failed=state.status == "failed")
    if absorbed.reply and not absorbed.problems:
        question = absorbed.reply
    else:
        question = phrases.render("ask", first=greet, workflow=context,
                                  input=phrases.describe_input(state.asked,
                                                               workflow.inputs[state.asked]))
    if greet:
        return phrases.render("intro", workflow=context) + "\n\n" + question
    return question
