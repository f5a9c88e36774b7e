"""Hostile workflow files: each is refused with a problem naming the file (or loads, if it
is in fact valid), never crashes the loader, and never stops a good file beside it from
loading, at start, on reload, or in `agentgate validate`."""

from __future__ import annotations

import json

import pytest

from agentgate.cli import main
from agentgate.workflow.loader import Catalog, load_paths
from conftest import WORKFLOWS

GOOD = (WORKFLOWS / "loan-calculator.json").read_text()


def base(**changes) -> dict:
    data = {"inputs": {"x": {"type": "number", "description": "X"}},
            "nodes": [{"id": "a", "type": "template", "template": "{{ inputs.x }}"}],
            "output": "a"}
    data.update(changes)
    return data


def node(node_id: str, template: str, **more) -> dict:
    return {"id": node_id, "type": "template", "template": template, **more}


def chain(count: int, reverse: bool) -> dict:
    nodes = [node("n0", "{{ inputs.x }}")] + [
        node(f"n{i}", f"{{{{ nodes.n{i - 1}.text }}}}") for i in range(1, count)]
    return base(nodes=nodes[::-1] if reverse else nodes, output=f"n{count - 1}")


def _hostile() -> list[tuple[str, bytes]]:
    cases: list[tuple[str, object]] = [
        ("deep-array", "[" * 100_000 + "]" * 100_000),
        ("deep-object", '{"a":' * 50_000 + "1" + "}" * 50_000),
        ("huge-int", '{"nodes": [], "output": ' + "9" * 5000 + "}"),
        ("huge-int-in-default", json.dumps(base()).replace('"X"}', '"X", "default": '
                                                            + "7" * 5000 + "}")),
        ("nested-parentheses", base(nodes=[node("a", "{{ " + "(" * 3000 + "1" + ")" * 3000
                                                 + " }}")])),
        ("nested-ifs", base(nodes=[node("a", "{% if 1 %}" * 2000 + "x" + "{% endif %}" * 2000)])),
        ("chain-output-first", chain(1500, reverse=True)),
        ("too-many-nodes", chain(2500, reverse=False)),
        ("huge-template", base(nodes=[node("a", "x" * 200_000)])),
        ("empty", ""), ("whitespace", "   \n"), ("null", "null"), ("list", "[]"),
        ("number", "123"), ("string", '"workflow"'), ("not-json", "{nodes: [}"),
        ("bom-garbage", b"\xff\xfe\x00\x00garbage"), ("latin1", b'{"name": "caf\xe9"}'),
        ("nodes-not-list", base(nodes={"a": 1})), ("no-nodes", base(nodes=[])),
        ("nodes-null", base(nodes=None)), ("output-unknown", base(output="zzz")),
        ("output-number", base(output=5)), ("inputs-list", base(inputs=[1, 2])),
        ("fixed-list", base(fixed=[1])), ("name-bad", base(name="Bad Name!")),
        ("name-huge", base(name="a" * 10_000)), ("title-object", base(title={"a": 1})),
        ("confirm-string", base(confirm="maybe")),
        ("cycle-2", base(nodes=[node("a", "{{ nodes.b.text }}"),
                                node("b", "{{ nodes.a.text }}")])),
        ("self-reference", base(nodes=[node("a", "{{ nodes.a.text }}")])),
        ("after-self", base(nodes=[node("a", "x", after=["a"])])),
        ("after-unknown", base(nodes=[node("a", "x", after=["zz"])])),
        ("duplicate-ids", base(nodes=[node("a", "x"), node("a", "y")])),
        ("bad-id", base(nodes=[node("1a", "x")], output="1a")),
        ("unknown-type", base(nodes=[{"id": "a", "type": "rocket"}])),
        ("type-null", base(nodes=[{"id": "a", "type": None}])),
        ("template-syntax", base(nodes=[node("a", "{% if %}")])),
        ("template-unclosed", base(nodes=[node("a", "{{ inputs.x")])),
        ("undeclared-input", base(nodes=[node("a", "{{ inputs.nope }}")])),
        ("undeclared-fixed", base(nodes=[node("a", "{{ fixed.nope }}")])),
        ("pattern-invalid", base(inputs={"x": {"description": "X", "pattern": "(("}})),
        ("pattern-backref", base(inputs={"x": {"description": "X", "pattern": r"(a)\1"}})),
        ("pattern-on-number", base(inputs={"x": {"type": "number", "description": "X",
                                                 "pattern": "a"}})),
        ("pattern-huge", base(inputs={"x": {"description": "X", "pattern": "a" * 5000}})),
        ("unit-unknown", base(inputs={"x": {"type": "number", "description": "X",
                                            "unit": "parsecs"}})),
        ("unit-on-string", base(inputs={"x": {"description": "X", "unit": "years"}})),
        ("aliases-not-list", base(inputs={"x": {"description": "X", "aliases": "rate"}})),
        ("aliases-numbers", base(inputs={"x": {"description": "X", "aliases": [1, 2]}})),
        ("enum-empty", base(inputs={"x": {"description": "X", "enum": []}})),
        ("enum-objects", base(inputs={"x": {"description": "X", "enum": [{"a": 1}]}})),
        ("enum-bad-number", base(inputs={"x": {"type": "number", "description": "X",
                                               "enum": [1, "many"]}})),
        ("default-bad", base(inputs={"x": {"type": "integer", "description": "X",
                                           "default": "lots"}})),
        ("min-string", base(inputs={"x": {"type": "number", "description": "X",
                                          "minimum": "low"}})),
        ("date-min-bad", base(inputs={"x": {"type": "date", "description": "X",
                                            "minimum": "yesterday-ish"}})),
        ("type-unknown", base(inputs={"x": {"type": "complex", "description": "X"}})),
        ("description-empty", base(inputs={"x": {"description": ""}})),
        ("input-name-bad", base(inputs={"1x": {"description": "X"}})),
        ("input-and-fixed", base(fixed={"x": 1})),
        ("fixed-env-missing", base(fixed={"k": {"env": "AGENTGATE_SURELY_NOT_SET_ENV"}})),
        ("fixed-env-bad-name", base(fixed={"k": {"env": "1 bad"}})),
        ("timeout-negative", base(nodes=[node("a", "x", timeout=-1)])),
        ("timeout-string", base(nodes=[node("a", "x", timeout="soon")])),
        ("summary-syntax", base(nodes=[node("a", "x", summary="{{")])),
        ("unknown-top-field", base(extra_field=1)),
        ("unknown-node-field", base(nodes=[node("a", "x", colour="red")])),
        ("map-bad-inner", base(nodes=[{"id": "m", "type": "map", "items": "{{ [1] }}",
                                       "nodes": [{"id": "i", "type": "rocket"}],
                                       "output": "i"}], output="m")),
        ("map-deep", base(nodes=[_nested_map(40)], output="m0")),
        ("workflow-self", base(nodes=[{"id": "w", "type": "workflow",
                                       "workflow": "hostile", "inputs": {}}], output="w")),
        ("http-bad-url", base(nodes=[{"id": "h", "type": "http", "url": 5}], output="h")),
        ("branch-unknown", base(nodes=[{"id": "b", "type": "branch",
                                        "cases": [{"when": "true", "then": "zz"}]}],
                                output="b")),
        ("many-inputs", base(inputs={f"i{n}": {"type": "number", "description": "N"}
                                     for n in range(400)})),
        ("unicode-names", base(inputs={"ünï": {"description": "X"}})),
        ("control-chars", base(title="a\u0000b\u202e")),
        ("very-long-description", base(description="d" * 150_000)),
    ]
    for depth in (65, 200, 5000):
        document = json.dumps(base(title="TITLE")).replace(
            '"TITLE"', "[" * depth + '"x"' + "]" * depth)
        cases.append((f"nesting-{depth}", document))
    for size in (3, 10, 50):
        nodes = [node(f"n{i}", f"{{{{ nodes.n{(i + 1) % size}.text }}}}") for i in range(size)]
        cases.append((f"cycle-{size}-ring", base(nodes=nodes, output="n0")))
    for field in ("type", "description", "enum", "default", "minimum", "maximum", "pattern",
                  "examples", "question", "unit", "aliases"):
        for value in (None, [], {}, 1e308, -1, "", ["x"] * 3):
            cases.append((f"input-{field}-{type(value).__name__}-{len(cases)}",
                          base(inputs={"x": {"type": "number", "description": "X",
                                             field: value}})))
    return [(name, data if isinstance(data, bytes) else (
        data if isinstance(data, str) else json.dumps(data)).encode("utf-8", "surrogatepass"))
        for name, data in cases]


