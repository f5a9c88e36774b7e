"""Gathering inputs over several turns, and finding the conversation again each time."""

from __future__ import annotations

import re

from agentgate.conversation import ids
from conftest import WORKFLOWS, Chat

LOAN_ANSWER = "$1,896.20"


def marker_of(reply: str) -> ids.Marker:
    marker = ids.find(reply)
    assert marker is not None, reply
    return marker


async def test_three_turns_gather_then_answer(client):
    chat = Chat(client, "loan-calculator")
    first = await chat.say("Hello")
    assert "Loan Calculator" in first and "borrow" in first
    assert "interest rate" in await chat.say("300k")
    assert "how many years" in (await chat.say("6.5%")).lower()
    answer = await chat.say("30 years")
    assert LOAN_ANSWER in answer
    assert answer.index("<thinking>") < answer.index("</thinking>") < answer.index(LOAN_ANSWER)
    assert answer.index(LOAN_ANSWER) < answer.index("[agentgate-conversation]: #")
    assert len({marker_of(m["content"]).conversation for m in chat.messages
                if m["role"] == "assistant"}) == 1


async def test_every_value_in_one_message_runs_at_once(client):
    chat = Chat(client, "loan-calculator")
    reply = await chat.say("principal: 300000, annual rate: 6.5, years = 30")
    assert LOAN_ANSWER in reply
    assert "Year | Interest paid" not in reply


async def test_optional_input_uses_default_and_can_be_set(client):
    chat = Chat(client, "loan-calculator")
    reply = await chat.say("principal: 300000\nannual_rate: 6.5\nyears: 30\nschedule: yes")
    assert "| 30 | $781.30 | $0.00 |" in reply


async def test_invalid_value_is_reasked_with_the_reason(client):
    chat = Chat(client, "loan-calculator")
    await chat.say("hi")
    reply = await chat.say("bananas")
    assert "couldn't use that for **principal**" in reply
    assert "is not a number" in reply and "How much do you want to borrow?" in reply
    reply = await chat.say("minus five")
    assert "**principal**: it must be at least 1" in reply
    reply = await chat.say("0")
    assert "at least 1" in reply
    assert "interest rate" in await chat.say("1000")
    reply = await chat.say("250")
    assert "at most 100" in reply and "interest rate" in reply


async def test_enum_and_integer_inputs(client):
    chat = Chat(client, "recurring-dates")
    await chat.say("hi")
    assert "is not one of" in await chat.say("twice")
    assert "day of the week" in await chat.say("the second one")
    assert "which year" in (await chat.say("wed")).lower()
    answer = await chat.say("2026")
    assert "- Wednesday 14 January 2026" in answer
    assert "- Wednesday 9 December 2026" in answer


async def test_date_and_boolean_inputs(client):
    chat = Chat(client, "days-between")
    await chat.say("hi")
    assert "Until which date" in await chat.say("2026-01-01")
    assert "not a date" in await chat.say("someday")
    answer = await chat.say("March 1st, 2026")
    assert "**59 days**" in answer and "Working days" not in answer
    answer = await chat.say("workdays_only: yes")
    assert "**59 days**" in answer and "Working days" in answer and "**42**" in answer


async def test_fixed_inputs_cannot_be_set_or_seen(client):
    chat = Chat(client, "loan-calculator")
    reply = await chat.say("currency: EUR, principal: 1000")
    assert "currency is set by the workflow" in reply
    answer = await chat.say("annual_rate: 5, years: 1")
    assert "$" in answer and "EUR" not in answer


async def test_start_over_clears_values(client):
    chat = Chat(client, "loan-calculator")
    await chat.say("principal: 1000, annual_rate: 5")
    reply = await chat.say("start over")
    assert "How much do you want to borrow?" in reply
    assert "interest rate" in await chat.say("2000")


