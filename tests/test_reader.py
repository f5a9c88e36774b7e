"""The offline reader, message by message: each value goes to the input the evidence points
at, and a doubt becomes a question, never a guess."""

from __future__ import annotations

import datetime as dt

import pytest

from agentgate.conversation.state import Pending, State
from agentgate.extraction.offline import OfflineReader
from agentgate.workflow.loader import load_file
from conftest import WORKFLOWS

TODAY = dt.date(2026, 12, 4)  # a Friday
FLOWS = {name: load_file(WORKFLOWS / f"{name}.json") for name in (
    "loan-calculator", "days-between", "recurring-dates", "hotel-booking", "roast-timer")}


def read(workflow: str, text: str, state: State | None = None, order: str = "ask"):
    reader = OfflineReader(FLOWS[workflow].profile, order)
    return reader.read(state or State(), text, TODAY)


def values(reading) -> dict:
    return {p.input: p.value for p in reading.proposals}


def asked(name: str, **known) -> State:
    return State(values=known, asked=name, started=True)


FINISHED_LOAN = State(values={"principal": 300000, "annual_rate": 6.5, "years": 30},
                      status="finished", started=True)

TAKEN = [
    # A unit says which input a number is for, whatever was asked.
    ("loan-calculator", asked("principal"), "it's a 15 year loan", {"years": 15}),
    ("loan-calculator", asked("years"), "no, 4%", {"annual_rate": 4}),
    ("loan-calculator", asked("years"), "36 months", {"years": 3}),
    ("loan-calculator", asked("principal"), "300 grand", {"principal": 300000}),
    ("loan-calculator", asked("principal"), "2.5 mill", {"principal": 2500000}),
    ("loan-calculator", asked("principal"), "half a million", {"principal": 500000}),
    ("loan-calculator", asked("principal"), "$250,000", {"principal": 250000}),
    ("loan-calculator", asked("annual_rate"), "seven and a quarter percent",
     {"annual_rate": 7.25}),
    ("loan-calculator", asked("annual_rate"), "6,5", {"annual_rate": 6.5}),
    ("loan-calculator", asked("years"), "forty", {"years": 40}),
    ("loan-calculator", State(), "I want to borrow 300k at 6.5% over 30 years",
     {"principal": 300000, "annual_rate": 6.5, "years": 30}),
    ("loan-calculator", State(), "250000 at 5 percent for 20 years please",
     {"principal": 250000, "annual_rate": 5, "years": 20}),
    # Corrections and changes in words.
    ("loan-calculator", asked("years", principal=1, annual_rate=5), "change the rate to 4",
     {"annual_rate": 4}),
    ("loan-calculator", asked("annual_rate", principal=1, years=30),
     "actually make that 25 years", {"years": 25}),
    ("loan-calculator", FINISHED_LOAN, "how about 10 years instead?", {"years": 10}),
    ("loan-calculator", FINISHED_LOAN, "what if the rate was 5%?", {"annual_rate": 5}),
    ("loan-calculator", FINISHED_LOAN, "5.1 not 6.5", {"annual_rate": 5.1}),
    ("loan-calculator", FINISHED_LOAN, "show me the yearly breakdown too",
     {"schedule": True}),
    # Dates in everyday forms, relative to Friday 4 December 2026.
    ("days-between", asked("start"), "next tuesday", {"start": "2026-12-08"}),
    ("days-between", asked("start"), "June 9th", {"start": "2027-06-09"}),
    ("days-between", asked("start"), "11/20/2027", {"start": "2027-11-20"}),
    ("days-between", asked("start"), "the 1st of May 2027", {"start": "2027-05-01"}),
    ("days-between", asked("start"), "we fly out on 2027-04-12", {"start": "2027-04-12"}),
    ("days-between", asked("start"), "Febuary 3 2027", {"start": "2027-02-03"}),
    ("days-between", asked("start"), "in 3 weeks", {"start": "2026-12-25"}),
    ("days-between", State(), "from june 1 to june 9 2027",
     {"start": "2027-06-01", "end": "2027-06-09"}),
    ("days-between", State(), "how many days since 1 jan 2026?",
     {"start": "2026-01-01", "end": "2026-12-04"}),
    ("days-between", State(), "US format: 12/25/2026 to 01/06/2027",
     {"start": "2026-12-25", "end": "2027-01-06"}),
    # Options: ordinals, plurals, abbreviations and misspellings.
    ("recurring-dates", State(), "the 2nd Mondays of 2027",
     {"occurrence": "second", "weekday": "Monday", "year": 2027}),
    ("recurring-dates", State(), "last wensday next year",
     {"occurrence": "last", "weekday": "Wednesday", "year": 2027}),
    ("recurring-dates", asked("occurrence"), "4th", {"occurrence": "fourth"}),
    ("recurring-dates", asked("weekday", occurrence="first"), "thurs",
     {"weekday": "Thursday"}),
    ("recurring-dates", State(values={"occurrence": "first", "weekday": "Monday",
                                      "year": 2027}, status="finished", started=True),
     "and for 2028?", {"year": 2028}),
    ("hotel-booking", State(), "a double room for the two of us from next monday, a week",
     {"room": "double", "guests": 2, "arrival": "2026-12-07", "nights": 7}),
    ("hotel-booking", asked("room"), "dubble", {"room": "double"}),
    ("hotel-booking", asked("nights"), "no breakfast thanks, 3 nights",
     {"nights": 3, "breakfast": False}),
    ("roast-timer", State(), "a 2 kilo chiken, fan oven",
     {"meat": "chicken", "weight": 2, "oven": "fan"}),
    ("roast-timer", asked("weight", meat="beef"), "1500 grams", {"weight": 1.5}),
]


