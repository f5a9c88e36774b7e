"""The Responses API over HTTP: sessions by previous_response_id and by resent input, progress
as a reasoning item, stored objects, request variables, and every error with its status.

Every JSON body and stream event is also checked against OpenAI's schemas and the Open
Responses shapes (conftest.py)."""

from __future__ import annotations

import json

import pytest

from agentgate.conversation import ids
from agentgate.events import NodeStarted, ThinkingStarted
from responses_shapes import final_response, output_text, parse_stream

LOAN = "loan-calculator"
TURNS = [("300000", "yearly interest rate"), ("6.5", "how many years"), ("30", "$1,896.20")]


async def create(client, *, headers=None, path="/v1/responses", **body):
    return await client.post(path, json=body, headers=headers or {})


async def respond(client, *, stream=False, headers=None, **body) -> dict:
    """The finished response object (from `response.completed` when streamed)."""
    response = await create(client, headers=headers, stream=stream, **body)
    assert response.status == 200, await response.text()
    if not stream:
        assert response.content_type == "application/json"
        return await response.json()
    assert response.content_type == "text/event-stream"
    return final_response(parse_stream(await response.text()))


def items(response: dict) -> list[str]:
    return [item["type"] for item in response["output"]]


def files(folder) -> str:
    return "".join(p.read_text() for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("stream", [False, True])
async def test_three_turns_by_previous_response_id(client, stream):
    previous = None
    for text, expected in TURNS:
        response = await respond(client, model=LOAN, input=text, stream=stream,
                                 previous_response_id=previous)
        assert response["status"] == "completed" and response["previous_response_id"] == \
            previous
        assert expected.lower() in output_text(response).lower()
        assert response["usage"]["total_tokens"] > 0
        previous = response["id"]
    assert items(response) == ["reasoning", "message"]
    summary = response["output"][0]["summary"][0]["text"]
    assert "▸ Computing the monthly payment…" in summary and "✓ Writing the answer" in summary
    answer = output_text(response)
    assert "<thinking>" not in answer and "Computing" not in answer
    assert response["usage"]["output_tokens_details"]["reasoning_tokens"] > 0
    stored = await client.get(f"/v1/responses/{previous}")
    assert await stored.json() == response


@pytest.mark.parametrize("stream", [False, True])
async def test_three_turns_statelessly_by_resending_the_output(client, stream):
    history: list = []
    markers = set()
    for text, expected in TURNS:
        history.append({"role": "user", "content": text})
        response = await respond(client, model=LOAN, input=history, stream=stream, store=False)
        assert expected.lower() in output_text(response).lower()
        markers.add(ids.find(output_text(response)).conversation)
        history += response["output"]  # reasoning items included, as SDK users do
    assert len(markers) == 1  # one conversation all along
    assert items(response) == ["reasoning", "message"]


async def test_stateless_history_as_plain_messages_like_chat(client):
    first = await respond(client, model=LOAN, input="300000")
    history = [{"type": "message", "role": "user", "content": "300000"},
               {"type": "message", "role": "assistant", "content": output_text(first)},
               {"type": "message", "role": "user",
                "content": [{"type": "input_text", "text": "6.5"}]}]
    second = await respond(client, model=LOAN, input=history)
    assert "how many years" in output_text(second).lower()
    assert ids.find(output_text(second)).conversation == \
        ids.find(output_text(first)).conversation


async def test_progress_streams_as_a_reasoning_item_before_the_message(client):
    response = await create(client, model=LOAN, stream=True,
                            input="principal: 300000, annual_rate: 6.5, years: 30")
    events = parse_stream(await response.text())
    kinds = [e["type"] for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    for start in events[:2]:
        assert start["response"]["status"] == "in_progress" and start["response"]["output"] == []
        assert start["response"]["usage"]["total_tokens"] == 0
        assert start["response"]["completed_at"] is None
    assert kinds[2:4] == ["response.output_item.added", "response.reasoning_summary_part.added"]
    assert events[2]["item"]["type"] == "reasoning" and events[2]["output_index"] == 0
    deltas = [i for i, k in enumerate(kinds) if k == "response.reasoning_summary_text.delta"]
    message = next(i for i, e in enumerate(events) if e["type"] ==
                   "response.output_item.added" and e["item"]["type"] == "message")
    assert len(deltas) >= 4 and max(deltas) < message
    assert events[message]["output_index"] == 1
    assert kinds[message + 1] == "response.content_part.added"
    assert kinds[-4:] == ["response.output_text.done", "response.content_part.done",
                          "response.output_item.done", "response.completed"]
    text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    done = next(e for e in events if e["type"] == "response.output_text.done")
    final = final_response(events)
    assert text == done["text"] == output_text(final)
    assert text.index("Got it") < text.index("$1,896.20") < text.index("agentgate-conversation")
    summary = "".join(e["delta"] for e in events
                      if e["type"] == "response.reasoning_summary_text.delta")
    assert final["output"][0]["summary"] == [{"type": "summary_text", "text": summary}]
    assert all(e["response"]["id"] == final["id"] for e in events if "response" in e)


async def test_progress_can_be_left_out(make_client, settings):
    client = await make_client(settings.replace(reasoning="none"))
    response = await respond(client, model=LOAN, stream=True,
                             input="principal: 300000, annual_rate: 6.5, years: 30")
    assert items(response) == ["message"] and "$1,896.20" in output_text(response)


async def test_a_gathering_turn_has_only_a_message(client):
    response = await respond(client, model=LOAN, input="hello")
    assert items(response) == ["message"]
    assert "How much do you want to borrow?" in output_text(response)
    assert response["output"][0]["status"] == "completed"


async def test_settings_are_echoed_and_tools_never_called(client):
    tool = {"type": "function", "name": "lookup", "description": "Looks things up",
            "parameters": {"type": "object", "properties": {}}, "strict": False}
    response = await respond(client, model="hello", input="hi", instructions="Be brief.",
                             metadata={"ticket": "T-1"}, temperature=0.3, top_p=0.5,
                             max_output_tokens=64, tool_choice="auto",
                             tools=[tool, {"type": "function", "name": "bare"}],
                             include=["reasoning.encrypted_content", "nothing.we.know"],
                             user="u-1", reasoning={"effort": "low"},
                             text={"format": {"type": "text"}, "verbosity": "low"})
    assert response["instructions"] == "Be brief." and response["metadata"] == {"ticket": "T-1"}
    assert (response["temperature"], response["top_p"], response["max_output_tokens"]) == (
        0.3, 0.5, 64)
    assert response["tools"] == [tool, {"type": "function", "name": "bare", "strict": True,
                                        "description": None, "parameters": None}]
    assert response["user"] == "u-1"
    assert response["reasoning"] == {"effort": "low", "summary": None}
    assert response["text"] == {"format": {"type": "text"}, "verbosity": "low"}
    assert all(item["type"] in ("message", "reasoning") for item in response["output"])


async def test_store_false_keeps_the_conversation_but_no_response(client, settings):
    data = settings.data_dir
    first = await respond(client, model=LOAN, input="300000", store=False)
    assert first["store"] is False
    assert (await client.get(f"/v1/responses/{first['id']}")).status == 404
    missing = await create(client, model=LOAN, input="6.5", previous_response_id=first["id"])
    assert missing.status == 404
    from pathlib import Path
    assert list((Path(data) / "conversations").rglob("ag_*.json"))
    assert not (Path(data) / "responses").exists()
    history = [{"role": "user", "content": "300000"}, *first["output"],
               {"role": "user", "content": "6.5"}]
    assert "how many years" in output_text(await respond(client, model=LOAN, input=history))


async def test_get_and_delete(client):
    response = await respond(client, model="hello", input="hi", metadata={"k": "v"})
    url = f"/v1/responses/{response['id']}"
    assert await (await client.get(url)).json() == response
    assert await (await client.get(f"/openai{url}")).json() == response
    deleted = await client.delete(url)
    assert deleted.status == 200
    assert await deleted.json() == {"id": response["id"], "object": "response.deleted",
                                    "deleted": True}
    for method in (client.get, client.delete):
        gone = await method(url)
        assert gone.status == 404
        assert (await gone.json())["error"]["code"] == "response_not_found"


async def test_responses_belong_to_their_api_key(make_client, settings):
    client = await make_client(settings.replace(api_keys=("key-a", "key-b")))
    a, b = {"Authorization": "Bearer key-a"}, {"x-api-key": "key-b"}
    first = await respond(client, model=LOAN, input="300000", headers=a)
    url = f"/v1/responses/{first['id']}"
    for method in (client.get, client.delete):
        foreign = await method(url, headers=b)
        assert foreign.status == 404
        assert (await foreign.json())["error"]["code"] == "response_not_found"
    refused = await create(client, model=LOAN, input="6.5", headers=b,
                           previous_response_id=first["id"])
    assert refused.status == 404
    error = (await refused.json())["error"]
    assert (error["code"], error["param"]) == ("previous_response_not_found",
                                                "previous_response_id")
    own = await respond(client, model=LOAN, input="6.5", headers={"x-api-key": "key-a"},
                        previous_response_id=first["id"])
    assert "how many years" in output_text(own).lower()
    assert (await client.get(url, headers=a)).status == 200
    assert (await create(client, model=LOAN, input="x")).status == 401


async def test_header_variables_reach_the_workflow_and_are_not_stored(
        make_client, settings, tmp_path):
    from pathlib import Path
    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "token.json").write_text(json.dumps({
        "name": "token", "description": "Checks a token.",
        "variables": {"token": {"description": "The caller's token", "secret": True}},
        "nodes": [{"id": "a", "type": "template", "title": "Checking the token",
                   "template": "The token has {{ vars.token | length }} characters.",
                   "summary": "checked {{ vars.token }}"}], "output": "a"}))
    client = await make_client(settings.replace(workflows=str(folder)))
    token = "tok-Qx7Lw-83hfa"
    response = await respond(client, model="token", input="hi", stream=True,
                             headers={"X-Agentgate-Var-Token": token})
    assert f"The token has {len(token)} characters." in output_text(response)
    assert "checked ***" in response["output"][0]["summary"][0]["text"]
    again = await respond(client, model="token", input="hi again",
                          headers={"X-Agentgate-Var-Token": "ab"},
                          previous_response_id=response["id"])
    assert "The token has 2 characters." in output_text(again)  # this request's value
    stored = files(Path(settings.data_dir))
    assert '"resp_' in stored and '"ag_' in stored and token not in stored
    assert token not in json.dumps(response) + json.dumps(again)
    for headers, code in (({}, "missing_required_parameter"),
                          ({"X-Agentgate-Var-Tenant": "acme", "X-Agentgate-Var-Token": "x"},
                           "unknown_variable")):
        refused = await create(client, model="token", input="hi", headers=headers)
        assert refused.status == 400
        assert (await refused.json())["error"]["code"] == code


async def test_hello_greets_the_caller_a_header_names(client):
    response = await respond(client, model="hello", input="hi",
                             headers={"X-Agentgate-Var-Caller": "Ada"})
    assert "Hello Ada! Today is" in output_text(response)


BAD_BODIES = [
    ("not json", None, None),
    ([1, 2], None, None),
    ({"input": "hi"}, "missing_required_parameter", "model"),
    ({"model": LOAN}, "missing_required_parameter", "input"),
    ({"model": LOAN, "input": 5}, "invalid_value", "input"),
    ({"model": LOAN, "input": ["hi"]}, "invalid_value", "input[0]"),
    ({"model": LOAN, "input": [{"role": "robot", "content": "hi"}]}, "invalid_value",
     "input[0].role"),
    ({"model": LOAN, "input": [{"role": "user", "content": 5}]}, "invalid_value",
     "input[0].content"),
    ({"model": LOAN, "input": [{"role": "user", "content": "hi"},
                               {"role": "assistant", "content": "yes?"}]},
     "invalid_value", "input"),
    ({"model": LOAN, "input": [{"role": "system", "content": "Be nice."}]}, "invalid_value",
     "input"),
    ({"model": LOAN, "input": "hi", "stream": "maybe"}, "invalid_value", "stream"),
    ({"model": LOAN, "input": "hi", "temperature": 5}, "invalid_value", "temperature"),
    ({"model": LOAN, "input": "hi", "metadata": {str(i): "v" for i in range(17)}},
     "invalid_value", "metadata"),
    ({"model": LOAN, "input": "hi", "tool_choice": "required"}, "unsupported_value",
     "tool_choice"),
    ({"model": LOAN, "input": "hi", "tool_choice": {"type": "function", "name": "f"}},
     "unsupported_value", "tool_choice"),
    ({"model": LOAN, "input": "hi", "text": {"format": {"type": "json_object"}}},
     "unsupported_value", "text.format"),
    ({"model": LOAN, "input": "hi", "background": True}, "unsupported_value", "background"),
    ({"model": LOAN, "input": "hi", "conversation": "conv_1"}, "unsupported_value",
     "conversation"),
    ({"model": LOAN, "input": "hi", "previous_response_id": ""}, "invalid_value",
     "previous_response_id"),
]


@pytest.mark.parametrize("body, code, param", BAD_BODIES)
async def test_bad_requests_get_400_and_store_nothing(client, settings, body, code, param):
    from pathlib import Path
    data = body if isinstance(body, str) else json.dumps(body)
    for stream in (False, True):
        if isinstance(body, dict):
            data = json.dumps({**body, "stream": body.get("stream", stream)})
        response = await client.post("/v1/responses", data=data,
                                      headers={"Content-Type": "application/json"})
        assert response.status == 400 and response.content_type == "application/json"
        error = (await response.json())["error"]
        assert error["type"] == "invalid_request_error" and error["message"]
        assert (error["code"], error["param"]) == (code, param), error
    assert not [path for path in Path(settings.data_dir).rglob("*") if path.is_file()]


@pytest.mark.parametrize("stream", [False, True])
async def test_unknown_model_and_previous_response(client, stream):
    missing = await create(client, model="nope", input="hi", stream=stream)
    assert missing.status == 404
    assert (await missing.json())["error"]["code"] == "model_not_found"
    for previous in ("resp_" + "0" * 48, "resp_../../etc/passwd", "x" * 150):
        unknown = await create(client, model=LOAN, input="hi", stream=stream,
                               previous_response_id=previous)
        assert unknown.status == 404 and unknown.content_type == "application/json"
        assert (await unknown.json())["error"]["code"] == "previous_response_not_found"
    for path in ("/v1/responses/resp_" + "0" * 48, "/v1/responses/..%2F..%2Fsecrets"):
        assert (await client.get(path)).status == 404
    assert (await client.put("/v1/responses")).status == 405


async def test_a_failure_mid_stream_is_an_error_then_response_failed(client, monkeypatch):
    async def failing_turn(turn, *, workflow, deps):
        yield ThinkingStarted()
        yield NodeStarted("a", "Calling the bank")
        raise RuntimeError("bank password hunter2 rejected")

    monkeypatch.setattr("agentgate.api.observe.handle_turn", failing_turn)
    response = await create(client, model=LOAN, input="hi", stream=True)
    body = await response.text()
    events = parse_stream(body)
    assert [e["type"] for e in events][-2:] == ["error", "response.failed"]
    error, failed = events[-2], final_response(events)
    assert error["code"] == "server_error" and "Please retry" in error["message"]
    assert error["error"]["message"] == error["message"]
    assert failed["status"] == "failed" and failed["error"]["code"] == "server_error"
    assert failed["output"][0]["status"] == "incomplete"
    assert "hunter2" not in body
    stored = await client.get(f"/v1/responses/{failed['id']}")
    assert (await stored.json())["status"] == "failed"


async def test_an_early_failure_is_a_plain_json_error(client, monkeypatch):
    async def failing_turn(turn, *, workflow, deps):
        raise RuntimeError("nothing works")
        yield  # pragma: no cover

    monkeypatch.setattr("agentgate.api.observe.handle_turn", failing_turn)
    response = await create(client, model=LOAN, input="hi", stream=True)
    assert response.status == 500 and response.content_type == "application/json"
    assert "nothing works" not in await response.text()


# The shapes the Open Responses compliance checks send and look at.

async def test_basic_system_prompt_and_multi_turn_shapes(client):
    cases = [
        [{"type": "message", "role": "user", "content": "Say hello in exactly 3 words."}],
        [{"type": "message", "role": "system",
          "content": "You are a pirate. Always respond in pirate speak."},
         {"type": "message", "role": "user", "content": "Say hello."}],
        [{"type": "message", "role": "user", "content": "My name is Alice."},
         {"type": "message", "role": "assistant",
          "content": "Hello Alice! Nice to meet you. How can I help you today?"},
         {"type": "message", "role": "user", "content": "What is my name?"}],
    ]
    for case in cases:
        response = await respond(client, model="hello", input=case)
        assert response["status"] == "completed" and response["output"]
        assert "Hello there!" in output_text(response)


async def test_streaming_shape(client):
    response = await create(client, model="hello", stream=True, input=[
        {"type": "message", "role": "user", "content": "Count from 1 to 5."}])
    assert response.headers["Cache-Control"] == "no-cache"
    events = parse_stream(await response.text())
    assert final_response(events)["status"] == "completed"
    assert [e["type"] for e in events][0] == "response.created"


async def test_node_results_on_request_with_secrets_redacted(make_client, settings, tmp_path,
                                                             monkeypatch):
    folder = tmp_path / "workflows"
    folder.mkdir()
    monkeypatch.setenv("RESULTS_TEST_KEY", "key-9Hq2ZpX4")
    (folder / "results.json").write_text(json.dumps({
        "name": "results", "description": "Shows node results.",
        "fixed": {"key": {"env": "RESULTS_TEST_KEY"}, "pin": 48213},
        "variables": {"token": {"secret": True}, "team": {"default": "web"}},
        "nodes": [
            {"id": "data", "type": "json",
             "value": "{'url': 'https://x.test/?k=' ~ fixed.key, 'pin': fixed.pin, "
                      "'team': vars.team, 'token': vars.token, 'n': 3}"},
            {"id": "answer", "type": "template", "template": "n is {{ nodes.data.json.n }}"}],
        "output": "answer"}))
    client = await make_client(settings.replace(workflows=str(folder)))
    headers = {"X-Agentgate-Var-Token": "tok-Rw8Lq2Vb"}
    for stream in (False, True):
        response = await respond(client, model="results", input="go", stream=stream,
                                 headers=headers, include=["agentgate.node_results"])
        results = response["agentgate_node_results"]
        assert results["answer"] == {"text": "n is 3"}
        data = results["data"]["json"]
        assert data == {"url": "https://x.test/?k=***", "pin": "***", "team": "web",
                        "token": "***", "n": 3}
        assert "key-9Hq2ZpX4" not in json.dumps(response)
    plain = await respond(client, model="results", input="go", headers=headers)
    assert "agentgate_node_results" not in plain
