"""Habits of real clients: Open WebUI's background tasks and history rewrites, reasoning
presentation, heartbeats and CORS."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any, Callable

import pytest

from agentgate.testing import FakeLLM, Values
from conftest import FIXTURES, Chat, reply_text, sse_events

CHAT = "/v1/chat/completions"
OWUI_TOOLS = [{"type": "function", "function": {
    "name": name, "description": "built-in", "parameters": {"type": "object", "properties": {
        "query": {"type": "string"}}, "required": ["query"]}}}
    for name in ("search_web", "fetch_url", "query_knowledge_files", "search_notes",
                 "get_current_timestamp", "search_chats", "view_note")]


def transcript(messages: list[dict[str, Any]]) -> str:
    return "\n".join(f"{m['role'].upper()}: {m['content']}" for m in messages)


TASKS = {
    "title_generation": ("### Task:\nGenerate a concise, 3-5 word title with an emoji "
                         "summarizing the chat history.\n### Guidelines:\n- Keep it short.\n"
                         "### Output:\nJSON format: { \"title\": \"your concise title here\" }\n"
                         "### Chat History:\n<chat_history>\n{history}\n</chat_history>"),
    "tags_generation": ("### Task:\nGenerate 1-3 broad tags categorizing the main themes of the "
                        "chat history.\n### Output:\nJSON format: { \"tags\": [\"tag1\", "
                        "\"tag2\", \"tag3\"] }\n### Chat History:\n<chat_history>\n{history}\n"
                        "</chat_history>"),
    "follow_up_generation": ("### Task:\nSuggest 3-5 relevant follow-up questions or prompts "
                             "that the user might naturally ask next.\n### Output:\nJSON format: "
                             "{ \"follow_ups\": [\"Question 1?\", \"Question 2?\"] }\n### Chat "
                             "History:\n<chat_history>\n{history}\n</chat_history>"),
}
EXPECTED = {"title_generation": {"title": "Loan Calculator"},
            "tags_generation": {"tags": ["Loan Calculator"]},
            "follow_up_generation": {"follow_ups": []}}


async def run_task(client, task: str, history: list[dict[str, Any]], header: bool):
    headers = {"X-OpenWebUI-Task": task} if header else {}
    prompt = TASKS[task].replace("{history}", transcript(history))
    response = await client.post(CHAT, headers=headers, json={
        "model": "loan-calculator", "stream": False,
        "messages": [{"role": "user", "content": prompt}]})
    assert response.status == 200
    body = await response.json()
    content = body["choices"][0]["message"]["content"]
    assert "agentgate-conversation" not in content
    return json.loads(content)


def stored_files(tmp_path) -> list:
    folder = tmp_path / "data" / "conversations"
    return sorted(folder.rglob("*.json")) if folder.exists() else []


@pytest.mark.parametrize("header", [True, False])
async def test_background_tasks_get_cheap_answers_and_touch_nothing(
        make_client, settings, tmp_path, header):
    values = {"principal": 300000, "annual_rate": 6.5, "years": 30, "schedule": None}
    async with FakeLLM([Values({"values": values, "reply": None, "action": "none"})]) as fake:
        client = await make_client(settings.replace(llm_base_url=fake.url))
        chat = Chat(client, "loan-calculator")
        # A message the offline reader is not sure of ("for our flat"): the LLM reads it.
        assert "$1,896.20" in await chat.say("300k at 6.5% over 30 years for our flat")
        before = [(p, p.read_bytes()) for p in stored_files(tmp_path)]
        for task in TASKS:
            assert await run_task(client, task, chat.messages, header) == EXPECTED[task]
        assert [(p, p.read_bytes()) for p in stored_files(tmp_path)] == before
        assert len(fake.requests) == 1  # the chat turn's; none for the tasks


async def test_rag_wrapped_message_is_a_normal_turn(client):
    chat = Chat(client, "loan-calculator")
    await chat.say("hi")
    chat.messages.append({"role": "user", "content": (
        "### Task:\nRespond to the user query using the provided context.\n<context>\n"
        "<source id=\"1\">Rates are 6.5% this year.</source>\n</context>\n\n"
        "<user_query>\n300000\n</user_query>")})
    response = await client.post(CHAT, json={"model": "loan-calculator",
                                             "messages": chat.messages})
    reply = (await response.json())["choices"][0]["message"]["content"]
    assert "yearly interest rate" in reply


def verbatim(text: str) -> str:
    return text


def thinking_removed(text: str) -> str:
    return re.sub(r"<thinking>.*?</thinking>\s*", "", text, flags=re.S)


def details_reasoning(text: str) -> str:
    return re.sub(r"<thinking>(.*?)</thinking>",
                  r'<details type="reasoning" done="true" duration="1">\n<summary>Thought for 1 '
                  r'seconds</summary>\n> \1\n</details>', text, flags=re.S)


def whitespace_renormalised(text: str) -> str:
    return re.sub(r"[ \t]*\n\s*", "\n", text.replace("\n", "\r\n")).strip()


VARIANTS: dict[str, Callable[[str], str]] = {
    "verbatim": verbatim, "thinking_removed": thinking_removed,
    "details_reasoning": details_reasoning, "whitespace": whitespace_renormalised}


@pytest.mark.parametrize("variant", [*VARIANTS, "content_parts"])
async def test_open_webui_style_conversation_reaches_the_answer(client, variant):
    """Each turn as Open WebUI sends it: streamed, ~built-in tools attached, no
    stream_options, the history rebuilt from its own store, plus background tasks."""
    rewrite = VARIANTS.get(variant, thinking_removed)
    history: list[dict[str, Any]] = []
    for text in ("principal: 300000", "6.5", "30", "years: 15"):
        history.append({"role": "user", "content": text})
        sent = [dict(m) for m in history]
        if variant == "content_parts":
            sent = [{"role": m["role"], "content": [{"type": "text", "text": m["content"]}]}
                    for m in sent]
        response = await client.post(CHAT, json={"model": "loan-calculator", "stream": True,
                                                 "messages": sent, "tools": OWUI_TOOLS})
        assert response.status == 200
        reply = reply_text(sse_events(await response.text()))
        history.append({"role": "assistant", "content": rewrite(reply)})
        await run_task(client, "follow_up_generation", history, header=False)
    assert "$1,896.20" in history[5]["content"]
    assert "$2,613.32" in history[7]["content"]


async def test_reasoning_content_presentation(make_client, settings):
    client = await make_client(settings.replace(reasoning="reasoning_content"))
    body = {"model": "loan-calculator",
            "messages": [{"role": "user", "content": "principal: 1000, annual_rate: 5, years: 1"}]}
    message = (await (await client.post(CHAT, json=body)).json())["choices"][0]["message"]
    assert "<thinking>" not in message["content"] and "$85.61" in message["content"]
    assert "✓ Writing the answer" in message["reasoning_content"]
    events = sse_events(await (await client.post(CHAT, json={**body, "stream": True})).text())
    deltas = [e["choices"][0]["delta"] for e in events[:-1] if e["choices"]]
    assert any("✓ Writing the answer" in d.get("reasoning_content", "") for d in deltas)
    assert "<thinking>" not in "".join(d.get("content", "") for d in deltas)


async def test_no_progress_presentation(make_client, settings):
    client = await make_client(settings.replace(reasoning="none"))
    reply = await Chat(client, "loan-calculator").say(
        "principal: 1000, annual_rate: 5, years: 1", stream=True)
    assert "<thinking>" not in reply and "✓" not in reply and "$85.61" in reply


async def test_heartbeats_keep_a_slow_stream_alive(make_client, settings, monkeypatch):
    from agentgate.workflow.nodes import NODE_TYPES
    from agentgate.workflow.nodes.template import TemplateNode

    class SlowTemplate(TemplateNode):
        quick = False  # so that the runner awaits `run`

        async def run(self, context):
            await asyncio.sleep(0.35)
            return await super().run(context)

    monkeypatch.setitem(NODE_TYPES, "template", SlowTemplate)
    client = await make_client(settings.replace(workflows=str(FIXTURES / "good"),
                                                heartbeat_seconds=0.1))
    response = await client.post(CHAT, json={"model": "no-inputs", "stream": True,
                                             "messages": [{"role": "user", "content": "go"}]})
    raw = await response.text()
    assert raw.count(": ping\n\n") >= 2
    assert "Hello from A WORKFLOW." in reply_text(sse_events(raw))


async def test_cors_for_allowed_origins_only(make_client, settings):
    client = await make_client(settings.replace(cors_origins=("http://localhost:3000",)))
    preflight = await client.options(CHAT, headers={
        "Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert preflight.status == 204
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    response = await client.post(CHAT, headers={"Origin": "http://localhost:3000"}, json={
        "model": "loan-calculator", "stream": True,
        "messages": [{"role": "user", "content": "hi"}]})
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    other = await client.get("/v1/models", headers={"Origin": "http://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    refused = await client.options(CHAT, headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert refused.status == 403


async def test_models_carry_readable_names_and_stable_created(make_client, settings):
    first = await (await (await make_client(settings)).get("/v1/models")).json()
    second = await (await (await make_client(settings)).get("/v1/models")).json()
    assert first == second
    assert all(m["name"] and m["description"] for m in first["data"])


async def test_a_turn_slow_to_start_opens_its_stream_and_sends_heartbeats(
        make_client, settings):
    from agentgate.testing import Delay
    values = {"principal": 300000, "annual_rate": 6.5, "years": 30, "schedule": None}
    async with FakeLLM([Delay(0.45, Values({"values": values, "reply": None,
                                            "action": "none"}))]) as fake:
        client = await make_client(settings.replace(llm_base_url=fake.url,
                                                    heartbeat_seconds=0.1))
        response = await client.post(CHAT, json={
            "model": "loan-calculator", "stream": True,
            "messages": [{"role": "user", "content": "300k, 6.5%, 30 years for our flat"}]})
        raw = await response.text()
    assert raw.count(": ping\n\n") >= 2
    assert "$1,896.20" in reply_text(sse_events(raw))
