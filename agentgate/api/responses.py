"""POST /v1/responses, GET and DELETE /v1/responses/{id}: the Responses API over the same
turn engine as Chat Completions.

A conversation continues either statefully, by `previous_response_id` (the stored response
names the conversation marker its reply carried), or statelessly, with the whole history
in `input` (the marker is in an earlier assistant item), exactly as with Chat Completions.
"""

from __future__ import annotations

import asyncio
import logging
from typing import AsyncIterator

from aiohttp import web

from agentgate.api import variables
from agentgate.api.chat import read_json
from agentgate.api.observe import turn_events
from agentgate.api.render import TextRenderer
from agentgate.api.response_store import StoredResponse, new_id
from agentgate.api.responses_events import ResponseBuilder
from agentgate.api.responses_wire import (ResponsesRequest, now, parse_request,
                                          response_object)
from agentgate.api.sse import EventStream, first_event, with_heartbeats
from agentgate.api.wire import estimate_tokens
from agentgate.appkeys import API_KEY, CATALOG, DEPS, LIMITS, RESPONSES, SETTINGS
from agentgate.conversation import ids
from agentgate.conversation.dialogue import ChatMessage, Turn
from agentgate.conversation.state import owner_of
from agentgate.errors import ApiError, ModelNotFound, ResponseNotFound, ServerError
from agentgate.events import (ConversationRef, Event, NodeFinished, ThinkingEnded,
                              ThinkingStarted, TurnFinished, Usage)

log = logging.getLogger(__name__)
NODE_RESULTS = "agentgate.node_results"  # the `include` value that adds them
FAILED = "The server failed while answering; the conversation is unchanged. Please retry."


def _user(request: web.Request) -> str | None:
    header = request.app[SETTINGS].user_header
    return (request.headers.get(header, "")[:200] or None) if header else None


def _owner(request: web.Request) -> str | None:
    return owner_of(request.get(API_KEY), _user(request))


async def create_response(request: web.Request) -> web.StreamResponse:
    key = request.get(API_KEY) or f"address {request.remote}"
    async with request.app[LIMITS].slot(key):
        return await _create(request)


class _Turn:
    """One response being made: the request, its builder and what the turn reported."""

    def __init__(self, request: web.Request, body: ResponsesRequest, workflow_name: str,
                 previous: StoredResponse | None, prompt_tokens: int):
        settings = request.app[SETTINGS]
        self.request, self.body, self.workflow = request, body, workflow_name
        self.marker = previous.marker if previous else None  # until the reply has its own
        self.renderer = TextRenderer(request.app[DEPS].id_style, "none"
                                     if settings.reasoning == "none" else "reasoning_content")
        self.builder = ResponseBuilder(
            response_object(body, new_id(), now(), body.previous_response_id),
            reasoning=settings.reasoning != "none")
        self.prompt_tokens = prompt_tokens
        self.finished: TurnFinished | None = None
        self.node_results: dict[str, object] | None = None
        if NODE_RESULTS in (body.include or ()):
            self.node_results = self.builder.response["agentgate_node_results"] = {}

    def apply(self, event: Event) -> list[dict]:
        """The stream events one turn event makes."""
        if isinstance(event, ThinkingStarted):
            return self.builder.thinking_started()
        if isinstance(event, ThinkingEnded):
            return self.builder.thinking_ended()
        if isinstance(event, TurnFinished):
            self.finished = event
            return []
        if isinstance(event, ConversationRef):
            self.marker = event.marker
        if isinstance(event, NodeFinished) and self.node_results is not None:
            self.node_results[event.id] = event.result
        piece = self.renderer.render(event)
        return self.builder.progress(piece.reasoning) + self.builder.content(piece.content)

    def complete(self) -> list[dict]:
        spent = self.finished.usage if self.finished else Usage()
        return self.builder.complete(Usage(self.prompt_tokens + spent.prompt_tokens,
                                           spent.completion_tokens))

    async def save(self) -> None:
        if self.body.store is False:
            return
        response = self.builder.response
        await self.request.app[RESPONSES].put(StoredResponse(
            response["id"], _owner(self.request), self.workflow, self.marker, response))


async def _create(request: web.Request) -> web.StreamResponse:
    body = parse_request(await read_json(request))
    workflow = request.app[CATALOG].get(body.model)
    if workflow is None:
        raise ModelNotFound(body.model)
    given = variables.from_headers(request.headers, workflow)
    previous = None
    if body.previous_response_id is not None:
        previous = await request.app[RESPONSES].get(body.previous_response_id)
        if previous is None or previous.owner != _owner(request):
            raise ResponseNotFound(body.previous_response_id, previous=True)
    messages = body.messages()
    prompt_tokens = sum(estimate_tokens(len(m.text)) for m in messages)
    if previous is not None and previous.marker:
        # The stored reply's marker, as a resent history would carry it.
        messages = (ChatMessage("assistant", ids.embed(previous.marker)), *messages)
    turn = Turn(messages=messages, api_key=request.get(API_KEY), user=_user(request),
                variables=given, node_results=NODE_RESULTS in (body.include or ()))
    events = turn_events(request.app, turn, workflow)
    state = _Turn(request, body, workflow.name, previous, prompt_tokens)
    try:
        if body.stream:
            return await _stream(state, events)
        async for event in events:
            state.apply(event)
        state.complete()
        await state.save()
        return web.json_response(state.builder.response)
    finally:
        await events.aclose()


async def _stream(state: _Turn, events: AsyncIterator[Event]) -> web.StreamResponse:
    heartbeat = state.request.app[SETTINGS].heartbeat_seconds
    first = await first_event(events, heartbeat)
    stream = EventStream(state.request)
    try:
        await stream.open()
        for event in state.builder.start():
            await stream.send_event(event)
    except BaseException:
        first.cancel()
        await asyncio.wait({first})
        raise
    closing: list[dict] = []
    try:
        async for event in with_heartbeats(first, events, heartbeat, stream):
            for sent in state.apply(event):
                await stream.send_event(sent)
        unsent = state.builder.sequence
        closing = state.complete()
        await state.save()  # before the client hears of it, so it can be continued at once
    except ConnectionResetError:  # the client went away; nothing left to tell it
        raise
    except Exception as exc:
        log.exception("turn failed mid-stream")
        if closing:  # made but never sent: the numbering goes on from what was sent
            state.builder.sequence = unsent
        error = exc if isinstance(exc, ApiError) else ServerError(FAILED)
        closing = state.builder.fail(error.message, error.code or "server_error")
        try:
            await state.save()
        except Exception:
            log.exception("storing a failed response failed")
    for sent in closing:
        await stream.send_event(sent)
    await stream.end()
    return stream.response


async def get_response(request: web.Request) -> web.Response:
    stored = await _stored(request)
    return web.json_response(stored.body)


async def delete_response(request: web.Request) -> web.Response:
    stored = await _stored(request)
    await request.app[RESPONSES].delete(stored.id)
    return web.json_response({"id": stored.id, "object": "response.deleted", "deleted": True})


async def _stored(request: web.Request) -> StoredResponse:
    response_id = request.match_info["response_id"]
    stored = await request.app[RESPONSES].get(response_id)
    if stored is None or stored.owner != _owner(request):
        raise ResponseNotFound(response_id)
    return stored
