"""The runner: dependency order, concurrency of independent nodes, failures, cancellation."""

from __future__ import annotations

import asyncio
import json

import pytest

from agentgate.events import (AnswerDelta, NodeFailed, NodeFinished, NodeStarted,
                              ThinkingEnded, ThinkingStarted)
from agentgate.workflow.loader import load_file
from agentgate.workflow.runner import RunFailed, run_workflow
from conftest import WORKFLOWS, WaitNode


def write(tmp_path, nodes: list[dict], output: str):
    path = tmp_path / "flow.json"
    path.write_text(json.dumps({"nodes": nodes, "output": output}))
    return load_file(path)


async def collect(workflow, values=None):
    return [event async for event in run_workflow(workflow, values or {})]


async def test_runs_in_dependency_order_and_yields_the_answer():
    workflow = load_file(WORKFLOWS / "loan-calculator.json")
    events = await collect(workflow, {"principal": 300000, "annual_rate": 6.5, "years": 30})
    assert isinstance(events[0], ThinkingStarted)
    started = [e.id for e in events if isinstance(e, NodeStarted)]
    finished = [e.id for e in events if isinstance(e, NodeFinished)]
    assert started[0] == "monthly" and started[-1] == "answer"
    assert finished.index("monthly") < started.index("totals")
    assert isinstance(events[-2], ThinkingEnded) and isinstance(events[-1], AnswerDelta)
    assert "$1,896.20" in events[-1].text


async def test_independent_nodes_run_concurrently(tmp_path, wait_type):
    workflow = write(tmp_path, [
        {"id": "a", "type": "wait", "seconds": 0.05, "text": "A"},
        {"id": "b", "type": "wait", "seconds": 0.05, "text": "B"},
        {"id": "both", "type": "template", "template": "{{ nodes.a.text }}{{ nodes.b.text }}"}],
        "both")
    events = await collect(workflow)
    kinds = [(type(e).__name__, getattr(e, "id", None)) for e in events]
    assert kinds.index(("NodeStarted", "b")) < kinds.index(("NodeFinished", "a"))
    assert events[-1] == AnswerDelta("AB")


async def test_a_failed_node_cancels_the_rest_and_reports(tmp_path, wait_type):
    workflow = write(tmp_path, [
        {"id": "slow", "type": "wait", "seconds": 5},
        {"id": "tick", "type": "wait", "seconds": 0.01},  # so that "slow" is under way
        {"id": "bad", "type": "template", "title": "Breaking",
         "template": "{{ nodes.tick.text }}{{ 1 // 0 }}"},
        {"id": "end", "type": "template", "template": "{{ nodes.slow.text }}{{ nodes.bad.text }}"}],
        "end")
    events = []
    with pytest.raises(RunFailed) as caught:
        async for event in run_workflow(workflow, {}):
            events.append(event)
    # Dividing by zero is a bug of the workflow: the user is told plainly, the log says what.
    assert caught.value.title == "Breaking" and "failed unexpectedly" in caught.value.message
    assert isinstance(events[-2], NodeFailed) and isinstance(events[-1], ThinkingEnded)
    assert WaitNode.cancelled == ["slow"]


async def test_closing_the_run_cancels_running_nodes(tmp_path, wait_type):
    workflow = write(tmp_path, [{"id": "slow", "type": "wait", "seconds": 5}], "slow")
    run = run_workflow(workflow, {})
    assert isinstance(await anext(run), ThinkingStarted)
    assert isinstance(await anext(run), NodeStarted)
    await asyncio.sleep(0.01)  # the node is now inside its work
    await run.aclose()
    assert WaitNode.cancelled == ["slow"]


async def test_user_text_is_data_not_template(tmp_path):
    path = tmp_path / "echo.json"
    path.write_text(json.dumps({"inputs": {"text": {"description": "t"}}, "nodes": [
        {"id": "echo", "type": "template", "template": "You said: {{ inputs.text }}"}],
        "output": "echo"}))
    events = await collect(load_file(path), {"text": "{{ 7 * 7 }} {% if true %}x{% endif %}"})
    assert events[-1].text == "You said: {{ 7 * 7 }} {% if true %}x{% endif %}"
