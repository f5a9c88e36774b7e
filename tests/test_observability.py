"""Operators can watch the service: Prometheus metrics at /metrics, request ids, and JSON
log lines naming the request and the conversation; no secret in any of them."""

from __future__ import annotations

import json
import logging
import re

import pytest

from agentgate.logs import JsonFormatter, configure
from agentgate.testing import FakeLLM, Values
from conftest import FIXTURES, Chat

SECRET = "sk-trip-SECRET-5678"


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in a Prometheus text page (0 when absent)."""
    for line in text.splitlines():
        found = re.fullmatch(rf"{re.escape(name)}(?:{{(.*)}})? (\S+)", line)
        if found and dict(re.findall(r'(\w+)="([^"]*)"', found.group(1) or "")) == labels:
            return float(found.group(2))
    return 0.0


async def metrics_of(client) -> str:
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    return await response.text()


async def test_turns_runs_and_steps_are_counted(client):
    chat = Chat(client, "loan-calculator")
    await chat.say("hello")
    await chat.say("principal: 300000, annual_rate: 6.5, years: 30", stream=True)
    page = await metrics_of(client)
    assert sample(page, "agentgate_turns_total", workflow="loan-calculator",
                  outcome="asked") == 1
    assert sample(page, "agentgate_turns_total", workflow="loan-calculator",
                  outcome="answered") == 1
    assert sample(page, "agentgate_runs_total", workflow="loan-calculator", outcome="ok") == 1
    assert sample(page, "agentgate_run_seconds_count", workflow="loan-calculator") == 1
    for node in ("monthly", "totals", "balances", "answer"):
        assert sample(page, "agentgate_node_seconds_count", workflow="loan-calculator",
                      node=node) == 1
    assert sample(page, "agentgate_open_streams") == 0


async def test_failed_steps_errors_and_background_tasks_are_counted(make_client, settings):
    client = await make_client(settings.replace(workflows=str(FIXTURES / "good")))
    await Chat(client, "leaky-failure").say("word: hello")
    await client.post("/v1/chat/completions", json={"model": "nope", "messages": [
        {"role": "user", "content": "hi"}]})
    await client.post("/v1/chat/completions", data=b"{")
    await client.post("/v1/chat/completions", json={
        "model": "trip-planner", "stream": False, "messages": [
            {"role": "user", "content": "### Task:\nGenerate a concise title\n"
                                        "<chat_history>\nUSER: hi\n</chat_history>"}]})
    page = await metrics_of(client)
    assert sample(page, "agentgate_turns_total", workflow="leaky-failure",
                  outcome="failed") == 1
    assert sample(page, "agentgate_runs_total", workflow="leaky-failure",
                  outcome="failed") == 1
    assert sample(page, "agentgate_errors_total", status="404", code="model_not_found") == 1
    assert sample(page, "agentgate_errors_total", status="400", code="none") + sample(
        page, "agentgate_errors_total", status="400", code="invalid_request_error") == 1
    assert sample(page, "agentgate_turns_total", workflow="trip-planner", outcome="task") == 1
    assert "leaky" in page and SECRET not in page


async def test_a_workflow_needing_an_llm_without_one_counts_as_unavailable(client):
    await Chat(client, "trip-planner").say("hi")
    page = await metrics_of(client)
    assert sample(page, "agentgate_turns_total", workflow="trip-planner",
                  outcome="unavailable") == 1


async def test_internal_llm_calls_tokens_and_failures_are_counted(make_client, settings):
    empty = {"destination": None, "budget": None, "travel_dates": None, "style": None}
    async with FakeLLM([Values({"values": {**empty, "destination": "Paris"}, "reply": "When?",
                                "action": "none"}, prompt_tokens=700, completion_tokens=40)
                        ]) as fake:
        client = await make_client(settings.replace(
            workflows=str(FIXTURES / "good"), llm_base_url=fake.url, llm_timeout=0.5,
            llm_attempts=1, turn_deadline=1.0))
        chat = Chat(client, "trip-planner")
        await chat.say("I'd like to go to Paris")
        await chat.say("somewhere with a budget")  # the script is empty: this call fails
        page = await metrics_of(client)
    assert sample(page, "agentgate_llm_calls_total", purpose="extraction", outcome="ok") == 1
    assert sample(page, "agentgate_llm_calls_total", purpose="extraction",
                  outcome="failed") == 1
    assert sum(float(v) for v in re.findall(
        r'^agentgate_llm_failures_total{reason="[^"]+"} (\S+)$', page, re.M)) == 1
    assert sample(page, "agentgate_llm_tokens_total", kind="prompt") >= 700
    assert sample(page, "agentgate_llm_tokens_total", kind="completion") >= 40
    assert SECRET not in page and fake.url not in page


async def test_metrics_need_the_api_key_when_keys_are_set(make_client, settings):
    client = await make_client(settings.replace(api_keys=("key-one",)))
    response = await client.get("/metrics")
    assert response.status == 401 and "key-one" not in await response.text()
    response = await client.get("/metrics", headers={"Authorization": "Bearer key-one"})
    assert response.status == 200 and "key-one" not in await response.text()


async def test_requests_carry_an_id(client):
    response = await client.get("/v1/models")
    assert re.fullmatch(r"[0-9a-f]{16}", response.headers["X-Request-Id"])
    response = await client.get("/v1/models", headers={"X-Request-Id": "trace-42"})
    assert response.headers["X-Request-Id"] == "trace-42"
    response = await client.get("/v1/models", headers={"X-Request-Id": "bad id\u00e9"})
    assert response.headers["X-Request-Id"] != "bad id\u00e9"
    streamed = await client.post("/v1/chat/completions", json={
        "model": "loan-calculator", "stream": True,
        "messages": [{"role": "user", "content": "hi"}]}, headers={"X-Request-Id": "s-1"})
    assert streamed.headers["X-Request-Id"] == "s-1"


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def json_records():
    """Every record logged during the test, as the JSON log format writes it."""
    handler, root = _Lines(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in handler.lines]
    root.removeHandler(handler)
    root.setLevel(level)


async def test_json_log_lines_name_the_request_and_conversation(make_client, settings,
                                                                json_records):
    client = await make_client(settings.replace(workflows=str(FIXTURES / "good")))
    chat = Chat(client, "leaky-failure")
    chat.headers = {"X-Request-Id": "first"}
    reply = await chat.say("hello")
    marker = re.search(r"ag_[A-Za-z0-9]{22}", reply).group(0)
    chat.headers = {"X-Request-Id": "second"}
    await chat.say("word: hello")
    entries = [e for e in json_records() if e.get("request_id") == "second"]
    assert entries, json_records()
    assert all(e["conversation_id"] == marker[:11] + "…" for e in entries)
    assert all(set(e) >= {"time", "level", "logger", "message"} for e in entries)
    text = json.dumps(json_records())
    assert SECRET not in text and marker not in text


def test_configure_writes_one_json_object_per_line(capsys):
    configure("info", "json")
    try:
        logging.getLogger("agentgate.test").warning("two\nlines")
    finally:
        configure("info", "text")
    [line] = capsys.readouterr().err.splitlines()
    entry = json.loads(line)
    assert entry["message"] == "two\nlines" and entry["level"] == "warning"
