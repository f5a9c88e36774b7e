"""FakeLLM itself: what it answers, how it streams, what it records."""

from __future__ import annotations

import openai
import pytest

from agentgate.testing import Delay, Failure, FakeLLM, Text, Values


@pytest.fixture
async def fake():
    async with FakeLLM() as server:
        yield server


def client_for(fake: FakeLLM) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=fake.url, api_key="test", max_retries=0, timeout=2)


async def test_text_streamed_in_several_chunks_and_whole(fake):
    fake.add(Text("Hello there, traveller!", chunk_size=5), Text("Again"))
    client = client_for(fake)
    pieces = [chunk.choices[0].delta.content
              async for chunk in await client.chat.completions.create(
                  model="m", messages=[{"role": "user", "content": "hi"}], stream=True)
              if chunk.choices and chunk.choices[0].delta.content]
    assert len(pieces) > 1 and "".join(pieces) == "Hello there, traveller!"
    whole = await client.chat.completions.create(model="m", messages=[
        {"role": "user", "content": "hi"}])
    assert whole.choices[0].message.content == "Again" and whole.usage.total_tokens == 15


async def test_values_become_a_tool_call_when_tools_are_offered(fake):
    fake.add(Values({"a": 1}), Values({"b": 2}))
    client = client_for(fake)
    tools = [{"type": "function", "function": {"name": "fill", "parameters": {}}}]
    first = await client.chat.completions.create(model="m", tools=tools, messages=[
        {"role": "user", "content": "x"}])
    call = first.choices[0].message.tool_calls[0]
    assert call.function.name == "fill" and call.function.arguments == '{"a": 1}'
    assert first.choices[0].finish_reason == "tool_calls"
    second = await client.chat.completions.create(model="m", messages=[
        {"role": "user", "content": "x"}])
    assert second.choices[0].message.content == '{"b": 2}'


async def test_failures_delays_and_callables(fake):
    fake.add(Failure(429, headers={"Retry-After": "7"}), Delay(0.05, Text("late")),
             lambda body: Text(body["messages"][-1]["content"].upper()))
    client = client_for(fake)
    with pytest.raises(openai.RateLimitError) as caught:
        await client.chat.completions.create(model="m", messages=[
            {"role": "user", "content": "x"}])
    assert caught.value.response.headers["retry-after"] == "7"
    late = await client.chat.completions.create(model="m", messages=[
        {"role": "user", "content": "x"}])
    assert late.choices[0].message.content == "late"
    echo = await client.chat.completions.create(model="m", messages=[
        {"role": "user", "content": "shout"}])
    assert echo.choices[0].message.content == "SHOUT"


async def test_requests_are_recorded_and_an_empty_script_fails_loudly(fake):
    client = client_for(fake)
    with pytest.raises(openai.InternalServerError, match="no answer left"):
        await client.chat.completions.create(model="m", messages=[
            {"role": "system", "content": "sys"}, {"role": "user", "content": "secret?"}])
    assert len(fake.requests) == 1
    assert fake.requests[0].messages[1]["content"] == "secret?"
    assert "secret?" in fake.requests[0].text
    assert fake.requests[0].headers["Authorization"] == "Bearer test"
