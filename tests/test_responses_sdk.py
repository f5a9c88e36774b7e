"""The real OpenAI Python SDK's Responses API against a real listening server: sync and
async, streamed and not, the `responses.stream()` helper, sessions by previous_response_id
and by resent output, stored objects and typed errors."""

from __future__ import annotations

import openai
import pytest

from agentgate.conversation import ids

LOAN = "loan-calculator"
TURNS = [("300000", "yearly interest rate"), ("6.5", "how many years"), ("30", "$1,896.20")]


def client_for(server, **options) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url, api_key="x", max_retries=0, **options)


def reasoning_text(response) -> str:
    return "".join(part.text for item in response.output if item.type == "reasoning"
                   for part in item.summary)


@pytest.mark.parametrize("stream", [False, True])
def test_sync_three_turns_by_previous_response_id(live_server, stream):
    client = client_for(live_server())
    previous = None
    for text, expected in TURNS:
        if stream:
            kinds, final = [], None
            for event in client.responses.create(model=LOAN, input=text, stream=True,
                                                 previous_response_id=previous):
                kinds.append(event.type)
                if event.type == "response.completed":
                    final = event.response
            assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
            response = final
        else:
            response = client.responses.create(model=LOAN, input=text,
                                               previous_response_id=previous)
        assert response.status == "completed"
        assert expected.lower() in response.output_text.lower()
        previous = response.id
    assert [item.type for item in response.output] == ["reasoning", "message"]
    assert "✓ Writing the answer" in reasoning_text(response)
    assert response.usage.output_tokens_details.reasoning_tokens > 0
    assert client.responses.retrieve(previous).output_text == response.output_text


async def test_async_three_turns_statelessly(live_server):
    client = openai.AsyncOpenAI(base_url=live_server().url, api_key="x", max_retries=0)
    context: list = []
    for text, expected in TURNS:
        context.append({"role": "user", "content": text})
        response = await client.responses.create(model=LOAN, input=context, store=False)
        assert expected.lower() in response.output_text.lower()
        context += response.output  # the SDK's objects, sent back as they came
    assert ids.find(response.output_text) is not None
    with pytest.raises(openai.NotFoundError):
        await client.responses.retrieve(response.id)  # store=False: nothing kept
    await client.close()


async def test_async_stream(live_server):
    client = openai.AsyncOpenAI(base_url=live_server().url, api_key="x", max_retries=0)
    summary, text = "", ""
    async for event in await client.responses.create(
            model=LOAN, input="principal: 300000, annual_rate: 6.5, years: 30", stream=True):
        if event.type == "response.reasoning_summary_text.delta":
            assert not text, "progress comes before the answer"
            summary += event.delta
        elif event.type == "response.output_text.delta":
            text += event.delta
    assert "▸ Computing the monthly payment…" in summary and "$1,896.20" in text
    await client.close()


def test_stream_helper_and_final_response(live_server):
    client = client_for(live_server())
    seen = []
    with client.responses.stream(model=LOAN, input="principal: 300000, annual_rate: 6.5, "
                                 "years: 30", instructions="Answer briefly.") as stream:
        for event in stream:
            seen.append(event.type)
            if event.type == "response.output_text.delta":
                assert event.snapshot.endswith(event.delta)  # the helper rebuilt the text
        final = stream.get_final_response()
    assert final.status == "completed" and final.instructions == "Answer briefly."
    assert "$1,896.20" in final.output_text and ids.find(final.output_text) is not None
    assert "✓ Writing the answer" in reasoning_text(final)
    assert seen.index("response.reasoning_summary_text.delta") < seen.index(
        "response.output_text.delta")


def test_retrieve_delete_and_typed_errors(live_server):
    client = client_for(live_server())
    response = client.responses.create(model="hello", input="hi", metadata={"ticket": "9"})
    assert client.responses.retrieve(response.id).metadata == {"ticket": "9"}
    client.responses.delete(response.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.create(model="missing", input="hi")
    assert caught.value.code == "model_not_found"
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.create(model=LOAN, input="hi", previous_response_id=response.id)
    assert caught.value.code == "previous_response_not_found"
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=LOAN, input="hi", tool_choice="required")
    assert caught.value.param == "tool_choice"


def test_header_variables_with_the_sdk(live_server):
    client = client_for(live_server(), default_headers={"X-Agentgate-Var-Caller": "Grace"})
    assert "Hello Grace!" in client.responses.create(model="hello", input="hi").output_text
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="hello", input="hi",
                                extra_headers={"X-Agentgate-Var-Colour": "red"})
    assert caught.value.code == "unknown_variable"


def test_a_failure_mid_stream_raises_in_the_sdk(live_server, monkeypatch):
    from agentgate.events import ThinkingStarted

    async def failing_turn(turn, *, workflow, deps):
        yield ThinkingStarted()
        raise RuntimeError("boom")

    monkeypatch.setattr("agentgate.api.observe.handle_turn", failing_turn)
    client = client_for(live_server())
    with pytest.raises(openai.APIError, match="Please retry"):
        with client.responses.stream(model=LOAN, input="hi") as stream:
            stream.get_final_response()
