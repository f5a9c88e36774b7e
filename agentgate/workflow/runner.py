"""Running a workflow: nodes start as soon as the nodes they depend on have settled.

`execute` runs one graph and returns every node's result; independent nodes run
concurrently, a node chosen against by a branch is skipped (and so is a node whose
dependencies were all skipped), and the first failure cancels what is still running.
`run_workflow` wraps it for a conversation turn: an async iterator of progress events, the
answer (streamed when its node can stream), and `RunFailed` with a message that is safe to
show (fixed values redacted).
"""

from __future__ import annotations

import asyncio
import collections
import html
import json
import logging
import math
import time
import urllib.parse
from typing import Any, AsyncIterator, Callable, Mapping

from agentgate.errors import AgentgateError
from agentgate.events import (AnswerDelta, Event, NodeFailed, NodeFinished, NodeSkipped,
                              NodeStarted, ThinkingEnded, ThinkingStarted)
from agentgate.workflow.event_buffer import EventBuffer
from agentgate.workflow.graph import Graph
from agentgate.workflow.loader import Workflow
from agentgate.workflow.jsonpath import PathError
from agentgate.workflow.nodes import Node, NodeContext, NodeFailure
from agentgate.workflow.runtime import Runtime
from agentgate.workflow.templating import BUDGET, Budget, TemplateTooCostly
from agentgate.workflow.values import InvalidValue, for_template

log = logging.getLogger(__name__)
Emit = Callable[[Event], None]


class NodeError(AgentgateError):
    """A node failed; `message` says why, for people."""

    def __init__(self, node: Node, message: str):
        super().__init__(message)
        self.node, self.message = node, message


class RunFailed(AgentgateError):
    def __init__(self, node_id: str, title: str, message: str):
        super().__init__(message)
        self.node_id, self.title, self.message = node_id, title, message


SECRET_WINDOW = 8  # a run of this many characters of a long secret is redacted too


def secret_forms(secret: str) -> set[str]:
    """A fixed value and what templates and error texts commonly make of it."""
    forms = {secret, secret.lower(), secret.upper(), secret.title(), secret.swapcase(),
             urllib.parse.quote(secret), urllib.parse.quote_plus(secret),
             html.escape(secret), json.dumps(secret)[1:-1]}
    return {form for form in forms if len(form) >= 3}


def redact(text: str, secrets: list[str]) -> str:
    """`text` with fixed values replaced by ***: as written, in other cases or encodings,
    and any run of 8 or more of their characters (a slice, a part of a URL)."""
    if not secrets or not text:
        return text
    for secret in sorted(secrets, key=len, reverse=True):
        forms = sorted(secret_forms(secret), key=len, reverse=True)
        for form in forms:  # whole forms first, so a slice of one never splits another
            text = text.replace(form, "***")
        for form in forms:
            if len(form) > SECRET_WINDOW:
                for start in range(len(form) - SECRET_WINDOW + 1):
                    window = form[start:start + SECRET_WINDOW]
                    if window in text:
                        text = text.replace(window, "***")
    while "******" in text:
        text = text.replace("******", "***")
    return text


def public_result(value: Any, secrets: list[str]) -> Any:
    """A node result that may be shown: every string (keys too) redacted, a number that is
    a secret hidden, other values as text, and nothing JSON cannot hold."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {redact(str(key), secrets): public_result(item, secrets)
                for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [public_result(item, secrets) for item in value]
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return "***" if str(value) in secrets else value
    return redact(str(value), secrets)


_DESIGNED = (NodeFailure, PathError, InvalidValue, TemplateTooCostly)


def describe_error(exc: BaseException, node: Node | None = None,
                   secrets: list[str] = ()) -> str:
    """What the user is told about a failed step. A designed failure says why; anything
    else is a bug: it is logged (redacted) and the user gets a plain sentence."""
    if isinstance(exc, NodeError):  # from a contained graph (a map): keep its words
        return exc.message
    if isinstance(exc, TimeoutError):
        return str(exc).strip() or "it took too long"
    if isinstance(exc, _DESIGNED):
        return str(exc).strip() or type(exc).__name__
    log.error("step %s failed unexpectedly: %s: %s", node.id if node else "?",
              type(exc).__name__, redact(str(exc), list(secrets))[:500])
    return "it failed unexpectedly (the details are in the server log)"


def template_inputs(workflow: Workflow, values: dict[str, Any]) -> dict[str, Any]:
    return {name: for_template(spec, workflow.value_of(name, values))
            for name, spec in workflow.inputs.items()}


def answer_text(result: dict[str, Any]) -> str:
    text = result.get("text")
    return text if isinstance(text, str) else json.dumps(result, indent=2, default=str)


def _budget(node: Node, timeout: float) -> float:
    """Start the node's time budget; returns its time limit in seconds."""
    limit = node.spec.timeout or timeout
    # Templates pay for their work from this budget, so even a loop that never awaits
    # stops at the step's time limit (asyncio's timeout alone cannot interrupt it).
    BUDGET.set(Budget(time.monotonic() + limit, limit))
    return limit