async def test_changing_a_value_after_the_answer_runs_again(client):
    chat = Chat(client, "loan-calculator")
    await chat.say("principal: 300000, annual_rate: 6.5, years: 30")
    reply = await chat.say("thanks!")
    assert "change a value" in reply and "<thinking>" not in reply
    reply = await chat.say("years: 15")
    assert "<thinking>" in reply and "$2,613.32" in reply
    assert "<thinking>" in await chat.say("again")


async def test_id_survives_reindented_whitespace(client):
    chat = Chat(client, "loan-calculator")
    await chat.say("hi")
    chat.messages[-1]["content"] = re.sub(r"\n", "\r\n    ", chat.messages[-1]["content"])
    assert "interest rate" in await chat.say("300000")
    chat.messages[-1]["content"] = " ".join(chat.messages[-1]["content"].split())
    assert "how many years" in (await chat.say("6.5")).lower()


async def test_history_without_thinking_block_or_as_details(client):
    chat = Chat(client, "loan-calculator")
    await chat.say("principal: 300000, annual_rate: 6.5, years: 30")
    answer = chat.messages[-1]["content"]
    chat.messages[-1]["content"] = re.sub(r"<thinking>.*?</thinking>", "", answer, flags=re.S)
    assert "$2,613.32" in await chat.say("years: 15")
    chat.messages[-1]["content"] = chat.messages[-1]["content"].replace(
        "<thinking>", '<details type="reasoning" done="true">').replace("</thinking>",
                                                                         "</details>")
    assert "$1,896.20" in await chat.say("years: 30")


async def test_id_pasted_in_a_user_message_is_ignored(client):
    other = Chat(client, "loan-calculator")
    await other.say("hi")
    await other.say("1234")
    chat = Chat(client, "loan-calculator")
    reply = await chat.say("look at this: " + other.messages[-1]["content"])
    assert marker_of(reply).conversation != marker_of(other.messages[-1]["content"]).conversation
    assert "**Loan Calculator**" in reply  # a new conversation, introduced


async def test_regenerated_reply_resumes_from_the_same_state(client):
    chat = Chat(client, "loan-calculator")
    await chat.say("hi")
    await chat.say("300000")
    first_try = chat.messages.pop()  # the client discards the reply and asks again
    chat.messages.pop()
    assert "interest rate" in await chat.say("400000")
    assert marker_of(chat.messages[-1]["content"]) != marker_of(first_try["content"])
    answer = await chat.say("principal: 300000, annual_rate: 6.5, years: 30")
    assert LOAN_ANSWER in answer


async def test_lost_store_is_rebuilt_from_the_history(client, settings, tmp_path):
    import shutil
    chat = Chat(client, "loan-calculator")
    await chat.say("hi")
    await chat.say("300000")
    shutil.rmtree(tmp_path / "data")
    assert "how many years" in (await chat.say("6.5")).lower()
    assert LOAN_ANSWER in await chat.say("30")


async def test_lost_marker_is_rebuilt_from_the_history(client):
    chat = Chat(client, "loan-calculator")
    await chat.say("hi")
    await chat.say("300000")
    for message in chat.messages:
        if message["role"] == "assistant":
            message["content"] = ids.strip(message["content"])
    assert "how many years" in (await chat.say("6.5")).lower()


async def test_marker_of_another_workflow_starts_fresh(client):
    chat = Chat(client, "loan-calculator")
    await chat.say("principal: 300000")
    chat.model = "recurring-dates"
    reply = await chat.say("hello")
    assert "Which occurrence" in reply
    assert marker_of(reply).conversation != marker_of(chat.messages[1]["content"]).conversation


async def test_hidden_reference_marker_is_the_default(client):
    chat = Chat(client, "loan-calculator")
    reply = await chat.say("hi")
    assert re.search(r'\n\n\[agentgate-conversation\]: # "ag_[A-Za-z0-9]{22}\.1"\n$', reply)
    assert "```" not in reply
    assert "interest rate" in await chat.say("300000")


