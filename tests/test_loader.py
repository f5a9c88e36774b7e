"""Loading workflow files: every bundled one works, and each broken fixture is reported with
its file, JSON path and the culprit's name."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentgate.workflow.loader import WorkflowInvalid, load_file, load_paths
from conftest import FIXTURES, WORKFLOWS

BAD = FIXTURES / "bad"


def problems_of(name: str) -> list[str]:
    with pytest.raises(WorkflowInvalid) as caught:
        load_file(BAD / name, env={})
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.json")), ids=lambda p: p.stem)
def test_bundled_workflows_load(path: Path):
    workflow = load_file(path)
    assert workflow.name == path.stem
    if workflow.name == "hello":  # answers any message: no inputs, a request variable
        assert not workflow.inputs and workflow.variables
        return
    assert 2 <= len(workflow.inputs) <= 5
    assert len({spec.type for spec in workflow.inputs.values()}) >= 2


@pytest.mark.parametrize("name, expected", [
    ("cycle.json", ["$.nodes: nodes form a cycle: a -> c -> b -> a"]),
    ("unknown-node-reference.json",
     ["$.nodes[0]: node 'answer' references unknown node 'sumary' (did you mean 'summary'?)"]),
    ("unknown-node-type.json", ["$.nodes[0].type: unknown node type 'templat' (did you mean "
                                "'template'?) (known: branch, http, json, llm, map, template, "
                                "workflow)"]),
    ("missing-parameter.json", ["$.nodes[0].template: required field is missing",
                                "$.nodes[0].text: unknown field"]),
    ("undeclared-input.json", ["$.nodes[0]: node 'answer' references undeclared input 'town'",
                               "$.nodes[0]: node 'answer' references undeclared fixed input "
                               "'units'"]),
    ("missing-env.json", ["$.fixed.token: environment variable AGENTGATE_TEST_SURELY_UNSET is "
                          "not set and no default is given"]),
    ("bad-output.json", ["$.output: names no node: 'answr' (did you mean 'answer'?) "
                         "(nodes: answer)"]),
    ("template-syntax.json", ["$.nodes[0].template: node 'answer': template error in "
                              "`template` at line 1, column 7: Expected an expression"]),
    ("not-json.json", ["$: not valid JSON"]),
    ("unknown-field.json", ["$.nodez: unknown field (did you mean 'nodes'?)"]),
    ("unknown-after.json", ["$.nodes[0].after: node 'answer' waits for unknown node 'ghost'"]),
    ("bad-input.json", ["$.inputs.age: `minimum` must be a number for integer inputs",
                        "$.inputs.colour.type: Input should be",
                        "$.inputs.nodesc.description: required field is missing"]),
])
def test_broken_files_name_the_culprit(name, expected):
    problems = problems_of(name)
    for message in expected:
        assert any(p.startswith(f"{BAD / name}: {message}") for p in problems), problems


def test_bad_default_and_enum_are_reported(tmp_path):
    path = tmp_path / "defaults.json"
    path.write_text('{"inputs": {"age": {"type": "integer", "description": "Age", '
                    '"default": "old"}, "size": {"enum": ["s", "m"], "default": "xl", '
                    '"description": "Size"}, "n": {"type": "number", "enum": [1, "many"], '
                    '"description": "N"}}, "nodes": [{"id": "a", "type": "template", '
                    '"template": "x"}], "output": "a"}')
    with pytest.raises(WorkflowInvalid) as caught:
        load_file(path)
    text = str(caught.value)
    assert "$.inputs.age.default: not a valid integer: 'old' is not a number" in text
    assert "$.inputs.size.default: not a valid string: 'xl' is not one of" in text
    assert "$.inputs.n.enum[1]: not a valid number" in text


def test_fixed_values_come_from_the_environment(tmp_path):
    workflow = load_file(BAD / "missing-env.json", env={"AGENTGATE_TEST_SURELY_UNSET": "t0k3n"})
    assert workflow.fixed == {"token": "t0k3n"}
    assert "t0k3n" not in repr(workflow)


def test_a_folder_loads_the_good_and_reports_the_bad():
    catalog = load_paths([WORKFLOWS, BAD], env={})
    assert {"loan-calculator", "recurring-dates", "days-between"} <= set(catalog.workflows)
    assert {Path(p.file).name for p in catalog.problems} == {p.name for p in BAD.glob("*.json")}


def test_duplicate_names_keep_the_first(tmp_path):
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_text('{"name": "same", "nodes": [{"id": "x", "type": '
                                     '"template", "template": "x"}], "output": "x"}')
    catalog = load_paths([tmp_path])
    assert catalog.workflows["same"].source.name == "a.json"
    assert "already used by" in str(catalog.problems[0])


def test_dependencies_come_from_references_and_after():
    workflow = load_file(WORKFLOWS / "loan-calculator.json")
    assert workflow.dependencies == {"monthly": set(), "totals": {"monthly"},
                                     "balances": {"monthly"},
                                     "answer": {"totals", "balances"}}


def test_defaults_reach_templates_in_their_type(tmp_path):
    path = tmp_path / "defaults.json"
    path.write_text('{"$schema": "workflow.schema.json", "inputs": {"flag": {"type": '
                    '"boolean", "default": "no", "description": "f"}, "size": {"type": '
                    '"number", "default": "1k", "description": "s"}}, "nodes": [{"id": "a", '
                    '"type": "template", "template": "{{ inputs.flag is sameas false }} '
                    '{{ inputs.size + 1 }}"}], "output": "a"}')
    workflow = load_file(path)
    assert workflow.value_of("flag", {}) is False and workflow.value_of("size", {}) == 1000
    from agentgate.workflow.runner import template_inputs
    assert template_inputs(workflow, {"flag": True}) == {"flag": True, "size": 1000}


def test_file_name_must_be_a_valid_model_name(tmp_path):
    path = tmp_path / "My Flow.json"
    path.write_text('{"nodes": [{"id": "a", "type": "template", "template": "x"}], '
                    '"output": "a"}')
    with pytest.raises(WorkflowInvalid, match=r"\$\.name: the file name 'My Flow'"):
        load_file(path)


def test_duplicate_node_ids_are_reported_once(tmp_path):
    path = tmp_path / "dup.json"
    path.write_text('{"nodes": [{"id": "a", "type": "template", "template": "{{ nodes.z }}"}, '
                    '{"id": "a", "type": "template", "template": "x"}], "output": "a"}')
    with pytest.raises(WorkflowInvalid) as caught:
        load_file(path)
    messages = [p.message for p in caught.value.problems]
    assert messages.count("node 'a' references unknown node 'z'") == 1
    assert "duplicate node id 'a'" in messages