def _nested_map(depth: int) -> dict:
    inner: dict = {"id": f"m{depth}", "type": "template", "template": "{{ item }}"}
    for level in range(depth - 1, -1, -1):
        inner = {"id": f"m{level}", "type": "map", "items": "{{ [1, 2] }}",
                 "nodes": [inner], "output": inner["id"]}
    return inner


HOSTILE = _hostile()


def test_there_are_at_least_a_hundred():
    assert len(HOSTILE) >= 100


@pytest.mark.parametrize("name, content", HOSTILE, ids=[name for name, _ in HOSTILE])
def test_a_hostile_file_never_stops_the_others(tmp_path, name, content):
    (tmp_path / "loan-calculator.json").write_text(GOOD)
    (tmp_path / "hostile.json").write_bytes(content)
    catalog = load_paths([tmp_path], env={})
    assert "loan-calculator" in catalog.workflows
    problems = [p for p in catalog.problems if p.file.endswith("hostile.json")]
    assert problems or "hostile" in catalog.workflows
    for problem in problems:
        assert len(problem.message) < 2_000  # a message, not an echo of the file


def test_hostile_files_dropped_into_a_running_server_do_not_stall_reloads(tmp_path):
    (tmp_path / "loan-calculator.json").write_text(GOOD)
    catalog = Catalog([tmp_path], env={})
    catalog.refresh()
    for index, (name, content) in enumerate(HOSTILE[:40]):
        (tmp_path / f"h{index}.json").write_bytes(content)
    catalog.refresh()
    (tmp_path / "days-between.json").write_text((WORKFLOWS / "days-between.json").read_text())
    (tmp_path / "loan-calculator.json").unlink()
    catalog.refresh()  # a later change is still picked up: added served, removed dropped
    assert "days-between" in catalog.workflows and "loan-calculator" not in catalog.workflows


def test_validate_reports_hostile_files_and_exits_1(tmp_path, capsys):
    for index, (name, content) in enumerate(HOSTILE[:12]):
        (tmp_path / f"h{index}.json").write_bytes(content)
    assert main(["validate", str(tmp_path)]) == 1
    assert "h0.json" in capsys.readouterr().err
