"""The HTTP surface: model listing, the wire format of replies, and every error envelope."""

from __future__ import annotations

import asyncio

import json
import re

import pytest

from conftest import FIXTURES, Chat, reply_text, sse_events

CHAT = "/v1/chat/completions"
HELLO = {"model": "loan-calculator", "messages": [{"role": "user", "content": "hi"}]}


async def test_models_list_every_bundled_workflow(client, openai_schema):
    response = await client.get("/v1/models")
    assert response.status == 200
    body = await response.json()
    openai_schema("ListModelsResponse", body)
    names = {model["id"] for model in body["data"]}
    assert {"loan-calculator", "recurring-dates", "days-between"} <= names
    loan = next(m for m in body["data"] if m["id"] == "loan-calculator")
    assert loan["name"] == "Loan Calculator" and loan["description"].startswith("Works out")


async def test_one_model_and_openai_prefix(client, openai_schema):
    for path in ("/v1/models/loan-calculator", "/openai/v1/models/loan-calculator"):
        response = await client.get(path)
        assert response.status == 200
        openai_schema("Model", await response.json())
    response = await client.post("/openai/v1/chat/completions", json=HELLO)
    assert response.status == 200


async def test_unstreamed_reply_shape(client, openai_schema):
    response = await client.post(CHAT, json=HELLO)
    body = await response.json()
    openai_schema("CreateChatCompletionResponse", body)
    choice = body["choices"][0]
    assert choice["finish_reason"] == "stop" and choice["logprobs"] is None
    assert choice["message"]["refusal"] is None and choice["message"]["role"] == "assistant"
    usage = body["usage"]
    assert usage["completion_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


@pytest.mark.parametrize("include_usage", [False, True])
async def test_streamed_reply_wire_format(client, openai_schema, include_usage):
    request = {**HELLO, "stream": True}
    if include_usage:
        request["stream_options"] = {"include_usage": True}
    response = await client.post(CHAT, json=request)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Accel-Buffering"] == "no"
    raw = await response.text()
    assert all(line.startswith("data: ") for line in raw.split("\n") if line)
    events = sse_events(raw)
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    for chunk in chunks:
        openai_schema("CreateChatCompletionStreamResponse", chunk)
        assert chunk["object"] == "chat.completion.chunk"
        assert chunk["id"] == chunks[0]["id"] and chunk["created"] == chunks[0]["created"]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    finishes = [c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    assert [c["choices"][0]["finish_reason"] for c in finishes] == ["stop"]
    if include_usage:
        assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0
        assert finishes[0] is chunks[-2]
    else:
        assert finishes[0] is chunks[-1]
        assert all("usage" not in c for c in chunks)
    assert "How much do you want to borrow?" in reply_text(chunks)


@pytest.mark.parametrize("style, whole", [
    ("reference", r'\[agentgate-conversation\]: # "ag_[A-Za-z0-9]{22}\.1"\n$'),
    ("fence", r"```agentgate-conversation\nag_[A-Za-z0-9]{22}\.1\n```\n$")],
    ids=["reference", "fence"])
async def test_the_marker_arrives_in_one_chunk(make_client, settings, style, whole):
    client = await make_client(settings.replace(id_style=style))
    response = await client.post(CHAT, json={**HELLO, "stream": True})
    pieces = [e["choices"][0]["delta"].get("content", "") for e in sse_events(await response.text())
              if isinstance(e, dict) and e.get("choices")]
    assert sum(bool(re.search(whole, piece)) for piece in pieces) == 1


async def test_thinking_block_closed_and_secret_redacted_when_a_node_fails(
        make_client, settings, openai_schema, caplog):
    client = await make_client(settings.replace(workflows=str(FIXTURES / "good")))
    for stream in (False, True):
        chat = Chat(client, "leaky-failure")
        reply = await chat.say("word: hello", stream=stream)
        assert reply.count("<thinking>") == 1 and reply.count("</thinking>") == 1
        assert "✗ Looking up the key failed" in reply
        assert "step “Looking up the key” failed" in reply
        # A template error is a bug: the user gets a plain sentence, the log the details.
        assert "SECRET" not in reply and "failed unexpectedly" in reply
        assert "UndefinedError" in caplog.text and "SECRET" not in caplog.text
        assert reply.index("</thinking>") < reply.index("Sorry")
        assert "try again" in reply
        retry = await chat.say("try again", stream=stream)
        assert "<thinking>" in retry and "SECRET" not in retry


async def test_workflow_without_inputs_answers_at_once(make_client, settings):
    client = await make_client(settings.replace(workflows=str(FIXTURES / "good")))
    chat = Chat(client, "no-inputs")
    reply = await chat.say("go")
    assert "Hello from A WORKFLOW." in reply
    # With nothing to change, any later message runs it again.
    again = await chat.say("what was that?")
    assert "Hello from A WORKFLOW." in again and "<thinking>" in again


async def test_request_fields_we_do_not_use_are_accepted(client):
    response = await client.post(CHAT, json={
        **HELLO, "temperature": None, "user": "u1", "metadata": {"a": "b"}, "stop": ["x"],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
        "tool_choice": "auto", "reasoning_effort": "low", "n": 1,
        "messages": [{"role": "developer", "content": "be nice"},
                     {"role": "user", "content": [{"type": "text", "text": "principal: 5"}]}]})
    assert response.status == 200
    body = await response.json()
    assert "tool_calls" not in body["choices"][0]["message"]
    assert "Got it: **principal** = 5." in body["choices"][0]["message"]["content"]
    assert "interest rate" in body["choices"][0]["message"]["content"]


async def expect_error(response, status: int, code, param=None, check=None):
    assert response.status == status, await response.text()
    assert response.content_type == "application/json"
    body = await response.json()
    if check:
        check("ErrorResponse", body)
    error = body["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["code"] == code and error["param"] == param
    assert error["message"]
    return error


async def test_malformed_json_is_a_400(client, openai_schema):
    response = await client.post(CHAT, data=b'{"model": "loan-calculator", "messages": [',
                                 headers={"Content-Type": "application/json"})
    error = await expect_error(response, 400, None, check=openai_schema)
    assert error["type"] == "invalid_request_error" and "not valid JSON" in error["message"]


@pytest.mark.parametrize("body, param, code", [
    ({"model": "loan-calculator"}, "messages", "missing_required_parameter"),
    ({"messages": [{"role": "user", "content": "hi"}]}, "model", "missing_required_parameter"),
    ({"model": "loan-calculator", "messages": []}, "messages", "invalid_value"),
    ({"model": "loan-calculator", "messages": [{"role": "robot", "content": "hi"}]},
     "messages[0].role", "invalid_value"),
    ({**HELLO, "n": 2}, "n", "unsupported_value"),
    ({**HELLO, "tool_choice": "required"}, "tool_choice", "unsupported_value"),
    ({"model": "loan-calculator", "messages": [{"role": "assistant", "content": "hi"}]},
     "messages", "invalid_value"),
    ([1, 2], None, None),
])
async def test_invalid_requests_are_400s(client, openai_schema, body, param, code):
    response = await client.post(CHAT, json=body)
    await expect_error(response, 400, code, param, check=openai_schema)


async def test_unknown_model_is_a_404(client, openai_schema):
    for stream in (False, True):
        response = await client.post(CHAT, json={**HELLO, "model": "nope", "stream": stream})
        error = await expect_error(response, 404, "model_not_found", "model", openai_schema)
        assert "`nope`" in error["message"]
    response = await client.get("/v1/models/nope")
    await expect_error(response, 404, "model_not_found", "model", openai_schema)


async def test_unknown_route_and_method(client, openai_schema):
    await expect_error(await client.get("/v1/nothing"), 404, "not_found", check=openai_schema)
    await expect_error(await client.get(CHAT), 405, "method_not_allowed", check=openai_schema)


async def test_oversized_body_is_a_413(make_client, settings, openai_schema):
    client = await make_client(settings.replace(max_body_bytes=1000))
    response = await client.post(CHAT, json={**HELLO, "messages": [
        {"role": "user", "content": "x" * 2000}]})
    await expect_error(response, 413, "payload_too_large", check=openai_schema)


async def test_api_keys_are_checked(make_client, settings, openai_schema):
    client = await make_client(settings.replace(api_keys=("secret-key",)))
    response = await client.get("/v1/models")
    error = await expect_error(response, 401, "invalid_api_key", check=openai_schema)
    response = await client.post(CHAT, json=HELLO,
                                 headers={"Authorization": "Bearer wrong-key"})
    error = await expect_error(response, 401, "invalid_api_key", check=openai_schema)
    assert "wrong-key" not in error["message"]
    response = await client.get("/v1/models", headers={"Authorization": "Bearer secret-key"})
    assert response.status == 200
    assert (await client.get("/health")).status == 200


async def test_broken_workflow_files_are_skipped(make_client, settings, tmp_path):
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "good.json").write_text((FIXTURES / "good" / "no-inputs.json").read_text())
    (folder / "broken.json").write_text("{ not json")
    client = await make_client(settings.replace(workflows=str(folder)))
    body = await (await client.get("/v1/models")).json()
    assert [m["id"] for m in body["data"]] == ["no-inputs"]
    health = await (await client.get("/health")).json()
    assert health["workflow_errors"] == 1 and health["status"] == "degraded"
    assert "broken.json: $: not valid JSON" in health["problems"][0]


async def test_store_failure_is_a_json_500_without_details(make_client, settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    client = await make_client(settings.replace(data_dir=str(blocker)))
    for stream in (False, True):
        response = await client.post(CHAT, json={**HELLO, "stream": stream})
        error = await expect_error(response, 500, "server_error")
        assert str(blocker) not in error["message"]


async def test_last_message_may_follow_system_messages(client):
    response = await client.post(CHAT, json={"model": "loan-calculator", "messages": [
        {"role": "user", "content": "hi"}, {"role": "system", "content": "note"}]})
    assert response.status == 200
    json.dumps(await response.json())


async def test_server_errors_tell_sdks_not_to_retry(make_client, settings, tmp_path):
    blocker = tmp_path / "blocked"
    blocker.write_text("")
    client = await make_client(settings.replace(data_dir=str(blocker)))
    response = await client.post(CHAT, json=HELLO)
    assert response.status == 500 and response.headers["x-should-retry"] == "false"


async def test_nested_fixed_values_are_redacted(make_client, settings, tmp_path):
    import json as jsonlib
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "nested.json").write_text(jsonlib.dumps({
        "name": "nested", "fixed": {"creds": {"token": "sk-NESTED-999", "list": ["sk-LIST-777"]}},
        "nodes": [{"id": "a", "type": "template", "summary": "{{ fixed.creds.list[0] }}",
                   "template": "{{ fixed.creds.token }}"},
                  {"id": "b", "type": "template", "template": "{{ {}[nodes.a.text] }}"}],
        "output": "b"}))
    client = await make_client(settings.replace(workflows=str(folder)))
    reply = await Chat(client, "nested").say("go")
    assert "failed" in reply and "NESTED" not in reply and "LIST" not in reply


async def test_the_loop_watchdog_sees_a_blocked_loop():
    import time
    from conftest import LoopWatch
    watch = LoopWatch(requests_only=False)
    watch.start()
    await asyncio.sleep(0.02)
    started = time.thread_time()
    while time.thread_time() - started < 0.15:  # computing on the loop for 150 ms
        pass
    await asyncio.sleep(0.02)
    await watch.stop()
    assert watch.problem() is not None and watch.cpu >= 0.1
