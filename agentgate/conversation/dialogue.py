"""One turn of a conversation, independent of the wire format: load → read → decide → run →
save.

`handle_turn` finds the conversation's state from the marker in the resent history (or
rebuilds it from the history when the marker or the store is gone), reads the new user
message (offline, or with the internal LLM when the offline reader is not sure), lets
`machine.decide` choose the next state and reply, runs the workflow when it says so,
stores the new state, and yields events the whole way.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, AsyncIterator, Callable, Mapping

from agentgate.conversation import ids
from agentgate.conversation.machine import (Accepted, AfterRun, Changed, Decision,
                                            FixedRefused, Invalid, Unavailable, decide, fit)
from agentgate.conversation.state import Record, State, owner_of
from agentgate.conversation.store_base import Store
from agentgate.events import ConversationRef, Event, Say, ThinkingEnded, TurnFinished, Usage
from agentgate.extraction.followup import Phrases
from agentgate.extraction.offline import OfflineReader
from agentgate.extraction.reading import Reading
from agentgate.workflow.http_client import HttpClient
from agentgate.workflow.loader import Catalog, Workflow
from agentgate.workflow.runner import RunFailed, run_workflow
from agentgate.workflow.runtime import RunLimits, Runtime

if TYPE_CHECKING:
    from agentgate.llm import InternalLLM

log = logging.getLogger(__name__)
MAX_TEXT = 20_000  # characters of a user message that are read; answers are short
REBUILD_INLINE_CHARS = 4_000  # more history than this is rebuilt in a worker thread
_KEEP_FROM_EARLIER = (Accepted, Changed, Invalid, FixedRefused)


@dataclass(frozen=True)
class ChatMessage:
    role: str
    text: str


@dataclass(frozen=True)
class Turn:
    messages: tuple[ChatMessage, ...]
    api_key: str | None = None
    user: str | None = None  # the end user a trusted front end names (opt-in setting)
    # The request's values of the workflow's variables: for this turn's run only, never
    # stored.
    variables: Mapping[str, str] = field(default_factory=dict, repr=False)
    node_results: bool = False  # the run's node results go out with its events (redacted)


@dataclass(frozen=True)
class Deps:
    store: Store
    phrases: Phrases
    id_style: str = "reference"
    llm: "InternalLLM | None" = None
    catalog: Catalog | None = None
    limits: RunLimits = field(default_factory=RunLimits.defaults)
    date_order: str = "ask"
    today: Callable[[], dt.date] = field(default=dt.date.today)
    http: HttpClient | None = None

    def runtime(self) -> Runtime:
        return self.limits.runtime(self.llm, self.catalog, self.http)

    def reader(self, workflow: Workflow) -> OfflineReader:
        return OfflineReader(workflow.profile, self.date_order)


@dataclass(frozen=True)
class Answered:
    """A user message already answered, and the reply that followed it (for its echoes).

    Both are kept as sent and cleaned only when a rebuild reads them: with a marker and a
    stored state, earlier messages are never looked at again."""
    raw: str
    reply: str = ""

    @property
    def text(self) -> str:
        return ids.strip(self.raw[:MAX_TEXT])


@dataclass(frozen=True)
class History:
    marker: ids.Marker | None
    earlier: list[Answered]  # oldest first
    new: list[str]           # user texts to answer now


def split_history(messages: tuple[ChatMessage, ...]) -> History:
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
    earlier: list[Answered] = []
    new: list[str] = []
    for index, message in enumerate(messages):
        if message.role == "user":
            if index < cut:
                earlier.append(Answered(message.text))
            elif index > cut:
                new.append(ids.strip(message.text[:MAX_TEXT]))
        elif message.role == "assistant" and earlier and index <= cut and \
                not earlier[-1].reply:
            earlier[-1] = Answered(earlier[-1].raw, message.text[:MAX_TEXT])
    return History(marker=marker, earlier=earlier, new=new)


def read_safely(reader: OfflineReader, state: State, text: str, today: dt.date) -> Reading:
    """The reader's reading, or, should the reader fail on some message, a reading that
    takes nothing from it (logged): one odd message must never wedge a conversation."""
    try:
        return reader.read(state, text, today)
    except Exception:
        log.exception("the reader failed on a message; nothing was taken from it")
        return Reading(talk="unclear", sure=False)


def fold(reader: OfflineReader, state: State, texts: list[str], workflow: Workflow,
         today: dt.date) -> tuple[Decision, bool]:
    """Read and decide each message in turn (the next one answers the next question).

    Returns the combined decision (echoes of every message, then the last reply) and
    whether the offline reader was sure of every message."""
    replies: list = []
    ran, sure = False, True
    decision = Decision(state, ())
    for number, text in enumerate(texts):
        reading = read_safely(reader, decision.state, text, today)
        sure = sure and reading.sure
        decision = decide(decision.state, reading, workflow)
        ran = ran or decision.run
        if number < len(texts) - 1:
            replies += [r for r in decision.replies if isinstance(r, _KEEP_FROM_EARLIER)]
    replies += decision.replies
    run = ran and decision.state.status == "finished"
    if run:
        replies = [r for r in replies if not isinstance(r, AfterRun)]
    return Decision(decision.state, tuple(replies), run), sure


def rebuild(reader: OfflineReader, earlier: list[Answered], workflow: Workflow,
            today: dt.date) -> tuple[State, list[str]]:
    """The state the answered messages led to, and those the offline reader was unsure of.

    A relative date ("next tuesday") keeps the meaning it had when it was answered: the
    value echoed in the reply that followed it wins over today's reading."""
    state = State()
    unsure = []
    for answered in earlier:
        reading = read_safely(reader, state, answered.text, today)
        if not reading.sure:
            unsure.append(answered.text)
        reading = _as_echoed(reader, reading, answered.reply, today)
        state = decide(state, reading, workflow).state
    return state, unsure


