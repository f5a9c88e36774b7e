"""Wording users and authors read: questions built from descriptions are English, a
question carries one hint, counts agree with their number, and a refused value is worded
the same whether the offline reader or the internal LLM read it."""

from __future__ import annotations

import pytest

from agentgate.cli import main
from agentgate.extraction.questions import question_for
from agentgate.testing import FakeLLM, Values
from agentgate.workflow.model import QueryInput
from conftest import FIXTURES, Chat


@pytest.mark.parametrize("kind, description, question", [
    ("integer", "Decimal places", "How many decimal places?"),
    ("number", "Total budget in US dollars", "What is the total budget in US dollars?"),
    ("integer", "Number of days of forecast", "How many days of forecast?"),
    ("integer", "Guests staying", "How many guests staying?"),
    ("array", "Cities to visit", "What are the cities to visit?"),
    ("string", "Address", "What is the address?"),
    ("string", "Oven type; a fan oven runs 20 °C cooler", "What is the oven type?"),
    ("string", "Size (S, M or L)", "What is the size?"),
    ("string", "URL of the page", "What is the URL of the page?"),
    ("boolean", "Whether to add breakfast for every guest",
     "Should I add breakfast for every guest?"),
    ("boolean", "Whether you want breakfast", "Please say whether you want breakfast."),
    ("string", "How comfortable the trip should be",
     "Please say how comfortable the trip should be."),
    ("string", "A city", "Please give a city."),
    ("string", "Which colour do you like?", "Which colour do you like?"),
])
def test_questions_built_from_descriptions_read_as_english(kind, description, question):
    assert question_for("x", QueryInput(type=kind, description=description)) == question


def test_a_written_question_is_used_as_it_is():
    spec = QueryInput(description="Decimal places", question="How precise?")
    assert question_for("x", spec) == "How precise?"


async def test_a_question_after_an_explanation_has_no_second_hint(client):
    chat = Chat(client, "loan-calculator")
    await chat.say("hi")
    reply = await chat.say("what?")
    assert reply.lower().count("a number from 1 to 1,000,000,000") == 1
    assert "How much do you want to borrow?" in reply
    assert "250,000.\n\nOptional:" in reply


def test_validate_counts_agree_with_their_number(capsys):
    assert main(["validate", str(FIXTURES / "good" / "no-inputs.json"),
                 str(FIXTURES / "good" / "leaky-failure.json")]) == 0
    out = capsys.readouterr().out
    assert "(leaky-failure: 1 input, 2 nodes)" in out
    assert "(no-inputs: 0 inputs, 1 node)" in out


async def test_a_refusal_reads_the_same_offline_and_with_the_llm(make_client, settings):
    empty = {"destination": None, "budget": -5, "travel_dates": None, "style": None}
    async with FakeLLM([Values({"values": empty, "reply": None, "action": "none"})]) as fake:
        good = settings.replace(workflows=str(FIXTURES / "good"))
        offline = await make_client(good)
        client = await make_client(good.replace(llm_base_url=fake.url))
        typed = await Chat(offline, "trip-planner").say("budget: -5")
        read = await Chat(client, "trip-planner").say("about what a student spends")
    sentence = "I couldn't use that for **budget**: it must be at least 1."
    assert sentence in typed and sentence in read
