"""Every transition of a conversation, as a table: state + reading → next state, replies, run.

No HTTP, no store, no reader: `decide` is a pure function.
"""

from __future__ import annotations

import dataclasses

import pytest

from agentgate.conversation import machine as m
from agentgate.conversation.state import Pending, State
from agentgate.extraction.reading import Choice, Proposal, Reading, Refusal, Unplaced
from agentgate.workflow.loader import load_file
from conftest import WORKFLOWS

LOAN = load_file(WORKFLOWS / "loan-calculator.json")
CONFIRMED = dataclasses.replace(LOAN, confirm=True)
ALL = {"principal": 300000, "annual_rate": 6.5, "years": 30}


def said(*proposals, **fields) -> Reading:
    return Reading(proposals=tuple(Proposal(n, v, "named") for n, v in proposals), **fields)


def kinds(decision: m.Decision) -> list[str]:
    return [type(reply).__name__ for reply in decision.replies]


FRESH = State()
ASKED_PRINCIPAL = State(started=True, asked="principal")
ASKED_RATE = State(values={"principal": 300000}, asked="annual_rate", started=True)
ASKED_YEARS = State(values={"principal": 300000, "annual_rate": 6.5}, asked="years",
                    started=True)
FINISHED = State(values=dict(ALL), status="finished", started=True)
FAILED = State(values=dict(ALL), status="failed", started=True)
CONFIRMING = State(values=dict(ALL), status="confirming", started=True)
CHOOSING = State(values={}, asked="principal", started=True,
                 pending=Pending("principal", (120, 120000), "120.000"))

