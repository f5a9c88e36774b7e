"""Every rule of a conversation, as one pure function.

`decide(state, reading, workflow)` takes the state a reply left, what the reader found in
the user's new message, and the workflow, and returns the next state, what to say (as
reply values, worded later by `extraction.followup`) and whether to run the workflow now.
Nothing is mutated, nothing is awaited, nothing is stored: `dialogue.handle_turn` does that.

    gathering ──all values──> (confirming ──yes──>) finished | failed
        ▲  │                                            │
        │  └─ refusal / pending question ─> gathering   ├─ a change ─> rerun (or confirm)
        └──────────── start over / cancel ──────────────┘
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentgate.conversation.state import Pending, State
from agentgate.extraction.reading import Reading
from agentgate.workflow.values import InvalidValue, coerce


# -- what to say, as values ------------------------------------------------------------

@dataclass(frozen=True)
class Intro:
    """The workflow's title and description, on the first reply."""


@dataclass(frozen=True)
class Accepted:
    """New values taken from the message: (input, value, note)."""
    items: tuple[tuple[str, Any, str | None], ...]


@dataclass(frozen=True)
class Changed:
    """Values that replaced earlier ones: (input, old, new, note)."""
    items: tuple[tuple[str, Any, Any, str | None], ...]


@dataclass(frozen=True)
class Invalid:
    input: str
    reason: str


@dataclass(frozen=True)
class FixedRefused:
    names: tuple[str, ...]


@dataclass(frozen=True)
class Ask:
    """The question for an input (with its hint)."""
    input: str
    first: bool = False


@dataclass(frozen=True)
class AskChoice:
    """Which of two readings was meant: `pending.options` are values of `pending.input`,
    or input names when `pending.input` is empty."""
    pending: Pending


@dataclass(frozen=True)
class Help:
    """What an input accepts (range, options, default, example), after a question back."""
    input: str | None


@dataclass(frozen=True)
class TalkBack:
    """A short answer to talk that carries no value: a greeting, thanks, "one moment"."""
    kind: str


@dataclass(frozen=True)
class Confirm:
    """Every value, and the question whether to run (workflows with `confirm`)."""


@dataclass(frozen=True)
class AfterRun:
    """What can be done after an answer (or a failure)."""
    failed: bool


@dataclass(frozen=True)
class Cancelled:
    pass


@dataclass(frozen=True)
class WhatToChange:
    """The user declined to run: ask what to change."""


@dataclass(frozen=True)
class LLMQuestion:
    """A follow-up question written by the internal LLM."""
    text: str


@dataclass(frozen=True)
class Unavailable:
    reason: str


Reply = (Intro | Accepted | Changed | Invalid | FixedRefused | Ask | AskChoice | Help
         | TalkBack | Confirm | AfterRun | Cancelled | WhatToChange | LLMQuestion
         | Unavailable)


@dataclass(frozen=True)
class Decision:
    state: State
    replies: tuple[Reply, ...]
    run: bool = False


# -- the rules -------------------------------------------------------------------------

def missing_inputs(workflow, values: dict[str, Any]) -> list[str]:
    return [name for name, spec in workflow.inputs.items()
            if spec.required and name not in values]


def decide(state: State, reading: Reading, workflow) -> Decision:
    decision = _decide(state, reading, workflow)
    recent = tuple(p.input for p in reading.proposals if p.input in decision.state.values)
    if recent != decision.state.recent and (recent or reading.carries_values
                                             or reading.command):
        return Decision(decision.state.but(recent=recent), decision.replies, decision.run)
    return decision


def _decide(state: State, reading: Reading, workflow) -> Decision:
    if reading.unavailable:
        return Decision(state, (Unavailable(reading.unavailable),))
    if reading.command == "cancel":
        fresh = State(started=True, asked=workflow.profile.first_required())
        return Decision(fresh, (Cancelled(),))
    replies: list[Reply] = []
    if reading.command == "reset":
        state = State(started=state.started)
        replies.append(Intro())
    elif not state.started:
        replies.append(Intro())
    state = state.but(started=True)
    if reading.refused_fixed:
        replies.append(FixedRefused(tuple(reading.refused_fixed)))

    if state.status == "confirming":
        if reading.command == "confirm":
            return Decision(state.but(status="finished", asked=None, pending=None), (), True)
        if reading.command == "decline":
            return Decision(state, (*replies, WhatToChange()))
    if state.status in ("finished", "failed"):
        return _after_run(state, reading, workflow, replies)
    return _gathering(state, reading, workflow, replies)


def _apply(state: State, reading: Reading, workflow_inputs) -> tuple[dict[str, Any], list,
                                                                      list]:
    values = dict(state.values)
    accepted, changed = [], []
    order = {name: index for index, name in enumerate(workflow_inputs)}
    for proposal in reading.proposals:
        old = values.get(proposal.input)
        if old == proposal.value:
            continue
        values[proposal.input] = proposal.value
        if old is None:
            accepted.append((proposal.input, proposal.value, proposal.note))
        else:
            changed.append((proposal.input, old, proposal.value, proposal.note))
    accepted.sort(key=lambda item: order.get(item[0], 0))  # echoed in the workflow's order
    changed.sort(key=lambda item: order.get(item[0], 0))
    return values, accepted, changed