@pytest.mark.parametrize("workflow, state, text, expected", TAKEN,
                         ids=[case[2] for case in TAKEN])
def test_values_go_where_the_evidence_points(workflow, state, text, expected):
    reading = read(workflow, text, state)
    assert values(reading) == expected, reading
    assert not reading.refusals and not reading.choices and not reading.unplaced


NOT_ANSWERS = [
    ("recurring-dates", State(), "hi, first time using this"),
    ("recurring-dates", State(), "hello, last question for today"),
    ("loan-calculator", asked("annual_rate"), "give me 2 minutes to check"),
    ("loan-calculator", asked("annual_rate"), "what's the highest allowed?"),
    ("loan-calculator", asked("principal"), "what does principal mean?"),
    ("hotel-booking", asked("arrival"), "is breakfast included?"),
    ("hotel-booking", asked("arrival"), "how much is a double room?"),
    ("loan-calculator", asked("principal"), "thanks!"),
    ("loan-calculator", asked("principal"), "Hi! Looking at a $425,000 home"),
]


@pytest.mark.parametrize("workflow, state, text", NOT_ANSWERS,
                         ids=[case[2] for case in NOT_ANSWERS])
def test_talk_and_questions_carry_no_value(workflow, state, text):
    reading = read(workflow, text, state)
    assert not reading.proposals and not reading.refusals, reading


ASKED_BACK = [
    # Two readings: ask, never pick one silently.
    ("loan-calculator", asked("principal"), "120.000", (120, 120000)),
    ("loan-calculator", asked("principal"), "7,25", (7.25, 725)),
    ("loan-calculator", asked("principal"), "350", (350, 350000)),
    ("days-between", asked("start"), "5/6/2027", ("2027-06-05", "2027-05-06")),
    ("days-between", asked("start"), "next saturday", ("2026-12-05", "2026-12-12")),
]


@pytest.mark.parametrize("workflow, state, text, options", ASKED_BACK,
                         ids=[case[2] for case in ASKED_BACK])
def test_two_plausible_readings_are_asked_about(workflow, state, text, options):
    reading = read(workflow, text, state)
    assert not reading.proposals
    assert reading.choices[0].options == options


def test_a_number_that_fits_several_inputs_is_asked_about():
    reading = read("loan-calculator", "what about 20?", FINISHED_LOAN)
    assert not reading.proposals
    # 20 dollars is no loan: the rate or the years?
    assert set(reading.unplaced[0].inputs) == {"annual_rate", "years"}


def test_a_unit_that_does_not_convert_exactly_is_refused_with_the_reason():
    reading = read("loan-calculator", "30 months", asked("years"))
    assert not reading.proposals
    assert "is 2.5 years, but it must be a whole number" in reading.refusals[0].reason


def test_the_date_order_setting_reads_without_asking():
    assert values(read("days-between", "5/6/2027", asked("start"), order="dmy")) == \
        {"start": "2027-06-05"}
    assert values(read("days-between", "5/6/2027", asked("start"), order="mdy")) == \
        {"start": "2027-05-06"}


@pytest.mark.parametrize("answer, value", [("the first", 120), ("120 thousand", 120000),
                                           ("the bigger one", 120000), ("120", 120)])
def test_a_pending_question_is_answered_in_a_few_words(answer, value):
    state = State(asked="principal", started=True,
                  pending=Pending("principal", (120, 120000), "120.000"))
    assert values(read("loan-calculator", answer, state)) == {"principal": value}


