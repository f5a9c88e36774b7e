"""The built-in node types, run through the runner (and, where it matters, over HTTP)."""

from __future__ import annotations

import asyncio
import json
import time
import pytest
from aiohttp import web

from agentgate.events import AnswerDelta, NodeFinished, NodeSkipped
from agentgate.testing import FakeLLM, Text
from agentgate.workflow import nodes as node_types
from agentgate.workflow.loader import Catalog, WorkflowInvalid, load_file, load_paths
from agentgate.workflow.nodes.base import Node
from agentgate.workflow.runner import RunFailed, run_workflow
from agentgate.workflow.runtime import Runtime
from conftest import WORKFLOWS, Chat, WaitNode, sse_events


@pytest.fixture(autouse=True)
def _wait(wait_type):
    """Every test here may use the `wait` node type."""


def flow(tmp_path, nodes: list[dict], output: str, **extra):
    path = tmp_path / f"flow{len(list(tmp_path.glob('*.json')))}.json"
    path.write_text(json.dumps({"nodes": nodes, "output": output, **extra}))
    return load_file(path)


async def events_of(workflow, values=None, runtime=None):
    return [event async for event in run_workflow(workflow, values or {}, runtime)]


async def test_two_independent_slow_nodes_run_at_the_same_time(tmp_path):
    workflow = flow(tmp_path, [
        {"id": "a", "type": "wait", "seconds": 0.3, "text": "A"},
        {"id": "b", "type": "wait", "seconds": 0.3, "text": "B"},
        {"id": "both", "type": "template", "template": "{{ nodes.a.text }}{{ nodes.b.text }}"}],
        "both")
    started = time.monotonic()
    events = await events_of(workflow)
    assert time.monotonic() - started < 0.5
    assert events[-1] == AnswerDelta("AB")


async def test_branch_runs_one_arm_and_reports_the_other_skipped(tmp_path):
    nodes = [
        {"id": "check", "type": "branch", "condition": "inputs.n > 10",
         "then": ["big"], "else": ["small"]},
        {"id": "big", "type": "template", "title": "Big path", "template": "big"},
        {"id": "small", "type": "template", "title": "Small path", "template": "small"},
        {"id": "after_big", "type": "template", "title": "After big",
         "template": "{{ nodes.big.text }}!"},
        {"id": "answer", "type": "template",
         "template": "{{ nodes.big.text if nodes.big is defined else nodes.small.text }}"}]
    workflow = flow(tmp_path, nodes, "answer",
                    inputs={"n": {"type": "integer", "description": "n"}})
    events = await events_of(workflow, {"n": 3})
    skipped = [e.id for e in events if isinstance(e, NodeSkipped)]
    assert skipped == ["big", "after_big"]
    assert events[-1] == AnswerDelta("small")
    events = await events_of(workflow, {"n": 30})
    assert [e.id for e in events if isinstance(e, NodeSkipped)] == ["small"]
    assert events[-1] == AnswerDelta("big")


async def test_map_runs_each_item_in_order_with_a_concurrency_limit(tmp_path):
    workflow = flow(tmp_path, [
        {"id": "each", "type": "map", "items": "inputs.words", "concurrency": 2,
         "summary": "{{ result.count }} items", "nodes": [
             {"id": "slow", "type": "wait", "seconds": 0.05},
             {"id": "shout", "type": "template",
              "template": "{{ index }}:{{ nodes.slow.text | upper }}{{ fixed.mark }}"}],
         "output": "shout"},
        {"id": "answer", "type": "template", "template": "{{ nodes.each.text }}"}],
        "answer", fixed={"mark": "!"}, inputs={"words": {"type": "array", "description": "w"}})
    events = await events_of(workflow, {"words": ["a", "b", "c", "d", "e"]})
    assert events[-1].text == "0:A!\n1:B!\n2:C!\n3:D!\n4:E!"
    assert WaitNode.most == 2
    assert any(isinstance(e, NodeFinished) and e.summary == "5 items" for e in events)


async def test_map_over_an_empty_list(tmp_path):
    workflow = flow(tmp_path, [
        {"id": "each", "type": "map", "items": "[]", "nodes": [
            {"id": "one", "type": "template", "template": "{{ item }}"}], "output": "one"},
        {"id": "answer", "type": "template",
         "template": "{{ nodes.each.count }} items: [{{ nodes.each.text }}]"}], "answer")
    assert (await events_of(workflow))[-1].text == "0 items: []"