def _echo(accepted: list, changed: list) -> list[Reply]:
    replies: list[Reply] = []
    if accepted:
        replies.append(Accepted(tuple(accepted)))
    if changed:
        replies.append(Changed(tuple(changed)))
    return replies


def _pending(state: State, reading: Reading) -> Pending | None:
    if reading.choices:
        choice = reading.choices[0]
        return Pending(choice.input, tuple(choice.options), choice.text)
    if reading.unplaced:
        if len(reading.unplaced) > 1:
            inputs = tuple(dict.fromkeys(n for u in reading.unplaced for n in u.inputs))
            return Pending("", inputs, " and ".join(u.text for u in reading.unplaced),
                           several=True)
        unplaced = reading.unplaced[0]
        return Pending("", tuple(unplaced.inputs), unplaced.text)
    if state.pending is not None and not reading.carries_values:
        return state.pending  # not answered yet: ask again
    return None


def _gathering(state: State, reading: Reading, workflow, replies: list[Reply]) -> Decision:
    values, accepted, changed = _apply(state, reading, workflow.inputs)
    replies += _echo(accepted, changed)
    refused = [r for r in reading.refusals if r.input not in {a[0] for a in accepted}
               and r.input not in {c[0] for c in changed}]
    for refusal in refused:
        replies.append(Invalid(refusal.input, refusal.reason))
    pending = _pending(state, reading)
    missing = missing_inputs(workflow, values)
    first = state.asked is None and not state.values
    if pending is not None:
        asked = pending.input or state.asked
        next_state = state.but(values=values, asked=asked, pending=pending)
        return Decision(next_state, (*replies, AskChoice(pending)))
    if refused:
        asked = refused[0].input
        return Decision(state.but(values=values, asked=asked, pending=None),
                        (*replies, Ask(asked)))
    if missing:
        asked = missing[0]
        next_state = state.but(values=values, asked=asked, pending=None)
        if reading.talk == "help" and not reading.carries_values:
            topic = reading.topic or state.asked or asked
            return Decision(next_state, (*replies, Help(topic), Ask(asked)))
        if reading.talk in ("greeting", "thanks", "wait") and not reading.carries_values \
                and not any(isinstance(r, Intro) for r in replies):
            return Decision(next_state, (*replies, TalkBack(reading.talk), Ask(asked)))
        if reading.reply and not refused:
            return Decision(next_state, (*replies, LLMQuestion(reading.reply)))
        return Decision(next_state, (*replies, Ask(asked, first=first)))
    if workflow.confirm:
        return Decision(state.but(values=values, asked=None, pending=None,
                                  status="confirming"), (*replies, Confirm()))
    return Decision(state.but(values=values, asked=None, pending=None, status="finished"),
                    tuple(r for r in replies if not isinstance(r, Intro)), True)


def _after_run(state: State, reading: Reading, workflow, replies: list[Reply]) -> Decision:
    failed = state.status == "failed"
    if reading.refusals:
        # A rerun changes everything it was asked to, or nothing.
        replies += [Invalid(r.input, r.reason) for r in reading.refusals]
        return Decision(state, (*replies, AfterRun(failed)))
    pending = _pending(state, reading)
    if pending is not None:
        return Decision(state.but(pending=pending), (*replies, AskChoice(pending)))
    values, accepted, changed = _apply(state, reading, workflow.inputs)
    # A workflow without inputs has nothing to change: any message asks for a new run.
    if accepted or changed or reading.command == "rerun" or not workflow.inputs:
        replies += _echo(accepted, changed)
        next_state = state.but(values=values, pending=None, asked=None)
        if workflow.confirm:
            return Decision(next_state.but(status="confirming"), (*replies, Confirm()))
        return Decision(next_state.but(status="finished"), tuple(replies), True)
    if reading.talk == "help":
        return Decision(state.but(pending=None), (*replies, Help(reading.topic),
                                                  AfterRun(failed)))
    return Decision(state.but(pending=None), (*replies, AfterRun(failed)))


def fit(state: State, workflow) -> State:
    """Keep only what still fits the workflow, which may have been edited since."""
    values = {}
    for name, value in state.values.items():
        spec = workflow.inputs.get(name)
        if spec is None:
            continue
        try:
            values[name] = coerce(spec, value)
        except InvalidValue:
            continue
    asked = state.asked if state.asked in workflow.inputs else None
    pending = state.pending
    if pending is not None and pending.input and pending.input not in workflow.inputs:
        pending = None
    if asked is None and state.status == "gathering" and pending is None:
        missing = missing_inputs(workflow, values)
        asked = missing[0] if missing else None
    return state.but(values=values, asked=asked, pending=pending)