def test_an_unrelated_answer_does_not_resolve_a_pending_question():
    state = State(asked="principal", started=True,
                  pending=Pending("principal", (400, 400000), "400.000"))
    reading = read("loan-calculator", "5.75", state)
    assert "principal" not in values(reading)


@pytest.mark.parametrize("text, command", [
    ("scrap that, from the top", "reset"), ("start over", "reset"),
    ("never mind", "cancel"), ("cancel", "cancel"), ("forget it", "cancel")])
def test_start_over_and_cancel_in_words(text, command):
    assert read("loan-calculator", text, asked("years", principal=1)).command == command


def test_start_over_with_new_values_reads_them():
    reading = read("loan-calculator", "scrap that, 200k at 5% for 10 years", FINISHED_LOAN)
    assert reading.command == "reset"
    assert values(reading) == {"principal": 200000, "annual_rate": 5, "years": 10}


def test_fuzzy_and_converted_values_carry_a_note_for_the_echo():
    assert read("recurring-dates", "wensday", asked("weekday")).proposals[0].note
    assert read("loan-calculator", "36 months", asked("years")).proposals[0].note == \
        "from 36 months"


def test_sure_only_when_everything_was_understood():
    assert read("loan-calculator", "6.5%", asked("annual_rate")).sure
    assert not read("loan-calculator", "6.5% for our new flat in Leeds",
                    asked("annual_rate")).sure


def test_a_bare_number_after_a_change_goes_to_the_input_just_changed():
    state = State(values={"principal": 90000, "annual_rate": 5, "years": 15},
                  status="finished", started=True, recent=("annual_rate",))
    assert values(read("loan-calculator", "and 4?", state)) == {"annual_rate": 4}
    state = State(values=state.values, status="finished", started=True)
    assert not read("loan-calculator", "and 4?", state).proposals


@pytest.mark.parametrize("text, reason", [
    ("80 years", "“80 years” is 80 years, but it must be at most 50"),
    ("over 0.5 years", "“0.5 years” is 0.5 years, but it must be a whole number"),
    ("120%", "“120%” is 120%, but it must be at most 100"),
])
def test_a_value_only_one_input_takes_but_out_of_its_range_is_refused(text, reason):
    reading = read("loan-calculator", text, asked("principal"))
    assert reading.sure and not reading.proposals
    assert [(r.input, r.reason) for r in reading.refusals] == [
        ("years" if "year" in text else "annual_rate", reason)]


@pytest.mark.parametrize("text, quoted", [
    ("the base rate is 4% plus a 1.5% margin", "“4% plus a 1.5% margin” is worked out"),
    ("4% + 1.5%", "“4% + 1.5%” is worked out"),
    ("2% above base", "“2% above base” is worked out"),
    ("prime plus 2%", "“prime plus 2%” is worked out"),
    ("fixed at 3% for 5 years then variable", "“3%” changes over time"),
    ("it is 5% now but rises to 7% next year", "“5%” changes over time"),
])
def test_a_figure_made_of_others_or_changing_is_refused_not_guessed(text, quoted):
    reading = read("loan-calculator", text, asked("annual_rate", principal=300000))
    assert not reading.proposals  # neither 4%, nor 3%, nor a loan term of 5 years
    assert [r.input for r in reading.refusals] == ["annual_rate"]
    assert reading.refusals[0].reason.startswith(quoted)


@pytest.mark.parametrize("text, taken", [
    ("6.5% over 30 years", {"annual_rate": 6.5, "years": 30}),
    ("they offered 7 but I negotiated 6.5", {"annual_rate": 6.5}),
    ("6.5% for 30 years", {"annual_rate": 6.5, "years": 30}),
])
def test_plain_figures_beside_those_words_are_still_read(text, taken):
    reading = read("loan-calculator", text, asked("annual_rate", principal=300000))
    assert values(reading) == taken and not reading.refusals


@pytest.mark.parametrize("text", ["2 adults and 3 kids", "we are 2 adults and 2 children"])
def test_people_counted_in_groups_are_not_taken_as_one_group(text):
    reading = read("hotel-booking", text, asked("guests"))
    assert "guests" not in values(reading)
    assert [r.input for r in reading.refusals] == ["guests"]


def test_two_years_for_one_input_are_asked_about_not_guessed():
    reading = read("recurring-dates", "I was born in 1990, show me the last fridays of 2027")
    assert "year" not in values(reading)
    assert [(c.input, c.options) for c in reading.choices] == [("year", (1990, 2027))]
    assert values(read("recurring-dates", "the second tuesday in 2028 please"))["year"] == 2028