async def test_map_with_a_failing_item_fails_or_skips_it(tmp_path):
    sub = [{"id": "w", "type": "wait", "seconds": 0.01}]
    failing = flow(tmp_path, [{"id": "each", "type": "map", "items": "['x', 'boom', 'y']",
                               "nodes": sub, "output": "w"}], "each")
    with pytest.raises(RunFailed) as caught:
        await events_of(failing)
    assert caught.value.message == "item 1: this item explodes"
    tolerant = flow(tmp_path, [{"id": "each", "type": "map", "items": "['x', 'boom', 'y']",
                                "on_error": "skip", "nodes": sub, "output": "w"},
                               {"id": "answer", "type": "template",
                                "template": "{{ nodes.each.text }} {{ nodes.each.results[1] }} "
                                            "{{ nodes.each.errors[0].error }}"}], "answer")
    assert (await events_of(tolerant))[-1].text == "x\ny None this item explodes"


async def test_map_sub_graph_can_read_outer_nodes(tmp_path):
    workflow = flow(tmp_path, [
        {"id": "prefix", "type": "template", "template": "#"},
        {"id": "each", "type": "map", "items": "[1, 2]", "nodes": [
            {"id": "one", "type": "template", "template": "{{ nodes.prefix.text }}{{ item }}"}],
         "output": "one", "separator": " "}], "each")
    assert workflow.dependencies["each"] == {"prefix"}
    assert (await events_of(workflow))[-1].text == "#1 #2"


async def test_json_node_selects_and_picks(tmp_path):
    workflow = flow(tmp_path, [
        {"id": "raw", "type": "template",
         "template": '{"people": [{"name": "Ana", "age": 31, "city": "Porto"}, '
                     '{"name": "Bo", "age": 40, "city": "Oslo"}]}'},
        {"id": "parsed", "type": "json", "text": "{{ nodes.raw.text }}", "select": "$.people",
         "pick": ["name", "city"]},
        {"id": "names", "type": "json", "value": "nodes.parsed.json", "select": "[*].name"},
        {"id": "answer", "type": "template",
         "template": "{{ nodes.names.json | join(', ') }} / {{ nodes.parsed.json[1] }}"}],
        "answer")
    assert (await events_of(workflow))[-1].text == "Ana, Bo / {'name': 'Bo', 'city': 'Oslo'}"


async def test_json_node_reports_bad_json_and_bad_paths(tmp_path):
    bad = flow(tmp_path, [{"id": "p", "type": "json", "text": "{nope"}], "p")
    with pytest.raises(RunFailed, match="not valid JSON"):
        await events_of(bad)
    missing = flow(tmp_path, [{"id": "p", "type": "json", "value": "{'a': 1}",
                               "select": "$.b"}], "p")
    with pytest.raises(RunFailed, match=r"\$ has no key 'b'"):
        await events_of(missing)


@pytest.fixture
async def stub(aiohttp_server):
    """A local JSON service standing in for real APIs."""
    seen: list[web.Request] = []

    async def echo(request: web.Request) -> web.Response:
        seen.append(request)
        body = await request.json() if request.can_read_body else None
        return web.json_response({"query": dict(request.query), "body": body,
                                  "auth": request.headers.get("Authorization")})

    async def fail(request: web.Request) -> web.Response:
        return web.json_response({"error": "nope"}, status=503)

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({})

    app = web.Application()
    app.router.add_route("*", "/echo", echo)
    app.router.add_get("/fail", fail)
    app.router.add_get("/slow", slow)
    server = await aiohttp_server(app)
    server.seen = seen
    return server


async def test_http_node_sends_templated_query_headers_and_body(tmp_path, stub):
    workflow = flow(tmp_path, [
        {"id": "call", "type": "http", "method": "POST", "url": "{{ fixed.base }}/echo",
         "query": {"q": "{{ inputs.q }}"}, "headers": {"Authorization": "Bearer {{ fixed.key }}"},
         "body": {"ask": "{{ inputs.q }}", "n": 2}, "select": "$.query.q"}],
        "call", inputs={"q": {"description": "q"}},
        fixed={"base": str(stub.make_url("")).rstrip("/"), "key": "sk-http-SECRET"})
    events = await events_of(workflow, {"q": "a b&c"})
    assert events[-1].text == "a b&c"
    request = stub.seen[-1]
    assert request.headers["Authorization"] == "Bearer sk-http-SECRET"