def _checked(node: Node, result: Any) -> dict[str, Any]:
    if not isinstance(result, dict):
        raise TypeError(f"node type {node.type_name!r} returned {type(result).__name__}, "
                        "not a dict")
    return result


async def _run_node(node: Node, context: NodeContext, timeout: float) -> dict[str, Any]:
    limit = _budget(node, timeout)
    deadline = asyncio.timeout(limit)
    context.runtime.count_step()
    try:
        async with deadline:
            result = await node.run(context)
    except TimeoutError:
        if not deadline.expired():
            raise  # the node's own time limit, with its own words
        raise TimeoutError(f"it took longer than {limit:g} s") from None
    return _checked(node, result)


def _run_quick(node: Node, context: NodeContext, timeout: float) -> dict[str, Any]:
    """A quick node's result, computed at once in the runner's own task."""
    _budget(node, timeout)
    context.runtime.count_step()
    return _checked(node, node.run_quick(context))


def _summary(node: Node, context: NodeContext, result: dict[str, Any]) -> str | None:
    """The node's public line; a summary that cannot render is logged and left out."""
    if node.summary is None:
        return None
    # A public line never sees the fixed values, nor secret variables.
    scope = context.template_context() | {"result": result,
                                          "fixed": {name: "***" for name in context.fixed},
                                          "vars": {name: "***" if name in context.secret_vars
                                                   else value
                                                   for name, value in context.vars.items()}}
    try:
        return node.summary.render(scope).strip() or None
    except Exception as exc:
        log.warning("node %s: its summary could not be rendered: %s", node.id,
                    type(exc).__name__)
        return None


async def execute(graph: Graph, context: NodeContext, emit: Emit | None = None,
                  stream: Callable[[str], None] | None = None) -> dict[str, dict[str, Any]]:
    """Run `graph`; results land in `context.nodes` too. Raises NodeError on a failure,
    with fixed values (`context.secrets`) redacted from its message.

    Each node waits on a count of unsettled dependencies; a node whose count reaches zero
    joins the ready queue. Quick nodes (a template without loops, a branch) run at once in
    this task, and so does a node that is the only one left to run; the others run as
    tasks of their own, side by side."""
    emit = emit or _ignore
    secrets = list(context.secrets)
    results = context.nodes
    timeout = context.runtime.node_timeout
    unsettled = {node_id: len(deps) for node_id, deps in graph.dependencies.items()}
    ready = collections.deque(node_id for node_id, count in unsettled.items() if count == 0)
    skipped: set[str] = set()
    ruled_out: set[str] = set()
    running: dict[asyncio.Task, tuple[Node, float]] = {}

    def settle(node_id: str) -> None:
        for dependent in graph.dependents[node_id]:
            unsettled[dependent] -= 1
            if unsettled[dependent] == 0:
                ready.append(dependent)

    def fail(node: Node, error: BaseException) -> NodeError:
        message = redact(describe_error(error, node, secrets), secrets)
        emit(NodeFailed(node.id, node.title, message))
        return NodeError(node, message)

    def finish(node: Node, result: dict[str, Any], started: float) -> None:
        results[node.id] = result
        ruled_out.update(node.skipped_after(result))
        summary = _summary(node, context, result)
        shared = public_result(result, secrets) if context.runtime.share_results else None
        emit(NodeFinished(node.id, node.title, time.monotonic() - started,
                          redact(summary, secrets) if summary else None, shared))
        settle(node.id)

    try:
        while ready or running:
            while ready:
                node_id = ready.popleft()
                node, deps = graph.nodes[node_id], graph.dependencies[node_id]
                if node_id in ruled_out or (deps and deps <= skipped):
                    skipped.add(node_id)
                    emit(NodeSkipped(node_id, node.title))
                    settle(node_id)
                    continue
                emit(NodeStarted(node_id, node.title))
                started = time.monotonic()
                own = context.with_stream(stream) if stream is not None and \
                    node_id == graph.output else context
                if node.quick or not (ready or running):  # no task needed beside the run's
                    try:
                        result = _run_quick(node, own, timeout) if node.quick else \
                            await _run_node(node, own, timeout)
                    except Exception as error:
                        raise fail(node, error) from None
                    finish(node, result, started)
                    continue
                running[asyncio.ensure_future(_run_node(node, own, timeout))] = (node, started)
            if not running:
                break
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                node, started = running.pop(task)
                error = task.exception()
                if error is not None:
                    raise fail(node, error)
                finish(node, task.result(), started)
    finally:
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
    return results


