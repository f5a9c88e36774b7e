"""Property-based fuzzing: any chat request body, and any workflow file the published JSON
Schema allows (and some it does not), gets a clean answer: never a 5xx, never a crash."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import httpx
from hypothesis import HealthCheck, given, settings, strategies as st

from agentgate.workflow.loader import load_paths
from agentgate.workflow.schema import workflow_schema

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                    | st.text(max_size=40),
                    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(
                        st.text(max_size=10), inner, max_size=5), max_leaves=25)
MESSAGE = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant", "system", "tool", "robot"]) | JSON},
    optional={"content": st.text(max_size=300) | JSON | st.lists(
        st.fixed_dictionaries({"type": st.sampled_from(["text", "image_url"]) | JSON},
                              optional={"text": st.text(max_size=50) | JSON}), max_size=3)})
REQUEST = st.fixed_dictionaries(
    {"model": st.sampled_from(["loan-calculator", "days-between", "recurring-dates",
                               "nope"]) | JSON,
     "messages": st.lists(MESSAGE, max_size=6) | JSON},
    optional={"stream": st.booleans() | JSON, "n": st.integers() | JSON,
              "stream_options": JSON, "tool_choice": JSON, "tools": JSON})
SETTINGS = settings(max_examples=120, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(body=REQUEST | JSON)
def test_any_chat_request_gets_a_clean_answer(live_server, body):
    server = _server(live_server)
    response = httpx.post(f"{server.url}/chat/completions", json=body, timeout=10)
    assert response.status_code < 500, response.text[:500]
    if response.status_code >= 400:
        assert set(response.json()["error"]) == {"message", "type", "param", "code"}


_SERVERS: dict[int, object] = {}


def _server(live_server):
    key = id(live_server)
    if key not in _SERVERS:
        _SERVERS.clear()
        _SERVERS[key] = live_server()
    return _SERVERS[key]


def from_schema(schema: dict, defs: dict | None = None, depth: int = 0) -> st.SearchStrategy:
    """Documents shaped by a JSON Schema (the subset `agentgate schema` uses), sometimes
    bent: a field of the wrong type, an unknown field. (hypothesis-jsonschema does not run
    on current Hypothesis versions.)"""
    defs = defs if defs is not None else schema.get("$defs", {})
    if "$ref" in schema:
        return from_schema(defs[schema["$ref"].split("/")[-1]], defs, depth)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return st.one_of([from_schema(part, defs, depth) for part in schema[key]])
    if "allOf" in schema and all("then" in part for part in schema["allOf"]):  # by `type`
        return st.one_of([from_schema(part["then"], defs, depth) for part in schema["allOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"]) | JSON
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema({**schema, "type": k}, defs, depth) for k in kind])
    if kind == "object" or "properties" in schema:
        if depth > 4:
            return st.just({})
        properties = {name: from_schema(part, defs, depth + 1)
                      for name, part in schema.get("properties", {}).items()}
        required = {name: properties[name] for name in schema.get("required", [])
                    if name in properties}
        optional = {name: value for name, value in properties.items() if name not in required}
        shaped = st.fixed_dictionaries(required, optional=optional)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and not properties:
            shaped = st.dictionaries(st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True),
                                     from_schema(extra, defs, depth + 1), max_size=4)
        return shaped | shaped.map(lambda d: {**d, "unexpected": 1})
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {}), defs, depth + 1), max_size=4)
    if kind == "string":
        return st.text(max_size=60) | st.sampled_from(["{{ inputs.x }}", "{% if %}",
                                                       "loan-calculator", "x", ""])
    if kind in ("number", "integer"):
        return st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    return JSON


@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.filter_too_much])
@given(data=from_schema(workflow_schema()) | JSON)
def test_any_workflow_file_loads_or_gets_problems(data):
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "fuzzed.json").write_text(json.dumps(data))
        catalog = load_paths([Path(folder)], env={}, quiet=True)
        assert catalog.workflows or catalog.problems
        for problem in catalog.problems:
            assert "could not be checked" not in problem.message, problem
