"""Time, work and memory limits that hold even when a workflow computes without awaiting,
calls itself, maps over huge lists or fetches huge answers; and secrets that stay secret in
the forms templates make of them."""

from __future__ import annotations

import json
import logging
import time

import pytest
from aiohttp import web

from agentgate.workflow.loader import Catalog, load_file
from agentgate.workflow.runner import RunFailed, run_workflow
from agentgate.workflow.runtime import Runtime


def flow(tmp_path, nodes: list[dict], output: str, name: str | None = None, **extra):
    path = tmp_path / f"{name or 'flow'}{len(list(tmp_path.glob('*.json')))}.json"
    path.write_text(json.dumps({"nodes": nodes, "output": output,
                                **({"name": name} if name else {}), **extra}))
    return load_file(path, env={})


async def run(workflow, runtime=None, values=None) -> list:
    return [event async for event in run_workflow(workflow, values or {}, runtime)]


async def test_a_busy_template_stops_at_its_time_limit(tmp_path):
    busy = ("{% for i in range(100000) %}{% for j in range(100000) %}{{ '' }}"
            "{% endfor %}{% endfor %}done")
    workflow = flow(tmp_path, [{"id": "a", "type": "template", "timeout": 0.5,
                                "template": busy}], "a")
    started = time.monotonic()
    with pytest.raises(RunFailed, match="took longer than 0.5 s"):
        await run(workflow)
    assert time.monotonic() - started < 5  # not the hours the loops would take


@pytest.mark.parametrize("template, reason", [
    ("{{ 'x' * 100000000 }}", "repetition too large"),
    ("{{ 2 ** 1000000000 }}", "power too large"),
    ("{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}"
     "{% endfor %}{{ ns.s | length }}", "too large to build"),
])
async def test_a_template_cannot_build_something_huge(tmp_path, template, reason):
    workflow = flow(tmp_path, [{"id": "a", "type": "template", "template": template}], "a")
    with pytest.raises(RunFailed, match=reason):
        await run(workflow)


async def test_a_map_over_too_many_items_is_refused(tmp_path):
    workflow = flow(tmp_path, [{"id": "m", "type": "map", "items": "range(100000)",
                                "nodes": [{"id": "i", "type": "template",
                                           "template": "{{ item }}"}], "output": "i"}], "m")
    with pytest.raises(RunFailed, match="more than 1,000 items"):
        await run(workflow)


async def test_a_workflow_calling_itself_through_a_map_is_stopped(tmp_path):
    (tmp_path / "loop.json").write_text(json.dumps({
        "name": "loop", "nodes": [{"id": "m", "type": "map", "items": "[1, 2, 3, 4]",
                                    "concurrency": 4,
                                    "nodes": [{"id": "again", "type": "workflow",
                                               "workflow": "loop"}], "output": "again"}],
        "output": "m"}))
    catalog = Catalog([tmp_path], env={})
    catalog.refresh()
    started = time.monotonic()
    with pytest.raises(RunFailed, match="more than|deep"):
        await run(catalog.get("loop"), Runtime(catalog=catalog, max_steps=500))
    assert time.monotonic() - started < 10


async def test_an_http_answer_over_the_limit_is_refused(tmp_path, aiohttp_server):
    async def huge(request: web.Request) -> web.Response:
        return web.Response(text="x" * 300_000)
    app = web.Application()
    app.router.add_get("/big", huge)
    server = await aiohttp_server(app)
    workflow = flow(tmp_path, [{"id": "h", "type": "http",
                                "url": str(server.make_url("/big"))}], "h")
    with pytest.raises(RunFailed, match="larger than 100,000 bytes"):
        await run(workflow, Runtime(max_http_bytes=100_000))


async def test_forms_of_a_secret_never_reach_the_user_or_the_log(tmp_path, caplog):
    secret = "Sk-Live-Abcdefgh12345678"
    forms = (secret, secret.lower(), secret[3:15], secret.lower().replace("-", "_"))
    summarised = flow(tmp_path, [{"id": "a", "type": "template", "template": "ok",
                                  "summary": "{{ fixed.key | lower }} {{ fixed.key[3:15] }}"}],
                      "a", fixed={"key": secret})
    summaries = [getattr(e, "summary", None) or "" for e in await run(summarised)]
    failing = flow(tmp_path, [{"id": "b", "type": "template", "template":
                               "{{ {}[fixed.key | lower | replace('-', '_')] }}"}], "b",
                   fixed={"key": secret})
    caplog.set_level(logging.INFO)
    with pytest.raises(RunFailed) as failure:
        await run(failing)
    shown = " ".join(summaries) + failure.value.message + caplog.text
    assert "***" in " ".join(summaries)  # the summary ran, with the value masked
    for form in forms:
        assert form not in shown and form[4:12] not in shown


async def test_answer_pieces_waiting_for_a_slow_client_are_held_as_one():
    from agentgate.events import AnswerDelta, NodeStarted
    from agentgate.workflow.event_buffer import EventBuffer
    buffer = EventBuffer(max_answer_chars=1_000_000)
    buffer.put(NodeStarted("a", "A"))
    for index in range(50_000):
        buffer.put(AnswerDelta(str(index % 10)))
    assert len(buffer) == 2  # the progress event and one joined answer
    buffer.put(NodeStarted("b", "B"))
    buffer.put(AnswerDelta("end"))
    buffer.close()
    taken = []
    while (event := await buffer.get()) is not None:
        taken.append(event)
    assert [type(e).__name__ for e in taken] == ["NodeStarted", "AnswerDelta", "NodeStarted",
                                                 "AnswerDelta"]
    assert taken[1].text == "0123456789" * 5_000 and taken[3].text == "end"


async def test_a_streamed_answer_past_the_limit_fails_the_run(tmp_path, monkeypatch):
    from agentgate.workflow import nodes

    class Chatty(nodes.Node):
        type_name = "chatty"

        async def run(self, context):
            for _ in range(1_000):
                context.stream("x" * 100)
            return {"text": "x" * 100_000}

    monkeypatch.setitem(nodes.NODE_TYPES, "chatty", Chatty)
    workflow = flow(tmp_path, [{"id": "c", "type": "chatty"}], "c")
    assert "".join(e.text for e in await run(workflow) if hasattr(e, "text")) == "x" * 100_000
    with pytest.raises(RunFailed, match="longer than 50,000 characters"):
        await run(workflow, Runtime(max_answer_chars=50_000))


async def test_a_whole_answer_past_the_limit_fails_the_run(tmp_path):
    workflow = flow(tmp_path, [{"id": "a", "type": "template",
                                "template": "{{ 'y' * 20000 }}"}], "a")
    with pytest.raises(RunFailed, match="longer than 10,000 characters"):
        await run(workflow, Runtime(max_answer_chars=10_000))


def test_every_run_limit_setting_reaches_the_runtime():
    from agentgate.settings import Settings
    from agentgate.workflow.runtime import RunLimits
    settings = Settings(node_timeout=7, run_timeout=70, max_run_steps=77, max_map_items=7,
                        max_http_bytes=777, max_answer_chars=7777)
    runtime = RunLimits.from_settings(settings).runtime()
    assert (runtime.node_timeout, runtime.run_timeout, runtime.max_steps,
            runtime.max_map_items, runtime.max_http_bytes, runtime.max_answer_chars) == \
        (7, 70, 77, 7, 777, 7777)
    nested = runtime.nested()
    assert nested.depth == 1 and nested.steps is runtime.steps and nested.spent is \
        runtime.spent and nested.max_answer_chars == 7777