def _ignore(event: Event) -> None:
    pass


def variable_values(workflow: Workflow, given: Mapping[str, str] | None) -> dict[str, str]:
    """The workflow's variables: the given values of those it declares, else their defaults
    (a required variable that is not given is left out)."""
    given = given or {}
    found = {}
    for name, spec in workflow.variables.items():
        value = given.get(name, spec.default)
        if value is not None:
            found[name] = value
    return found


def _context(workflow: Workflow, values: dict[str, Any], runtime: Runtime,
             variables: Mapping[str, str] | None = None) -> NodeContext:
    own = variable_values(workflow, variables)
    hidden = frozenset(name for name in own if workflow.variables[name].secret)
    secrets = workflow.secrets() + [own[name] for name in hidden if len(own[name]) >= 3]
    return NodeContext(inputs=template_inputs(workflow, values), fixed=workflow.fixed,
                       nodes={}, runtime=runtime, secrets=tuple(secrets), vars=own,
                       secret_vars=hidden)


async def run_to_answer(workflow: Workflow, values: dict[str, Any], runtime: Runtime,
                        variables: Mapping[str, str] | None = None) -> str:
    """Run without progress events (a workflow called by another)."""
    results = await execute(workflow.graph, _context(workflow, values, runtime, variables))
    if workflow.output not in results:
        raise NodeError(workflow.graph.nodes[workflow.output], "the answer's step was skipped")
    return answer_text(results[workflow.output])


async def run_workflow(workflow: Workflow, values: dict[str, Any],
                       runtime: Runtime | None = None,
                       variables: Mapping[str, str] | None = None) -> AsyncIterator[Event]:
    """Progress events inside a thinking block, then the answer (or RunFailed).
    `variables` are the request's values of the workflow's variables (checked by the
    caller); they are used for this run only."""
    runtime = runtime or Runtime()
    started = time.monotonic()
    queue = EventBuffer(runtime.max_answer_chars)
    context = _context(workflow, values, runtime, variables)

    async def work() -> dict[str, dict[str, Any]]:
        try:
            async with asyncio.timeout(runtime.run_timeout):
                return await execute(workflow.graph, context, queue.put,
                                     lambda text: queue.put(AnswerDelta(text)))
        finally:
            queue.close()

    task = asyncio.ensure_future(work())
    streamed = False
    yield ThinkingStarted()
    try:
        while (event := await queue.get()) is not None:
            if isinstance(event, AnswerDelta):
                if not streamed:
                    streamed = True
                    yield ThinkingEnded(time.monotonic() - started)
                yield event
            elif not streamed:
                yield event
        results = await task
    except NodeError as failure:
        if not streamed:
            yield ThinkingEnded(time.monotonic() - started)
        log.warning("workflow %s: node %s failed: %s", workflow.name, failure.node.id,
                    failure.message)
        raise RunFailed(failure.node.id, failure.node.title, failure.message) from None
    except TimeoutError:
        if not streamed:
            yield ThinkingEnded(time.monotonic() - started)
        message = f"the workflow took longer than {runtime.run_timeout:g} s"
        log.warning("workflow %s: %s", workflow.name, message)
        raise RunFailed("", workflow.title, message) from None
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    if workflow.output not in results:
        yield ThinkingEnded(time.monotonic() - started)
        raise RunFailed(workflow.output, workflow.graph.nodes[workflow.output].title,
                        "this step was skipped, so there is no answer")
    if not streamed:
        yield ThinkingEnded(time.monotonic() - started)
        answer = answer_text(results[workflow.output])
        if len(answer) > runtime.max_answer_chars:
            raise RunFailed(workflow.output, workflow.graph.nodes[workflow.output].title,
                            f"the answer is longer than {runtime.max_answer_chars:,} characters")
        yield AnswerDelta(answer)
