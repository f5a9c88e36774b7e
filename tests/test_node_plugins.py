"""Node types from other packages, through the `agentgate.nodes` entry point group, using
the example from docs/node-plugins.md."""

from __future__ import annotations

import json
import re
import sys
from importlib.metadata import EntryPoint

import pytest

from agentgate.workflow import nodes
from agentgate.workflow.loader import load_file
from agentgate.workflow.runner import run_workflow
from agentgate.workflow.schema import workflow_schema
from conftest import ROOT


@pytest.fixture
def plugin_package(tmp_path, monkeypatch):
    text = (ROOT / "docs" / "node-plugins.md").read_text()
    code = re.search(r"```python plugin-example\n(.*?)```", text, re.S).group(1)
    (tmp_path / "agentgate_example_nodes.py").write_text(code)
    monkeypatch.syspath_prepend(str(tmp_path))
    entries = [EntryPoint("repeat", "agentgate_example_nodes:RepeatNode", "agentgate.nodes"),
               EntryPoint("broken", "agentgate_missing_module:Nothing", "agentgate.nodes"),
               EntryPoint("clash", "agentgate.workflow.nodes.http:HttpNode",
                          "agentgate.nodes")]
    monkeypatch.setattr(nodes, "entry_points", lambda group: entries
                        if group == "agentgate.nodes" else [])
    saved = dict(nodes.NODE_TYPES)
    yield
    nodes.NODE_TYPES.clear()
    nodes.NODE_TYPES.update(saved)
    sys.modules.pop("agentgate_example_nodes", None)


async def test_an_installed_node_type_loads_and_runs(plugin_package, tmp_path, caplog):
    problems = nodes.load_plugins()
    assert "repeat" in nodes.node_types()
    assert len(problems) == 1 and "agentgate_missing_module" in problems[0]
    assert "agentgate_missing_module" in caplog.text
    path = tmp_path / "echo.json"
    path.write_text(json.dumps({"inputs": {"word": {"description": "w"}}, "nodes": [
        {"id": "echo", "type": "repeat", "text": "{{ inputs.word }}", "times": 3}],
        "output": "echo"}))
    events = [event async for event in run_workflow(load_file(path), {"word": "hey"})]
    assert events[-1].text == "hey hey hey"
    schema = workflow_schema()
    assert "RepeatNode" in schema["$defs"]


def test_a_plugin_s_parameters_are_checked_at_load(plugin_package, tmp_path):
    from agentgate.workflow.loader import WorkflowInvalid
    nodes.load_plugins()
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"nodes": [{"id": "echo", "type": "repeat", "times": 0}],
                                "output": "echo"}))
    with pytest.raises(WorkflowInvalid) as caught:
        load_file(path)
    text = str(caught.value)
    assert "$.nodes[0].text: required field is missing" in text
    assert "$.nodes[0].times: Input should be greater than or equal to 1" in text