async def test_http_node_status_and_timeout_failures_are_clear(tmp_path, stub):
    base = str(stub.make_url("")).rstrip("/")
    failing = flow(tmp_path, [{"id": "call", "type": "http", "url": base + "/fail"}], "call")
    with pytest.raises(RunFailed, match="answered HTTP 503"):
        await events_of(failing)
    accepting = flow(tmp_path, [{"id": "call", "type": "http", "url": base + "/fail",
                                 "expect_status": [503], "select": "error"}], "call")
    assert (await events_of(accepting))[-1].text == "nope"
    slow = flow(tmp_path, [{"id": "call", "type": "http", "url": base + "/slow",
                            "timeout": 0.2}], "call")
    with pytest.raises(RunFailed, match="took longer than 0.2 s"):
        await events_of(slow)


async def test_node_and_run_timeouts(tmp_path):
    workflow = flow(tmp_path, [{"id": "w", "type": "wait", "seconds": 5, "timeout": 0.1}], "w")
    with pytest.raises(RunFailed, match="took longer than 0.1 s"):
        await events_of(workflow)
    workflow = flow(tmp_path, [{"id": "w", "type": "wait", "seconds": 5}], "w")
    with pytest.raises(RunFailed, match="workflow took longer than 0.2 s"):
        await events_of(workflow, runtime=Runtime(run_timeout=0.2))
    assert WaitNode.cancelled == ["w", "w"]


async def test_workflow_node_calls_another_workflow(tmp_path):
    catalog = load_paths([WORKFLOWS])
    workflow = flow(tmp_path, [
        {"id": "loan", "type": "workflow", "workflow": "loan-calculator",
         "inputs": {"principal": "inputs.amount", "annual_rate": "6.5", "years": "'30'"}},
        {"id": "answer", "type": "template", "template": "Inner: {{ nodes.loan.text }}"}],
        "answer", inputs={"amount": {"type": "number", "description": "a"}})
    events = await events_of(workflow, {"amount": 300000}, Runtime(catalog=catalog))
    assert "$1,896.20" in events[-1].text
    missing = flow(tmp_path, [{"id": "loan", "type": "workflow", "workflow": "loan-calculator",
                               "inputs": {"principal": "5"}}], "loan")
    with pytest.raises(RunFailed, match="also needs annual_rate, years"):
        await events_of(missing, runtime=Runtime(catalog=catalog))
    unknown = flow(tmp_path, [{"id": "x", "type": "workflow", "workflow": "nope"}], "x")
    with pytest.raises(RunFailed, match="no workflow named 'nope'"):
        await events_of(unknown, runtime=Runtime(catalog=catalog))


async def test_a_workflow_calling_itself_stops(tmp_path):
    path = tmp_path / "loop.json"
    path.write_text(json.dumps({"name": "loop", "nodes": [
        {"id": "again", "type": "workflow", "workflow": "loop"}], "output": "again"}))
    catalog = load_paths([tmp_path])
    with pytest.raises(RunFailed, match="more than 5 deep"):
        await events_of(catalog.get("loop"), runtime=Runtime(catalog=catalog))


async def test_llm_answer_node_streams_its_tokens(make_client, settings):
    # Every value is named, so the message is read without the LLM: its one call is the
    # `llm` node's.
    async with FakeLLM([Text("Day 1: arrive and walk the old town. Day 2: museums.",
                             chunk_size=6, chunk_delay=0.02)]) as fake:
        client = await make_client(settings.replace(llm_base_url=fake.url))
        response = await client.post("/v1/chat/completions", json={
            "model": "trip-planner", "stream": True, "messages": [{"role": "user", "content":
                "destination: Lisbon, days: 2, budget: 800"}]})
        events = sse_events(await response.text())
    pieces = [e["choices"][0]["delta"].get("content", "") for e in events[:-1] if e["choices"]]
    closing = next(i for i, p in enumerate(pieces) if "</thinking>" in p)
    echo, *answer = [p for p in pieces[closing + 1:] if p and "agentgate-conversation" not in p]
    assert echo.startswith("Got it: **destination** = Lisbon")  # what the message set
    assert len(answer) > 1 and "".join(answer) == \
        "Day 1: arrive and walk the old town. Day 2: museums."
    assert len(fake.requests) == 1
    sent = fake.requests[0]
    assert sent.body["stream"] is True and sent.body["temperature"] == 0.7
    assert "Plan a comfort trip to Lisbon for 2 days with a total budget of $800 (about $400 " \
        "a day)." == sent.messages[-1]["content"]
    assert sent.messages[0]["role"] == "system"


