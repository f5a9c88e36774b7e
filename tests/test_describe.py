"""A workflow can be understood without reading its file: /v1/models carries its inputs,
`agentgate describe` prints them, `agentgate graph` draws its steps."""

from __future__ import annotations

import re

import pytest

from agentgate.cli import main
from agentgate.testing import FakeLLM
from agentgate.workflow.diagram import mermaid
from agentgate.workflow.loader import load_file, load_paths
from conftest import FIXTURES, ROOT, WORKFLOWS, doc_example

SECRET = "sk-trip-SECRET-5678"


async def test_a_model_carries_its_inputs_under_agentgate(client):
    response = await client.get("/v1/models/loan-calculator")
    details = (await response.json())["agentgate"]
    inputs = {entry["name"]: entry for entry in details["inputs"]}
    assert list(inputs) == ["principal", "annual_rate", "years", "schedule"]
    assert inputs["years"] == {
        "name": "years", "type": "integer", "description": "Length of the loan in years",
        "required": True, "enum": None, "minimum": 1, "maximum": 50, "default": None,
        "unit": "years", "examples": [30], "accepts": "a whole number from 1 to 50"}
    assert inputs["schedule"]["required"] is False and inputs["schedule"]["default"] is False
    assert details["steps"] == 4 and details["needs_internal_llm"] is False


async def test_the_list_carries_the_same_entries(client):
    listed = (await (await client.get("/v1/models")).json())["data"]
    for entry in listed:
        single = await (await client.get(f"/v1/models/{entry['id']}")).json()
        assert single == entry
    enums = {e["id"]: [i["enum"] for i in e["agentgate"]["inputs"] if i["enum"]]
             for e in listed}
    assert enums["trip-planner"] == [["budget", "comfort", "luxury"]]


async def test_fixed_inputs_and_their_values_are_never_listed(make_client, settings):
    client = await make_client(settings.replace(workflows=str(FIXTURES / "good")))
    for path in ("/v1/models", "/v1/models/trip-planner"):
        text = await (await client.get(path)).text()
        assert "trip-planner" in text
        assert SECRET not in text and "api_key" not in text


async def test_a_workflow_needing_the_internal_llm_says_so_when_none_is_set(client):
    entry = await (await client.get("/v1/models/trip-planner")).json()
    assert entry["agentgate"]["needs_internal_llm"] is True
    assert entry["description"].startswith("Drafts a day-by-day trip plan")
    assert "needs an internal LLM, and AGENTGATE_LLM_BASE_URL is not set" in entry["description"]
    other = await (await client.get("/v1/models/loan-calculator")).json()
    assert "internal LLM" not in other["description"]


async def test_no_note_when_an_internal_llm_is_set(make_client, settings):
    async with FakeLLM() as fake:
        client = await make_client(settings.replace(llm_base_url=fake.url))
        entry = await (await client.get("/v1/models/trip-planner")).json()
    assert entry["agentgate"]["needs_internal_llm"] is True
    assert "internal LLM" not in entry["description"]


def test_describe_prints_inputs_and_steps(capsys, monkeypatch):
    monkeypatch.delenv("AGENTGATE_LLM_BASE_URL", raising=False)
    assert main(["describe", "loan-calculator", "--workflows", str(WORKFLOWS)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("loan-calculator: Loan Calculator\n")
    assert "Inputs (3 required, 1 optional):" in out
    assert "  years (integer, required)\n      Length of the loan in years; a whole number " \
           "from 1 to 50\n" in out
    assert "  schedule (boolean, optional, default no)" in out
    assert "  answer (template, after balances, totals): Writing the answer" in out
    assert "currency" not in out.split("Steps")[0].replace("Works out", "")


def test_describe_never_shows_fixed_values(capsys):
    assert main(["describe", "trip-planner", "--workflows", str(FIXTURES / "good")]) == 0
    out = capsys.readouterr().out
    assert "destination (string, required)" in out
    assert SECRET not in out and "api_key" not in out


def test_describe_suggests_a_close_name(capsys):
    assert main(["describe", "loan-calc", "--workflows", str(WORKFLOWS)]) == 2
    assert "did you mean 'loan-calculator'?" in capsys.readouterr().err


def _edges(chart: str) -> set[tuple[str, str]]:
    return set(re.findall(r"^\s*(\w+) (?:-- \w+ )?--> (\w+)$", chart, re.M))


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.json")), ids=lambda p: p.stem)
def test_graph_draws_every_step_and_dependency(path):
    workflow = load_file(path)
    chart = mermaid(workflow)
    assert chart.startswith("flowchart TD\n")
    edges = _edges(chart)
    for node_id, dependencies in workflow.dependencies.items():
        assert re.search(rf"^\s*n_{node_id}[\[\"]", chart, re.M) or \
            f"subgraph n_{node_id} " in chart, node_id
        for dependency in dependencies:
            assert (f"n_{dependency}", f"n_{node_id}") in edges, (dependency, node_id)
    assert f"n_{workflow.output}[[" in chart


def test_graph_labels_branch_arms_and_draws_a_map_as_a_subgraph(tmp_path):
    path = tmp_path / "flow.json"
    path.write_text("""{"inputs": {"cities": {"type": "array", "description": "Cities"}},
      "nodes": [
        {"id": "check", "type": "branch", "condition": "inputs.cities | length > 1",
         "then": ["each"], "else": ["one"]},
        {"id": "each", "type": "map", "items": "inputs.cities", "output": "line",
         "nodes": [{"id": "line", "type": "template", "template": "- {{ item }}"}]},
        {"id": "one", "type": "template", "title": "Say \\"one\\"", "template": "one"},
        {"id": "answer", "type": "template",
         "template": "{{ nodes.each.text if nodes.each is defined else nodes.one.text }}"}],
      "output": "answer"}""")
    chart = mermaid(load_file(path))
    assert "n_check -- then --> n_each" in chart and "n_check -- else --> n_one" in chart
    assert "subgraph n_each [" in chart and "n_each__line[[" in chart
    assert "in_cities --> n_each" in chart
    assert 'Say #quot;one#quot;' in chart


def test_graph_command_prints_the_chart_shown_in_the_docs(capsys):
    assert main(["graph", "loan-calculator", "--workflows", str(WORKFLOWS)]) == 0
    printed = capsys.readouterr().out
    assert printed == doc_example(ROOT / "docs" / "workflows.md", "graph-loan-calculator")
    catalog = load_paths([WORKFLOWS])
    assert printed == mermaid(catalog.get("loan-calculator"))
