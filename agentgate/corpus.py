"""Scoring the reader on a corpus of conversations (`agentgate eval`, `make eval`).

A corpus file (YAML or JSON) names a workflow and lists conversations as users type them,
each message with the values it means; see `tests/conversations/README.md`. Every
conversation is played through `handle_turn` exactly as a client would play it (the whole
history resent, markers included) with the clock fixed, and scored:

- **misread**: a value stored that the user never meant for that input (target: none);
- **finished**: the workflow ran with every required value;
- **correct**: the last run used exactly the values meant and its answer holds the expected
  text, with no misread and no turn beyond the script;
- **turns over minimum**: answers the evaluator had to add (`name: value`) when the script
  ended before the workflow ran;
- **LLM calls per turn**: internal LLM requests per gathering turn (a turn before the
  workflow has run).
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from agentgate.api.render import TextRenderer
from agentgate.conversation import ids
from agentgate.conversation.dialogue import ChatMessage, Deps, Turn, handle_turn
from agentgate.conversation.store import ConversationStore
from agentgate.errors import AgentgateError
from agentgate.events import ConversationRef
from agentgate.extraction.followup import Phrases
from agentgate.workflow.loader import Catalog, Workflow
from agentgate.workflow.values import InvalidValue, coerce

CORPUS_TODAY = dt.date(2026, 12, 4)
EXTRA_TURNS = 6


class CorpusError(AgentgateError, ValueError):
    """A corpus file that cannot be played; the message names the file and conversation."""


@dataclass(frozen=True)
class Step:
    say: str
    means: dict[str, Any]
    reset: bool = False
    reply_has: tuple[str, ...] = ()
    reply_lacks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Conversation:
    id: str
    workflow: str
    steps: tuple[Step, ...]
    answer: tuple[str, ...] = ()
    runs: bool = True
    note: str = ""


@dataclass
class Outcome:
    conversation: Conversation
    finished: bool = False
    correct: bool = False
    misreads: list[str] = field(default_factory=list)
    extra_turns: int = 0
    gathering_turns: int = 0
    llm_calls: int = 0
    problems: list[str] = field(default_factory=list)
    transcript: list[tuple[str, str]] = field(default_factory=list)


def load_corpus(paths: list[Path]) -> list[Conversation]:
    files: list[Path] = []
    for path in paths:
        files += sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml", ".json")) \
            if path.is_dir() else [path]
    conversations, seen = [], set()
    for file in files:
        for conversation in _read_file(file):
            if conversation.id in seen:
                raise CorpusError(f"{file}: conversation id {conversation.id!r} is used twice")
            seen.add(conversation.id)
            conversations.append(conversation)
    return conversations


def _read_file(file: Path) -> list[Conversation]:
    text = file.read_text(encoding="utf-8")
    if file.suffix == ".json":
        data = json.loads(text)
    else:
        import yaml
        data = yaml.safe_load(text)
    if not isinstance(data, dict) or "conversations" not in data:
        raise CorpusError(f"{file}: expected `workflow` and `conversations`")
    found = []
    for number, item in enumerate(data["conversations"]):
        where = f"{file}: conversations[{number}]"
        try:
            steps = tuple(Step(say=str(step["say"]), means=dict(step.get("means") or {}),
                               reset=bool(step.get("reset", False)),
                               reply_has=tuple(step.get("reply_has") or ()),
                               reply_lacks=tuple(step.get("reply_lacks") or ()))
                          for step in item["turns"])
            found.append(Conversation(id=str(item["id"]), workflow=item.get(
                "workflow", data.get("workflow")), steps=steps,
                answer=tuple(item.get("answer") or ()), runs=bool(item.get("runs", True)),
                note=str(item.get("note", ""))))
        except (KeyError, TypeError) as exc:
            raise CorpusError(f"{where}: {exc}") from None
    return found


class Player:
    """Plays conversations against one catalog, offline or with an internal LLM."""

    def __init__(self, catalog: Catalog, phrases: Phrases, *, llm=None,
                 count_calls: Callable[[], int] | None = None, date_order: str = "ask",
                 today: dt.date = CORPUS_TODAY):
        self.catalog, self.phrases, self.llm = catalog, phrases, llm
        self.count_calls = count_calls or (lambda: 0)
        self.folder = tempfile.TemporaryDirectory(prefix="agentgate-eval-")
        self.deps = Deps(store=ConversationStore(self.folder.name), phrases=phrases,
                         llm=llm, catalog=catalog, date_order=date_order, today=lambda: today)
        self.current: Step | None = None  # what the message being read means (for oracles)
        self.current_workflow: str | None = None

    def close(self) -> None:
        self.folder.cleanup()

    async def play(self, conversation: Conversation) -> Outcome:
        outcome = Outcome(conversation)
        self.current_workflow = conversation.workflow
        workflow = self.catalog.get(conversation.workflow)
        if workflow is None:
            outcome.problems.append(f"no workflow named {conversation.workflow!r}")
            return outcome
        history: list[ChatMessage] = []
        meant: dict[str, list[Any]] = {}
        current: dict[str, Any] = {}
        ran_with: dict[str, Any] | None = None
        answer = ""
        for step in conversation.steps:
            if step.reset:
                meant, current, ran_with = {}, {}, None
            for name, value in step.means.items():
                stored = _stored(workflow, name, value)
                meant.setdefault(name, []).append(stored)
                current[name] = stored
            reply, state = await self._turn(workflow, history, step, outcome)
            for text in step.reply_has:
                if text not in reply:
                    outcome.problems.append(f"reply to {step.say!r} lacks {text!r}")
            for text in step.reply_lacks:
                if text in reply:
                    outcome.problems.append(f"reply to {step.say!r} has {text!r}")
            self._check_misreads(outcome, state, meant, step)
            if "</thinking>" in reply:
                ran_with, answer = dict(state["values"]), reply
        if conversation.runs:
            for _ in range(EXTRA_TURNS):
                missing = [n for n, s in workflow.inputs.items() if s.required
                           and n not in (ran_with or {})]
                if ran_with is not None or not missing:
                    break
                state = self._last_state
                name = state["asked"] if state and state.get("asked") in current else next(
                    (n for n in missing if n in current), None)
                pending = (state or {}).get("pending")
                if pending and pending.get("input") in current:
                    name = pending["input"]
                if name is None:
                    break
                step = Step(f"{name}: {_as_text(workflow, name, current[name])}",
                            {name: current[name]})
                outcome.extra_turns += 1
                reply, state = await self._turn(workflow, history, step, outcome)
                self._check_misreads(outcome, state, meant, step)
                if "</thinking>" in reply:
                    ran_with, answer = dict(state["values"]), reply
        outcome.finished = ran_with is not None
        expected = {n: current.get(n, workflow.value_of(n, {})) for n in workflow.inputs}
        if conversation.runs:
            used = {n: (ran_with or {}).get(n, workflow.value_of(n, {}))
                    for n in workflow.inputs}
            values_right = outcome.finished and used == expected
            if outcome.finished and not values_right:
                outcome.problems.append(f"ran with {used}, meant {expected}")
            answer_right = all(text in answer for text in conversation.answer)
            if outcome.finished and not answer_right:
                outcome.problems.append(f"answer lacks {conversation.answer}")
            outcome.correct = values_right and answer_right
        else:
            outcome.correct = ran_with is None
            if ran_with is not None:
                outcome.problems.append("ran although the user cancelled")
        outcome.correct = (outcome.correct and not outcome.misreads and
                           outcome.extra_turns == 0 and not outcome.problems)
        return outcome

    async def _turn(self, workflow: Workflow, history: list[ChatMessage], step: Step,
                    outcome: Outcome) -> tuple[str, dict]:
        before = self._last_state if history else None
        gathering = before is None or before.get("status") in ("gathering", "confirming")
        outcome.gathering_turns += gathering
        history.append(ChatMessage("user", step.say))
        self.current = step
        calls = self.count_calls()
        renderer = TextRenderer(self.deps.id_style, "tags")
        pieces, marker = [], None
        events = handle_turn(Turn(tuple(history)), workflow=workflow, deps=self.deps)
        async for event in events:
            if isinstance(event, ConversationRef):
                marker = event.marker
            pieces.append(renderer.render(event).content)
        pieces.append(renderer.close().content)
        reply = "".join(pieces)
        if gathering:  # calls after the answer (a change read by the LLM) are not counted
            outcome.llm_calls += self.count_calls() - calls
        history.append(ChatMessage("assistant", reply))
        outcome.transcript.append((step.say, reply))
        state = await self._state(marker)
        self._last_state = state
        return reply, state

    _last_state: dict | None = None

    async def _state(self, marker: str | None) -> dict:
        if marker is None:
            return {"values": {}, "status": "gathering", "asked": None}
        parsed = ids.Marker.parse(marker)
        record = await self.deps.store.load(parsed.conversation)
        state = record.snapshot(parsed.turn) if record else None
        return state.to_dict() if state else {"values": {}, "status": "gathering"}

    def _check_misreads(self, outcome: Outcome, state: dict, meant: dict[str, list[Any]],
                        step: Step) -> None:
        for name, value in state["values"].items():
            if value not in meant.get(name, []) and not any(
                    _same(value, m) for m in meant.get(name, [])):
                outcome.misreads.append(f"{step.say!r}: {name} = {value!r} "
                                        f"(meant {meant.get(name, 'nothing')})")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(
            a, bool) and not isinstance(b, bool):
        return abs(a - b) < 1e-9
    return a == b


def _stored(workflow: Workflow, name: str, value: Any) -> Any:
    spec = workflow.inputs.get(name)
    if spec is None:
        raise CorpusError(f"{workflow.name} has no input {name!r}")
    try:
        return coerce(spec, value.isoformat() if isinstance(value, dt.date) else value)
    except InvalidValue as exc:
        raise CorpusError(f"{workflow.name}.{name}: {value!r}: {exc}") from None


def _as_text(workflow: Workflow, name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@dataclass
class Score:
    conversations: int = 0
    finished: int = 0
    correct: int = 0
    misreads: int = 0
    extra_turns: int = 0
    gathering_turns: int = 0
    llm_calls: int = 0

    def add(self, outcome: Outcome) -> None:
        self.conversations += 1
        self.finished += outcome.finished
        self.correct += outcome.correct
        self.misreads += len(outcome.misreads)
        self.extra_turns += outcome.extra_turns
        self.gathering_turns += outcome.gathering_turns
        self.llm_calls += outcome.llm_calls

    @property
    def calls_per_turn(self) -> float:
        return self.llm_calls / self.gathering_turns if self.gathering_turns else 0.0

    def row(self, label: str) -> str:
        share = 100 * self.correct / self.conversations if self.conversations else 0
        return (f"{label:<18} {self.conversations:>5} {self.finished:>8} {self.correct:>7} "
                f"({share:5.1f}%) {self.misreads:>8} {self.extra_turns:>9} "
                f"{self.calls_per_turn:>14.2f}")


HEADER = (f"{'workflow':<18} {'convs':>5} {'finished':>8} {'correct':>7} {'':>8} "
          f"{'misreads':>8} {'over min':>9} {'LLM calls/turn':>14}")


def report(outcomes: list[Outcome], verbose: bool = False) -> str:
    by_workflow: dict[str, Score] = {}
    total = Score()
    for outcome in outcomes:
        by_workflow.setdefault(outcome.conversation.workflow, Score()).add(outcome)
        total.add(outcome)
    lines = [HEADER]
    lines += [score.row(name) for name, score in sorted(by_workflow.items())]
    lines.append(total.row("all"))
    if verbose:
        for outcome in outcomes:
            if outcome.correct:
                continue
            lines.append("")
            lines.append(f"✗ {outcome.conversation.id}: " + "; ".join(
                outcome.misreads + outcome.problems +
                ([f"{outcome.extra_turns} turn(s) over the minimum"]
                 if outcome.extra_turns else [])))
            for said, reply in outcome.transcript:
                lines.append(f"    user: {said}")
                lines.append("    bot:  " + ids.strip(reply).replace("\n", " ")[:300])
    return "\n".join(lines)
