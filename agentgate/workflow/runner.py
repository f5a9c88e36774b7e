"""Running a workflow: nodes start as soon as the nodes they depend on have finished.

`run_workflow` is an async iterator of events. Independent nodes run concurrently. When a
node fails, the others are cancelled, `NodeFailed` and `ThinkingEnded` are yielded and
`RunFailed` is raised with a message that is safe to show (fixed values redacted).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, AsyncIterator

from agentgate.events import (AnswerDelta, Event, NodeFailed, NodeFinished, NodeStarted,
                              ThinkingEnded, ThinkingStarted)
from agentgate.workflow.loader import Workflow
from agentgate.workflow.nodes import NodeContext
from agentgate.workflow.values import for_template


log = logging.getLogger(__name__)


class RunFailed(Exception):
    def __init__(self, node_id: str, title: str, message: str):
        super().__init__(message)
        self.node_id, self.title, self.message = node_id, title, message


def redact(text: str, secrets: list[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def describe_error(exc: BaseException) -> str:
    text = str(exc).strip()
    return text if text else type(exc).__name__


def template_inputs(workflow: Workflow, values: dict[str, Any]) -> dict[str, Any]:
    return {name: for_template(spec, workflow.value_of(name, values))
            for name, spec in workflow.inputs.items()}


async def run_workflow(workflow: Workflow, values: dict[str, Any]) -> AsyncIterator[Event]:
    started = time.monotonic()
    results: dict[str, dict[str, Any]] = {}
    context = NodeContext(inputs=template_inputs(workflow, values), fixed=workflow.fixed,
                          nodes=results)
    waiting = dict(workflow.dependencies)
    running: dict[asyncio.Task, tuple[str, float]] = {}
    yield ThinkingStarted()
    try:
        while waiting or running:
            for node_id in [n for n, deps in waiting.items() if deps <= results.keys()]:
                del waiting[node_id]
                node = workflow.nodes[node_id]
                running[asyncio.ensure_future(node.run(context))] = (node_id, time.monotonic())
                yield NodeStarted(node_id, node.title)
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                node_id, node_started = running.pop(task)
                node = workflow.nodes[node_id]
                if task.exception() is not None:
                    message = redact(describe_error(task.exception()), workflow.secrets())
                    log.warning("workflow %s: node %s failed: %s", workflow.name, node_id, message)
                    yield NodeFailed(node_id, node.title, message)
                    yield ThinkingEnded(time.monotonic() - started)
                    raise RunFailed(node_id, node.title, message)
                results[node_id] = task.result()
                yield NodeFinished(node_id, node.title, time.monotonic() - node_started)
    finally:
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
    yield ThinkingEnded(time.monotonic() - started)
    yield AnswerDelta(answer_text(results[workflow.output]))


def answer_text(result: dict[str, Any]) -> str:
    text = result.get("text")
    return text if isinstance(text, str) else json.dumps(result, indent=2, default=str)
