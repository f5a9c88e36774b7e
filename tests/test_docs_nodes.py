"""Every node-type example in docs/workflows.md loads on its own and runs offline: `http`
examples against a local stand-in service, `llm` examples against FakeLLM, `workflow`
examples with the bundled workflows as the catalog."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aiohttp import web

from agentgate.events import AnswerDelta, NodeStarted
from agentgate.llm import InternalLLM
from agentgate.settings import Settings
from agentgate.testing import FakeLLM, Text
from agentgate.workflow.loader import load_file, load_paths
from agentgate.workflow.runner import RunFailed, run_workflow
from agentgate.workflow.runtime import Runtime
from agentgate.workflow.values import coerce
from conftest import ROOT, WORKFLOWS

DOC = ROOT / "docs" / "workflows.md"
NODE_TYPES = ("template", "llm", "http", "json", "branch", "map", "workflow")
MODEL_ANSWER = "An answer from the model."
ITEMS = [{"name": "alpha", "size": 1}, {"name": "beta", "size": 2}]
API_FIXED = {"env": "EXAMPLE_API_URL", "default": "https://example.com"}


def node_examples() -> list[tuple[str, str]]:
    """(node type of the section it is in, source) of each `json node-example` block."""
    text = DOC.read_text()
    found = []
    for match in re.finditer(r"^```json node-example\n(.*?)^```", text, re.S | re.M):
        headings = re.findall(r"^### The `([a-z_]+)` node$", text[:match.start()], re.M)
        found.append((headings[-1] if headings else "", match.group(1)))
    return found


EXAMPLES = node_examples()


def all_nodes(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The nodes of a list, with the inner nodes of `map` nodes."""
    flat = []
    for node in nodes:
        flat.append(node)
        if node.get("type") == "map":
            flat.extend(all_nodes(node.get("nodes", [])))
    return flat


def test_every_node_type_has_an_example_in_its_own_section():
    sections = {section for section, _ in EXAMPLES}
    assert sections >= set(NODE_TYPES), f"no example for {set(NODE_TYPES) - sections}"
    for section, source in EXAMPLES:
        types = {node["type"] for node in json.loads(source)["nodes"]}
        assert section in types, f"the {section!r} example has no {section!r} node"


@pytest.mark.parametrize("source", [source for _, source in EXAMPLES],
                         ids=[section for section, _ in EXAMPLES])
def test_examples_run_offline(source):
    """Examples must not need the network, another LLM or a missing workflow."""
    example = json.loads(source)
    for node in all_nodes(example["nodes"]):
        if node["type"] == "http":
            assert node["url"].startswith("{{ fixed.api }}/"), node["id"]
            assert example["fixed"]["api"] == API_FIXED
        if node["type"] == "llm":
            assert "base_url" not in node, node["id"]
        if node["type"] == "workflow":
            assert node["workflow"] == "loan-calculator", node["id"]


@pytest.fixture
async def example_api(aiohttp_server, monkeypatch):
    """Answers any path with the path, the query and a short list of items."""
    seen: list[str] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.json_response({"path": request.path, "query": dict(request.query),
                                  "items": ITEMS})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    server = await aiohttp_server(app)
    monkeypatch.setenv("EXAMPLE_API_URL", str(server.make_url("")).rstrip("/"))
    return seen


@pytest.mark.parametrize("section, source", EXAMPLES, ids=[s for s, _ in EXAMPLES])
async def test_node_example_loads_and_runs(section, source, example_api, tmp_path):
    path = tmp_path / "example.json"
    path.write_text(source)
    workflow = load_file(path)
    values = {}
    for name, spec in workflow.inputs.items():
        raw = spec.examples[0] if spec.examples else spec.default
        assert raw is not None, f"give input {name!r} an example or a default"
        values[name] = coerce(spec, raw)
    async with FakeLLM([Text(MODEL_ANSWER) for _ in range(20)]) as fake:
        llm = InternalLLM.from_settings(Settings(llm_base_url=fake.url))
        runtime = Runtime(llm=llm, catalog=load_paths([WORKFLOWS]))
        try:
            events = [event async for event in run_workflow(workflow, values, runtime)]
        except RunFailed as failure:
            pytest.fail(f"the {section!r} example failed at {failure.title!r}: {failure.message}")
        finally:
            await llm.close()
    assert isinstance(events[-1], AnswerDelta)
    answer = "".join(event.text for event in events if isinstance(event, AnswerDelta))
    assert events[-1].text.strip() and answer.strip()
    # The run succeeded, so every node that started finished (an answer that streams
    # hides the progress lines after it, its own ✓ line included).
    started = {event.id for event in events if isinstance(event, NodeStarted)}
    assert any(workflow.nodes[node_id].type_name == section for node_id in started), \
        f"no {section!r} node ran"
    if section == "llm":
        assert fake.requests and MODEL_ANSWER in answer
    if section == "http":
        assert example_api, "the example called no service"
    if section == "workflow":
        assert "Monthly payment" in answer
