"""What a workflow author sees when a file is wrong: the field, line and column of a template
error with the source line and a caret, hints for the usual slips, one problem per mistake,
"did you mean", and names that would clash with dict methods working as names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentgate.workflow.loader import WorkflowInvalid, load_file
from agentgate.workflow.runner import run_workflow


def write(tmp_path: Path, document: dict | str) -> Path:
    path = tmp_path / "flow.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(WorkflowInvalid) as caught:
        load_file(path, env={})
    return [f"{p.path}: {p.message}" for p in caught.value.problems]


def flow(*nodes: dict, inputs: dict | None = None, output: str = "answer", **extra) -> dict:
    return {"inputs": inputs or {}, "nodes": list(nodes), "output": output, **extra}


def template(node_id: str, text: str, **extra) -> dict:
    return {"id": node_id, "type": "template", "template": text, **extra}


async def answer_of(workflow, values: dict) -> str:
    events = [event async for event in run_workflow(workflow, values)]
    return events[-1].text


async def test_an_input_named_items_and_a_node_named_values_work(tmp_path):
    path = write(tmp_path, flow(
        template("values", "{{ inputs.items }}/{{ inputs.json }}/{{ fixed.keys }}"),
        {"id": "data", "type": "json", "value": "{'items': [1, 2], 'copy': 3}"},
        {"id": "check", "type": "branch", "condition": "nodes.values.text | length > 3",
         "then": ["answer"]},
        template("answer", "{{ nodes.values.text }} {{ nodes.data.json.items | join('+') }} "
                 "{{ nodes.data.json.copy }}"),
        inputs={"items": {"description": "The items"},
                "json": {"type": "integer", "description": "A count", "default": 2}},
        fixed={"keys": "fixed-keys"}))
    workflow = load_file(path)
    assert await answer_of(workflow, {"items": "apples"}) == "apples/2/fixed-keys 1+2 3"


async def test_dict_methods_are_still_reachable_where_no_key_hides_them(tmp_path):
    path = write(tmp_path, flow(template(
        "answer", "{% for k, v in nodes.data.json.items() %}{{ k }}={{ v }};{% endfor %}"),
        {"id": "data", "type": "json", "value": "{'a': 1, 'b': 2}"}))
    assert await answer_of(load_file(path), {}) == "a=1;b=2;"


def test_an_input_the_llm_answer_reserves_is_refused_with_the_reason(tmp_path):
    path = write(tmp_path, flow(template("answer", "{{ inputs.model_name }}"),
                                inputs={"model_name": {"description": "A model"}}))
    [message] = problems(path)
    assert "input name 'model_name' may not start with `model_`" in message
    assert "internal LLM" in message


def test_the_extraction_model_takes_inputs_named_like_model_methods(tmp_path, recwarn):
    path = write(tmp_path, flow(template("answer", "{{ inputs.json }} {{ inputs.copy }}"),
                                inputs={"json": {"description": "A"},
                                        "copy": {"description": "B"}}))
    model = load_file(path).extraction_model
    values = model.model_validate({"values": {"json": "x", "copy": "y"}, "reply": None,
                                   "action": "none"})
    assert values.values.model_dump() == {"json": "x", "copy": "y"}
    assert not [w for w in recwarn if "shadows" in str(w.message)]


def test_a_template_error_names_node_field_line_column_with_a_caret(tmp_path):
    path = write(tmp_path, flow(template("answer", "Total:\n  {{ nodes.calc.text + }} done"),
                                template("calc", "1")))
    [message] = problems(path)
    assert message.startswith("$.nodes[0].template: node 'answer': template error in "
                              "`template` at line 2, column 24: ")
    source, caret = message.splitlines()[1:3]
    assert source.strip() == "{{ nodes.calc.text + }} done"
    assert caret.index("^") == source.index("}}")


def test_an_error_in_one_entry_of_a_field_names_that_entry(tmp_path):
    path = write(tmp_path, flow({"id": "answer", "type": "http", "url": "https://x.test",
                                 "query": {"q": "ok", "city": "{{ inputs.city ) }}"}},
                                inputs={"city": {"description": "City"}}))
    [message] = problems(path)
    assert message.startswith("$.nodes[0].query.city: node 'answer': template error in "
                              "`query.city` at line 1, column 16: unexpected ')'")


def test_a_template_inside_a_condition_gets_a_hint(tmp_path):
    path = write(tmp_path, flow(
        {"id": "check", "type": "branch", "condition": "{{ inputs.budget > 1000 }}",
         "then": ["answer"]}, template("answer", "big"),
        inputs={"budget": {"type": "number", "description": "Budget"}}))
    [message] = problems(path)
    assert message.startswith("$.nodes[0].condition: node 'check': expression error in "
                              "`condition`")
    assert "write it without `{{ }}`: `inputs.budget > 1000`" in message


def test_an_unclosed_block_is_one_problem_pointing_at_its_tag(tmp_path):
    path = write(tmp_path, flow(
        template("first", "ok"),
        template("shown", "a {% if nodes.first.text %}yes"),
        {"id": "check", "type": "branch", "condition": "true", "then": ["shown"]},
        template("answer", "{{ nodes.shown.text }}", after=["shown"])))
    [message] = problems(path)
    assert "`{% if %}` is never closed: add `{% endif %}`" in message
    source, caret = message.splitlines()[1:3]
    assert caret.index("^") == source.index("{% if")


def test_an_unclosed_quote_points_at_the_quote(tmp_path):
    path = write(tmp_path, flow(template("answer", "Hi {{ 'there }}")))
    [message] = problems(path)
    assert "column 7: a quoted string is never closed" in message


@pytest.mark.parametrize("document, expected", [
    (flow(template("answer", "{{ nodes.totl.text }}"), template("total", "1")),
     "references unknown node 'totl' (did you mean 'total'?)"),
    (flow(template("answer", "{{ inputs.princpal }}"),
          inputs={"principal": {"description": "Amount"}}),
     "references undeclared input 'princpal' (did you mean 'principal'?)"),
    (flow(template("answer", "{{ inputs.currency }}"), fixed={"currency": "EUR"}),
     "references undeclared input 'currency' (it is a fixed input: write `fixed.currency`)"),
    (flow({"id": "answer", "type": "templte", "template": "x"}),
     "unknown node type 'templte' (did you mean 'template'?)"),
    (flow(template("answer", "x", titel="Answer")), "$.nodes[0].titel: unknown field "
     "(did you mean 'title'?)"),
    (flow({"id": "answer", "type": "branch", "condition": "true", "els": []}),
     "$.nodes[0].els: unknown field (did you mean 'else'?)"),
    (flow(template("answer", "x"), inputs={"a": {"descripton": "A"}}),
     "$.inputs.a.descripton: unknown field (did you mean 'description'?)"),
    (flow(template("answer", "x", after=["answr"]), template("answr2", "y")),
     "waits for unknown node 'answr' (did you mean 'answr2'?)"),
    (flow(template("answer", "x"), output="answr"),
     "names no node: 'answr' (did you mean 'answer'?)"),
])
def test_did_you_mean(tmp_path, document, expected):
    assert any(expected in message for message in problems(write(tmp_path, document)))


def test_no_suggestion_when_nothing_is_close(tmp_path):
    path = write(tmp_path, flow(template("answer", "{{ nodes.zzz.text }}")))
    [message] = problems(path)
    assert message.endswith("references unknown node 'zzz'")


@pytest.mark.parametrize("text, line, hint", [
    ('{\n  "output": "answer"\n  "nodes": []\n}\n', 3, "is a comma missing at the end of line 2?"),
    ('{\n  "output": "answer",\n}\n', 3, "no comma after the last item"),
    ('{\n  "output": "answer" "x"\n}\n', 2, None),
])
def test_json_syntax_errors_show_the_line_with_a_caret(tmp_path, text, line, hint):
    [message] = problems(write(tmp_path, text))
    first, source, caret, *rest = message.splitlines()
    assert first.startswith("$: not valid JSON: ") and f"(line {line}, column " in first
    assert source.strip() == text.splitlines()[line - 1].strip()
    column = int(first.rsplit("column ", 1)[1].rstrip(")"))
    indent = len(source) - len(text.splitlines()[line - 1])
    assert caret.index("^") == indent + column - 1
    assert (len(rest) == 1 and rest[0].startswith("hint: ") and hint in rest[0]) if hint \
        else rest == []