async def test_fenced_marker_style_is_written_and_read(make_client, settings):
    client = await make_client(settings.replace(id_style="fence"))
    chat = Chat(client, "loan-calculator")
    reply = await chat.say("hi")
    assert re.search(r"\n\n```agentgate-conversation\nag_[A-Za-z0-9]{22}\.1\n```\n$", reply)
    assert "interest rate" in await chat.say("300000")


async def test_a_conversation_continues_across_a_change_of_style(make_client, settings, tmp_path):
    fenced = await make_client(settings.replace(id_style="fence"))
    chat = Chat(fenced, "loan-calculator")
    first = marker_of(await chat.say("hi"))
    chat.client = await make_client(settings)
    reply = await chat.say("300000")
    assert "interest rate" in reply and "```" not in reply
    assert marker_of(reply).conversation == first.conversation


async def test_streamed_and_unstreamed_turns_mix(client):
    chat = Chat(client, "loan-calculator")
    await chat.say("hi", stream=True)
    await chat.say("300000")
    await chat.say("6.5", stream=True)
    assert LOAN_ANSWER in await chat.say("30", stream=True)


async def test_a_conversation_belongs_to_its_api_key(make_client, settings):
    client = await make_client(settings.replace(api_keys=("key-one", "key-two")))
    chat = Chat(client, "loan-calculator", headers={"Authorization": "Bearer key-one"})
    await chat.say("hi")
    await chat.say("300000")
    chat.headers = {"Authorization": "Bearer key-two"}
    reply = await chat.say("6.5")
    # The other key gets its own conversation, rebuilt from the history it holds.
    assert "how many years" in reply.lower()
    assert marker_of(reply).conversation != marker_of(chat.messages[1]["content"]).conversation


async def test_a_rerun_applies_all_changes_or_none(client):
    chat = Chat(client, "loan-calculator")
    await chat.say("principal: 300000, annual_rate: 6.5, years: 30")
    reply = await chat.say("years: 15, annual_rate: 300")
    assert "at most 100" in reply and "<thinking>" not in reply
    assert "`years` = 30" in reply and "`annual_rate` = 6.5" in reply


async def test_after_a_failed_run_the_hint_says_so(make_client, settings):
    from conftest import FIXTURES
    client = await make_client(settings.replace(workflows=str(FIXTURES / "good")))
    chat = Chat(client, "leaky-failure")
    await chat.say("word: hi")
    reply = await chat.say("what now?")
    assert "last run of **Leaky Failure** failed" in reply and "answer is above" not in reply


async def test_a_first_message_can_answer_the_first_question(client):
    chat = Chat(client, "loan-calculator")
    reply = await chat.say("I'd like to borrow 300k")
    assert "yearly interest rate" in reply and "Loan Calculator" in reply
    assert "How much" not in reply
    chat = Chat(client, "loan-calculator")
    assert "How much do you want to borrow?" in await chat.say("hello there")
    chat = Chat(client, "city-weather")
    assert "Which city?" in await chat.say("Lisbon")  # free text: a greeting is not a city


async def test_several_new_messages_are_read_one_by_one(client):
    chat = Chat(client, "loan-calculator")
    await chat.say("hi")
    chat.messages += [{"role": "user", "content": "300000"}, {"role": "user", "content": "6.5"}]
    reply = await chat.say("30")
    assert "$1,896.20" in reply


async def test_two_numbers_with_one_home_each_are_both_taken(client):
    chat = Chat(client, "loan-calculator")
    await chat.say("principal: 300000")
    reply = await chat.say("6.5 30")  # 6.5 cannot be a whole number of years
    assert "**annual_rate** = 6.5%, **years** = 30 years" in reply and LOAN_ANSWER in reply


async def test_two_numbers_that_could_go_either_way_are_asked_about(client):
    chat = Chat(client, "loan-calculator")
    await chat.say("principal: 300000")
    reply = await chat.say("5 20")
    assert "<thinking>" not in reply and "Which of 5 and 20 is" in reply
    assert "**annual_rate**" in reply and "**years**" in reply