async def test_llm_node_without_a_model_says_what_to_set():
    workflow = load_file(WORKFLOWS / "trip-planner.json")
    with pytest.raises(RunFailed) as failed:
        await events_of(workflow, {"destination": "Rome", "days": 2, "budget": 500})
    assert "needs a language model" in failed.value.message
    assert "AGENTGATE_LLM_BASE_URL" in failed.value.message


async def test_node_summaries_show_and_results_stay_private(tmp_path):
    workflow = flow(tmp_path, [
        {"id": "secret", "type": "template", "title": "Using the key",
         "template": "{{ fixed.key }}", "summary": "{{ result.text | length }} characters"},
        {"id": "answer", "type": "template", "template": "done"}], "answer",
        fixed={"key": "sk-summary-SECRET"})
    events = await events_of(workflow)
    finished = [e for e in events if isinstance(e, NodeFinished) and e.id == "secret"]
    assert finished[0].summary == "17 characters"
    assert "SECRET" not in repr([e for e in events if not isinstance(e, AnswerDelta)])


async def test_a_client_disconnect_cancels_the_running_node(make_client, settings, tmp_path):
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "slow.json").write_text(json.dumps({"name": "slow", "nodes": [
        {"id": "w", "type": "wait", "seconds": 10, "text": "never"}], "output": "w"}))
    client = await make_client(settings.replace(workflows=str(folder)))
    response = await client.post("/v1/chat/completions", json={
        "model": "slow", "stream": True, "messages": [{"role": "user", "content": "go"}]})
    await response.content.readline()
    for _ in range(50):
        if WaitNode.running:
            break
        await asyncio.sleep(0.02)
    assert WaitNode.running == 1
    response.close()
    for _ in range(100):
        if WaitNode.cancelled:
            break
        await asyncio.sleep(0.02)
    assert WaitNode.cancelled == ["w"] and WaitNode.running == 0
    pending = [t for t in asyncio.all_tasks() if "_run_node" in repr(t.get_coro())]
    assert pending == []


def test_load_errors_inside_map_and_branch_name_the_culprit(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"nodes": [
        {"id": "pick", "type": "branch", "condition": "true", "then": ["ghost"]},
        {"id": "each", "type": "map", "items": "[1]", "output": "inner", "nodes": [
            {"id": "inner", "type": "template", "template": "{{ nodes.nowhere.text }}"},
            {"id": "pick", "type": "template", "template": "dup"}]}], "output": "each"}))
    with pytest.raises(WorkflowInvalid) as caught:
        load_file(path)
    text = str(caught.value)
    assert "$.nodes[0]: node 'pick' chooses unknown node 'ghost'" in text
    assert "$.nodes[1].nodes[0]: node 'inner' references unknown node 'nowhere'" in text
    assert "$.nodes[1].nodes[1].id: duplicate node id 'pick'" in text


def test_hot_reload_picks_up_changes_and_keeps_the_last_good_version(tmp_path, caplog):
    good = {"name": "flow", "nodes": [{"id": "a", "type": "template", "template": "v1"}],
            "output": "a"}
    path = tmp_path / "flow.json"
    path.write_text(json.dumps(good))
    catalog = Catalog([tmp_path])
    assert catalog.refresh() and catalog.get("flow").nodes["a"].params.template == "v1"
    assert not catalog.refresh()
    good["nodes"][0]["template"] = "v2 is longer"
    path.write_text(json.dumps(good))
    assert catalog.refresh() and catalog.get("flow").nodes["a"].params.template == "v2 is longer"
    path.write_text('{"name": "flow", "nodes": []}')
    assert catalog.refresh()
    assert catalog.get("flow").nodes["a"].params.template == "v2 is longer"
    assert "last good version keeps serving" in caplog.text and catalog.problems
    (tmp_path / "other.json").write_text(json.dumps({**good, "name": "other"}))
    path.unlink()
    catalog.refresh()
    assert set(catalog.workflows) == {"other"} and not catalog.problems


