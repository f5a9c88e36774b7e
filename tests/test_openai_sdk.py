"""The real OpenAI Python SDK against a real listening server: sync and async, streamed
and not, including a restart in the middle of a conversation."""

from __future__ import annotations

import openai
import pytest

from agentgate.conversation import ids

TURNS = [("hello", "How much do you want to borrow?"),
         ("300000", "yearly interest rate"),
         ("6.5", "how many years"),
         ("30", "$1,896.20")]


def sync_reply(client: openai.OpenAI, messages: list, stream: bool) -> str:
    if not stream:
        completion = client.chat.completions.create(model="loan-calculator", messages=messages)
        assert completion.choices[0].finish_reason == "stop"
        assert completion.usage.total_tokens > 0
        return completion.choices[0].message.content
    text, finishes, usage = "", [], None
    for chunk in client.chat.completions.create(model="loan-calculator", messages=messages,
                                                stream=True,
                                                stream_options={"include_usage": True}):
        if chunk.usage:
            usage = chunk.usage
        for choice in chunk.choices:
            text += choice.delta.content or ""
            if choice.finish_reason:
                finishes.append(choice.finish_reason)
    assert finishes == ["stop"] and usage.completion_tokens > 0
    return text


async def async_reply(client: openai.AsyncOpenAI, messages: list, stream: bool) -> str:
    if not stream:
        completion = await client.chat.completions.create(model="loan-calculator",
                                                          messages=messages)
        return completion.choices[0].message.content
    text = ""
    async for chunk in await client.chat.completions.create(
            model="loan-calculator", messages=messages, stream=True):
        for choice in chunk.choices:
            text += choice.delta.content or ""
    return text


def check_turn(reply: str, expected: str) -> None:
    assert expected.lower() in reply.lower(), reply
    assert ids.find(reply) is not None


@pytest.mark.parametrize("stream", [False, True])
def test_sync_sdk_conversation(live_server, stream):
    server = live_server()
    client = openai.OpenAI(base_url=server.url, api_key="anything", max_retries=0)
    assert "loan-calculator" in [model.id for model in client.models.list()]
    assert client.models.retrieve("recurring-dates").id == "recurring-dates"
    messages = []
    for text, expected in TURNS:
        messages.append({"role": "user", "content": text})
        reply = sync_reply(client, messages, stream)
        check_turn(reply, expected)
        messages.append({"role": "assistant", "content": reply})
    answer = messages[-1]["content"]
    assert answer.index("<thinking>") < answer.index("✓ Writing the answer") < answer.index(
        "</thinking>") < answer.index("$1,896.20")


@pytest.mark.parametrize("stream", [False, True])
async def test_async_sdk_conversation(live_server, stream):
    server = live_server()
    client = openai.AsyncOpenAI(base_url=server.url, api_key="anything", max_retries=0)
    models = await client.models.list()
    assert "days-between" in [model.id for model in models.data]
    messages = []
    for text, expected in TURNS:
        messages.append({"role": "user", "content": text})
        reply = await async_reply(client, messages, stream)
        check_turn(reply, expected)
        messages.append({"role": "assistant", "content": reply})
    await client.close()


def test_sdk_stream_helper_final_completion(live_server):
    client = openai.OpenAI(base_url=live_server().url, api_key="x", max_retries=0)
    with client.chat.completions.stream(model="loan-calculator", messages=[
            {"role": "user", "content": "principal: 300000, annual_rate: 6.5, years: 30"}]) as s:
        final = s.get_final_completion()
    assert "$1,896.20" in final.choices[0].message.content


def test_sdk_raises_typed_errors(live_server):
    client = openai.OpenAI(base_url=live_server().url, api_key="x", max_retries=0)
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="missing", messages=[
            {"role": "user", "content": "hi"}])
    assert caught.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="loan-calculator", n=3, messages=[
            {"role": "user", "content": "hi"}])
    assert caught.value.param == "n"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("missing")


def test_restart_mid_conversation_continues(live_server, settings):
    server = live_server()
    client = openai.OpenAI(base_url=server.url, api_key="x", max_retries=0)
    messages = []
    for text, expected in TURNS[:2]:
        messages.append({"role": "user", "content": text})
        reply = sync_reply(client, messages, stream=True)
        check_turn(reply, expected)
        messages.append({"role": "assistant", "content": reply})
    server.stop()

    restarted = live_server(settings)
    client = openai.OpenAI(base_url=restarted.url, api_key="x", max_retries=0)
    for text, expected in TURNS[2:]:
        messages.append({"role": "user", "content": text})
        reply = sync_reply(client, messages, stream=False)
        check_turn(reply, expected)
        messages.append({"role": "assistant", "content": reply})
    conversations = {ids.find(m["content"]).conversation for m in messages
                     if m["role"] == "assistant"}
    assert len(conversations) == 1