def _as_echoed(reader: OfflineReader, reading: Reading, reply: str,
               today: dt.date) -> Reading:
    if not reply or not any(p.relative for p in reading.proposals):
        return reading
    proposals = []
    for proposal in reading.proposals:
        echoed = _echo_of(reply, proposal.input) if proposal.relative else None
        if echoed is not None:
            found = reader.read_value(proposal.input, echoed, today)
            if found is not None:
                proposal = found
        proposals.append(proposal)
    return replace(reading, proposals=tuple(proposals))


def _echo_of(reply: str, name: str) -> str | None:
    """The value a reply echoed for `name` ("**start** = Tuesday 8 December 2026")."""
    found = None
    for match in re.finditer(r"\*\*" + re.escape(name) + r"\*\* (?:= |[^→\n]{0,60}→ )"
                             r"([^,.\n(]+)", reply):
        found = match.group(1).strip()
    return found


async def handle_turn(turn: Turn, *, workflow: Workflow, deps: Deps) -> AsyncIterator[Event]:
    history = split_history(turn.messages)
    owner = owner_of(turn.api_key, turn.user)
    conversation_id = history.marker.conversation if history.marker else None
    lock = deps.store.lock(conversation_id) if conversation_id else contextlib.nullcontext()
    async with lock as lease:
        record, state, foreign = await _resume(history, owner, workflow, deps.store)
        reader = deps.reader(workflow)
        today = deps.today()
        earlier = [] if foreign else history.earlier
        rebuilt = state is None and bool(earlier)
        unsure: list[str] = []
        if state is None:
            record = record or Record(id=ids.mint(), workflow=workflow.name, owner=owner)
            if sum(len(a.raw) for a in earlier) > REBUILD_INLINE_CHARS:
                # A long history: read it off the event loop so other turns keep moving.
                state, unsure = await asyncio.to_thread(rebuild, reader, earlier, workflow,
                                                        today)
            else:
                state, unsure = rebuild(reader, earlier, workflow, today)
        decision, sure = fold(reader, state, history.new, workflow, today)
        usage = Usage()
        if deps.llm is not None and (not sure or unsure):
            from agentgate.extraction.llm import LLMReader
            reading = await LLMReader(workflow, deps.llm, deps.phrases).read(
                state, history.new, today, unsure)
            usage = reading.usage
            decision = decide(state, reading, workflow)
        state = decision.state
        keep = not (rebuilt and any(isinstance(r, Unavailable) for r in decision.replies))
        saving = None
        if keep and not decision.run:  # the state is final: it is written while the reply
            turn_number = record.add(state)  # is worded
            saving = deps.store.start_save(record, lease)
        try:
            text = deps.phrases.say(decision.replies, workflow, decision.state)
        finally:
            if saving is not None:
                await saving
        runtime = deps.runtime()
        runtime.share_results = turn.node_results
        if decision.run:
            state = state.but(status="finished", asked=None)
            async for event in _run(workflow, state, deps.phrases, runtime, turn.variables):
                if isinstance(event, RunFailed):
                    state = state.but(status="failed")
                    continue
                yield event
                if isinstance(event, ThinkingEnded) and text:
                    # What this message set opens the answer, after the progress block:
                    # clients show a reply's reasoning first.
                    yield Say(text + "\n\n")
            turn_number = record.add(state)
            await deps.store.save(record, lease)
        elif keep:
            yield Say(text)
        else:
            # Nothing could be rebuilt: store nothing and leave no marker, so the next
            # turn rebuilds from the whole history again instead of from an empty state.
            yield Say(text)
            yield TurnFinished(usage)
            return
    yield ConversationRef(str(ids.Marker(record.id, turn_number)))
    spent = runtime.usage
    yield TurnFinished(Usage(usage.prompt_tokens + spent.prompt_tokens,
                             usage.completion_tokens + spent.completion_tokens))


async def _resume(history: History, owner: str | None, workflow: Workflow,
                  store: Store) -> tuple[Record | None, State | None, bool]:
    """(record, state) to continue from, or Nones; and whether the history belongs to
    another workflow (the client switched models), whose answers must not be replayed."""
    if history.marker is None:
        return None, None, False
    record = await store.load(history.marker.conversation)
    if record is None or record.owner != owner:
        return None, None, False
    if record.workflow != workflow.name:
        return None, None, True
    try:
        state = record.snapshot(history.marker.turn)
        return record, (fit(state, workflow) if state is not None else None), False
    except Exception:  # a state this code cannot use: rebuild it from the history
        log.warning("conversation %s: stored state unusable; rebuilding from the history",
                    record.id)
        return None, None, False


async def _run(workflow: Workflow, state: State, phrases: Phrases, runtime: Runtime,
               variables: Mapping[str, str]) -> AsyncIterator[Event | RunFailed]:
    try:
        async for event in run_workflow(workflow, state.values, runtime, variables):
            yield event
    except RunFailed as failure:
        yield failure
        yield Say(phrases.render("failed", step=failure.title, reason=failure.message))