async def test_the_server_reloads_workflow_files(make_client, settings, tmp_path):
    folder = tmp_path / "flows"
    folder.mkdir()
    client = await make_client(settings.replace(workflows=str(folder), reload_seconds=0.05))
    assert (await (await client.get("/v1/models")).json())["data"] == []
    (folder / "fresh.json").write_text(json.dumps({"nodes": [
        {"id": "a", "type": "template", "template": "hello"}], "output": "a"}))
    for _ in range(100):
        models = (await (await client.get("/v1/models")).json())["data"]
        if models:
            break
        await asyncio.sleep(0.02)
    assert [m["id"] for m in models] == ["fresh"]


async def test_a_failing_map_item_cancels_the_items_still_running(tmp_path):
    workflow = flow(tmp_path, [{"id": "each", "type": "map", "items": "['boom', 'x']",
                                "concurrency": 2, "nodes": [
                                    {"id": "quick", "type": "wait", "seconds": 0.02},
                                    {"id": "long", "type": "wait", "seconds": 5}],
                                "output": "long"}], "each")
    started = time.monotonic()
    with pytest.raises(RunFailed, match="item 0: this item explodes"):
        await events_of(workflow)
    assert time.monotonic() - started < 2
    assert WaitNode.cancelled.count("long") == 2 and WaitNode.running == 0


async def test_a_node_s_own_timeout_message_is_kept(tmp_path, monkeypatch):
    class Impatient(Node):
        type_name = "impatient"

        async def run(self, context):
            raise TimeoutError("the service gave up after 3 s")

    monkeypatch.setitem(node_types.NODE_TYPES, "impatient", Impatient)
    workflow = flow(tmp_path, [{"id": "i", "type": "impatient"}], "i")
    with pytest.raises(RunFailed, match="the service gave up after 3 s"):
        await events_of(workflow)


async def test_map_item_errors_are_redacted(tmp_path):
    workflow = flow(tmp_path, [
        {"id": "each", "type": "map", "items": "[1]", "on_error": "skip", "nodes": [
            {"id": "bad", "type": "json", "value": "{}", "select": "$.{{ fixed.key }}"}],
         "output": "bad"},
        {"id": "answer", "type": "template", "template": "{{ nodes.each.errors }}"}],
        "answer", fixed={"key": "topsecretkey"})
    events = await events_of(workflow)
    assert "topsecretkey" not in events[-1].text


def test_problems_point_at_the_right_node_and_are_not_repeated(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"nodes": [
        {"id": "broken", "type": "nope"},
        {"id": "fine", "type": "template", "template": "{{ nodes.missing.text }}"},
        {"id": "uses", "type": "template", "template": "{{ nodes.broken.text }}",
         "summary": "{{ nodes.ghost }} {% if %}"}], "output": "broken"}))
    with pytest.raises(WorkflowInvalid) as caught:
        load_file(path)
    messages = [f"{p.path}: {p.message}" for p in caught.value.problems]
    assert "$.nodes[1]: node 'fine' references unknown node 'missing'" in messages
    assert not [m for m in messages if "'broken'" in m and "type" not in m]
    assert not [m for m in messages if m.startswith("$.output")]
    assert any(m.startswith("$.nodes[2].summary: node 'uses': template error in `summary`")
               for m in messages)


async def test_http_steps_share_one_pool_and_no_cookies(tmp_path, aiohttp_server):
    from agentgate.workflow.http_client import HttpClient

    seen: list[tuple[int, str | None]] = []

    async def service(request: web.Request) -> web.Response:
        seen.append((request.transport.get_extra_info("peername")[1],
                     request.headers.get("Cookie")))
        response = web.json_response({"n": len(seen)})
        response.set_cookie("session", "user-one")
        return response

    app = web.Application()
    app.router.add_get("/", service)
    server = await aiohttp_server(app)
    workflow = flow(tmp_path, [{"id": "call", "type": "http", "url": str(server.make_url("/")),
                                "select": "n"}], "call")
    shared = HttpClient()
    try:
        for expected in ("1", "2"):
            events = await events_of(workflow, runtime=Runtime(http=shared))
            assert events[-1].text == expected
    finally:
        await shared.close()
    (first_port, _), (second_port, cookie) = seen
    assert first_port == second_port  # the second run reused the first run's connection
    assert cookie is None  # what one run's service set never reaches another run