CASES = [
    # (name, workflow, state, reading, replies, run, expected state fields)
    ("a greeting starts the conversation", LOAN, FRESH, Reading(talk="greeting"),
     ["Intro", "Ask"], False, {"asked": "principal", "started": True}),
    ("a first message with a value is echoed", LOAN, FRESH, said(("principal", 300000)),
     ["Intro", "Accepted", "Ask"], False, {"asked": "annual_rate"}),
    ("an answer is echoed and the next input asked", LOAN, ASKED_PRINCIPAL,
     said(("principal", 300000)), ["Accepted", "Ask"], False, {"asked": "annual_rate"}),
    ("the last value runs the workflow", LOAN, ASKED_YEARS, said(("years", 30)),
     ["Accepted"], True, {"status": "finished", "asked": None}),
    ("everything at once runs without an introduction", LOAN, FRESH,
     said(*ALL.items()), ["Accepted"], True, {"status": "finished"}),
    ("a refused value is re-asked with its reason", LOAN, ASKED_RATE,
     Reading(refusals=(Refusal("annual_rate", "it must be at most 100"),)),
     ["Invalid", "Ask"], False, {"asked": "annual_rate"}),
    ("two readings: the user is asked which", LOAN, ASKED_PRINCIPAL,
     Reading(choices=(Choice("principal", (120, 120000), "120.000"),)), ["AskChoice"],
     False, {"pending": Pending("principal", (120, 120000), "120.000")}),
    ("a pending question is asked again after talk", LOAN, CHOOSING,
     Reading(talk="thanks"), ["AskChoice"], False, {"pending": CHOOSING.pending}),
    ("answering a pending question clears it", LOAN, CHOOSING,
     Reading(proposals=(Proposal("principal", 120000, "choice"),)), ["Accepted", "Ask"],
     False, {"pending": None, "asked": "annual_rate"}),
    ("a value with no clear input is asked about", LOAN, ASKED_RATE,
     Reading(unplaced=(Unplaced("20", ("annual_rate", "years")),)), ["AskChoice"], False,
     {"pending": Pending("", ("annual_rate", "years"), "20")}),
    ("a correction while gathering says what changed", LOAN, ASKED_YEARS,
     said(("annual_rate", 4)), ["Changed", "Ask"], False, {"asked": "years"}),
    ("a question back gets help, then the question", LOAN, ASKED_RATE,
     Reading(talk="help", topic="annual_rate"), ["Help", "Ask"], False, {}),
    ("thanks while gathering is answered, then the question", LOAN, ASKED_RATE,
     Reading(talk="thanks"), ["TalkBack", "Ask"], False, {}),
    ("a fixed input cannot be set", LOAN, ASKED_RATE, Reading(refused_fixed=("currency",)),
     ["FixedRefused", "Ask"], False, {"values": {"principal": 300000}}),
    ("start over clears everything", LOAN, ASKED_YEARS, Reading(command="reset"),
     ["Intro", "Ask"], False, {"values": {}, "asked": "principal"}),
    ("start over with new values keeps those", LOAN, FINISHED,
     Reading(command="reset", proposals=(Proposal("principal", 1000, "unit"),)),
     ["Intro", "Accepted", "Ask"], False, {"values": {"principal": 1000},
                                          "status": "gathering"}),
    ("cancel clears everything and runs nothing", LOAN, ASKED_YEARS,
     Reading(command="cancel"), ["Cancelled"], False, {"values": {}}),
    ("after the answer, a change runs again", LOAN, FINISHED, said(("years", 15)),
     ["Changed"], True, {"values": {**ALL, "years": 15}}),
    ("after the answer, a bad change changes nothing", LOAN, FINISHED,
     Reading(proposals=(Proposal("years", 15, "named"),),
             refusals=(Refusal("annual_rate", "it must be at most 100"),)),
     ["Invalid", "AfterRun"], False, {"values": ALL}),
    ("after the answer, 'again' reruns", LOAN, FINISHED, Reading(command="rerun"), [],
     True, {"status": "finished"}),
    ("after the answer, talk gets the hint", LOAN, FINISHED, Reading(talk="thanks"),
     ["AfterRun"], False, {"status": "finished"}),
    ("after a failure, the hint says so", LOAN, FAILED, Reading(talk="unclear"),
     ["AfterRun"], False, {"status": "failed"}),
    ("a confirmed workflow asks before running", CONFIRMED, ASKED_YEARS,
     said(("years", 30)), ["Accepted", "Confirm"], False, {"status": "confirming"}),
    ("yes runs it", CONFIRMED, CONFIRMING, Reading(command="confirm"), [], True,
     {"status": "finished"}),
    ("no asks what to change", CONFIRMED, CONFIRMING, Reading(command="decline"),
     ["WhatToChange"], False, {"status": "confirming"}),
    ("a change while confirming is confirmed again", CONFIRMED, CONFIRMING,
     said(("years", 20)), ["Changed", "Confirm"], False, {"status": "confirming"}),
    ("a change after a confirmed run is confirmed first", CONFIRMED, FINISHED,
     said(("years", 20)), ["Changed", "Confirm"], False, {"status": "confirming"}),
    ("an unavailable LLM changes nothing", LOAN, ASKED_RATE,
     Reading(unavailable="the language model took too long to answer"), ["Unavailable"],
     False, {"values": {"principal": 300000}, "asked": "annual_rate"}),
]


@pytest.mark.parametrize("name, workflow, state, reading, replies, run, expected", CASES,
                         ids=[case[0] for case in CASES])
def test_transition(name, workflow, state, reading, replies, run, expected):
    decision = m.decide(state, reading, workflow)
    assert kinds(decision) == replies
    assert decision.run is run
    for field, value in expected.items():
        assert getattr(decision.state, field) == value, field


def test_decide_never_changes_its_inputs():
    state = State(values={"principal": 1}, asked="annual_rate", started=True)
    before = dataclasses.asdict(state)
    m.decide(state, said(("annual_rate", 5), ("principal", 2)), LOAN)
    assert dataclasses.asdict(state) == before


def test_changed_reply_carries_old_and_new_values():
    decision = m.decide(FINISHED, said(("years", 15)), LOAN)
    assert decision.replies[0] == m.Changed((("years", 30, 15, None),))


def test_fit_drops_values_an_edited_workflow_no_longer_takes():
    edited = dataclasses.replace(LOAN, inputs={k: v for k, v in LOAN.inputs.items()
                                               if k != "years"})
    state = m.fit(State(values={**ALL}, asked="years", started=True), edited)
    assert state.values == {"principal": 300000, "annual_rate": 6.5} and state.asked is None