async def test_a_switched_model_starts_fresh_with_its_greeting(client):
    chat = Chat(client, "loan-calculator")
    await chat.say("hi")
    await chat.say("300000")
    chat.model = "days-between"
    reply = await chat.say("hello")
    assert "**Days Between Dates**" in reply and "not a date" not in reply


async def test_an_edited_workflow_keeps_conversations_going(make_client, settings, tmp_path):
    import json
    from conftest import WORKFLOWS
    folder = tmp_path / "flows"
    folder.mkdir()
    data = json.loads((WORKFLOWS / "loan-calculator.json").read_text())
    (folder / "loan-calculator.json").write_text(json.dumps(data))
    client = await make_client(settings.replace(workflows=str(folder)))
    chat = Chat(client, "loan-calculator")
    await chat.say("principal: 300000, annual_rate: 6.5")
    data["inputs"]["term"] = data["inputs"].pop("years")
    for node in data["nodes"]:
        node["template"] = node["template"].replace("inputs.years", "inputs.term")
    (folder / "loan-calculator.json").write_text(json.dumps(data))
    from agentgate.appkeys import CATALOG
    client.app[CATALOG].refresh()
    reply = await chat.say("30")
    assert "$1,896.20" in reply


async def test_every_value_taken_is_echoed_with_its_unit(client):
    chat = Chat(client, "loan-calculator")
    await chat.say("hi")
    assert "Got it: **principal** = 300,000." in await chat.say("300 grand")
    reply = await chat.say("it's a 30 year loan")  # the rate was asked: the unit decides
    assert "Got it: **years** = 30 years." in reply and "interest rate" in reply
    reply = await chat.say("sorry, make that 25 years")
    assert "Changed: **years** 30 years → 25 years." in reply


async def test_a_doubtful_number_is_asked_about_then_settled(client):
    chat = Chat(client, "loan-calculator")
    await chat.say("hi")
    reply = await chat.say("120.000")
    assert "did you mean **120** or **120,000**?" in reply
    reply = await chat.say("the second")
    assert "Got it: **principal** = 120,000." in reply and "interest rate" in reply


async def test_a_relative_date_keeps_its_meaning_when_the_state_is_rebuilt(
        make_client, settings, tmp_path):
    import datetime as dt
    import shutil
    clock = {"today": dt.date(2026, 12, 4)}
    client = await make_client(settings, today=lambda: clock["today"])
    chat = Chat(client, "days-between")
    reply = await chat.say("from next tuesday")
    assert "**start** = Tuesday 8 December 2026" in reply
    shutil.rmtree(tmp_path / "data")  # the store is lost ...
    clock["today"] = dt.date(2026, 12, 20)  # ... and "next tuesday" now means another day
    reply = await chat.say("2027-01-05")
    assert "From **Tuesday 8 December 2026** to **Tuesday 5 January 2027**" in reply


async def test_a_workflow_with_confirm_shows_the_values_and_asks_first(
        make_client, settings, tmp_path):
    import json
    folder = tmp_path / "flows"
    folder.mkdir()
    data = json.loads((WORKFLOWS / "hotel-booking.json").read_text())
    data["confirm"] = True
    (folder / "hotel-booking.json").write_text(json.dumps(data))
    client = await make_client(settings.replace(workflows=str(folder)))
    chat = Chat(client, "hotel-booking")
    reply = await chat.say("a double room for 2 people from 2027-03-12, 3 nights")
    assert "Ready to run **Hotel Booking**" in reply and "<thinking>" not in reply
    assert "- **room**: double" in reply and "- **breakfast**: no" in reply
    reply = await chat.say("with breakfast")
    assert "Got it: **breakfast** = yes." in reply and "Shall I go ahead?" in reply
    reply = await chat.say("no")
    assert "What would you like to change?" in reply
    reply = await chat.say("yes, go ahead")
    assert "<thinking>" in reply and "€444.00" in reply
