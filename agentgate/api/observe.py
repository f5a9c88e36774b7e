"""Watching turns and requests for metrics and logs, without changing what they send.

`ObservedTurn` passes a turn's events through and counts them (turn outcome, runs, steps,
internal LLM tokens); it names the conversation in the log context. The `observe`
middleware gives each request an id (its `X-Request-Id`, or a new one), counts error
responses by code and streamed responses while they are open.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import AsyncIterator

from aiohttp import web

from agentgate import logs
from agentgate.appkeys import DEPS, METRICS
from agentgate.conversation import ids
from agentgate.conversation.dialogue import Turn, handle_turn
from agentgate.conversation.unavailable import unavailable
from agentgate.events import (ConversationRef, Event, NodeFailed, NodeFinished,
                              ThinkingEnded, ThinkingStarted, TurnFinished)
from agentgate.metrics import Metrics
from agentgate.workflow.loader import Workflow

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_STREAMING = web.RequestKey("agentgate_streaming", bool)
_ID = web.RequestKey("agentgate_request_id", str)


class ObservedTurn:
    """The events of one turn, counted as they pass."""

    def __init__(self, events: AsyncIterator[Event], metrics: Metrics, workflow,
                 outcome: str | None = None):
        self._events, self._metrics, self._workflow = events, metrics, workflow
        self._outcome = outcome  # known in advance (a background task, unavailable)
        self._ran = self._failed = self._done = False

    def __aiter__(self) -> "ObservedTurn":
        return self

    async def __anext__(self) -> Event:
        try:
            event = await self._events.__anext__()
        except StopAsyncIteration:
            self._finish("cancelled")
            raise
        except Exception:
            self._finish("error")
            raise
        self._see(event)
        return event

    async def aclose(self) -> None:
        try:
            await self._events.aclose()
        finally:
            self._finish("cancelled")

    def _see(self, event: Event) -> None:
        name, metrics = self._workflow.name, self._metrics
        if isinstance(event, NodeFinished):
            metrics.node_seconds.labels(name, event.id).observe(event.seconds)
            self._count_llm_step(event.id, "ok")
        elif isinstance(event, NodeFailed):
            self._failed = True
            metrics.node_failures.labels(name, event.id).inc()
            self._count_llm_step(event.id, "failed")
        elif isinstance(event, ThinkingStarted):
            self._ran = True
        elif isinstance(event, ThinkingEnded):
            metrics.runs.labels(name, "failed" if self._failed else "ok").inc()
            metrics.run_seconds.labels(name).observe(event.seconds)
        elif isinstance(event, ConversationRef):
            logs.CONVERSATION.set(logs.conversation_tag(str(event.marker)))
        elif isinstance(event, TurnFinished):
            metrics.llm_tokens.labels("prompt").inc(event.usage.prompt_tokens)
            metrics.llm_tokens.labels("completion").inc(event.usage.completion_tokens)
            self._finish(self._outcome or ("failed" if self._failed else
                                           "answered" if self._ran else "asked"))

    def _count_llm_step(self, node_id: str, outcome: str) -> None:
        node = self._workflow.nodes.get(node_id)
        if node is not None and node.type_name == "llm" and \
                not getattr(node.params, "base_url", None):
            self._metrics.llm_calls.labels("step", outcome).inc()

    def _finish(self, outcome: str) -> None:
        if not self._done:
            self._done = True
            self._metrics.turns.labels(self._workflow.name, outcome).inc()


def turn_events(app: web.Application, turn: Turn, workflow: Workflow) -> ObservedTurn:
    """A user's turn as counted events: the workflow's notice when it cannot run on this
    server, otherwise the conversation's next turn."""
    deps = app[DEPS]
    notice = unavailable(workflow, deps)
    if notice is not None:
        return ObservedTurn(notice, app[METRICS], workflow, "unavailable")
    name_conversation(turn.messages)
    return ObservedTurn(handle_turn(turn, workflow=workflow, deps=deps), app[METRICS], workflow)


def name_conversation(messages) -> None:
    """Puts the conversation a request continues (from its newest marker) in the log
    context."""
    for message in reversed(messages):
        if message.role == "assistant":
            found = ids.find(message.text)
            if found is not None:
                logs.CONVERSATION.set(logs.conversation_tag(found.conversation))
                return


@web.middleware
async def observe(request: web.Request, handler) -> web.StreamResponse:
    given = request.headers.get("X-Request-Id", "")
    request_id = given if _REQUEST_ID.match(given) else secrets.token_hex(8)
    request[_ID] = request_id
    tokens = logs.REQUEST_ID.set(request_id), logs.CONVERSATION.set(None)
    metrics = request.app[METRICS]
    try:
        response = await handler(request)
        if response.status >= 400 and isinstance(response, web.Response):
            metrics.errors.labels(str(response.status), _error_code(response)).inc()
        return response
    finally:
        if request.get(_STREAMING):
            metrics.open_streams.dec()
        logs.REQUEST_ID.reset(tokens[0])
        logs.CONVERSATION.reset(tokens[1])


async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: the request id goes back; an event stream counts as open."""
    if _ID in request:
        response.headers["X-Request-Id"] = request[_ID]
    if response.content_type == "text/event-stream" and not request.get(_STREAMING):
        request[_STREAMING] = True
        request.app[METRICS].open_streams.inc()


def _error_code(response: web.Response) -> str:
    try:
        error = json.loads(response.body)["error"]
        return str(error.get("code") or error.get("type") or "none")
    except (TypeError, ValueError, KeyError, AttributeError):
        return "none"


async def metrics_page(request: web.Request) -> web.Response:
    metrics = request.app[METRICS]
    return web.Response(body=metrics.render(), headers={"Content-Type": metrics.content_type})
