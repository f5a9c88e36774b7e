"""POST /v1/chat/completions: a turn of a workflow conversation, streamed or not."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import AsyncIterator

from aiohttp import web
from aiohttp.http_exceptions import ContentEncodingError
from aiohttp.web_protocol import RequestPayloadError

from agentgate.api import housekeeping, variables, wire
from agentgate.api.observe import ObservedTurn, turn_events
from agentgate.api.render import Piece, TextRenderer
from agentgate.api.sse import EventStream, first_event, with_heartbeats
from agentgate.appkeys import API_KEY, CATALOG, DEPS, LIMITS, METRICS, SETTINGS
from agentgate.conversation.dialogue import Turn
from agentgate.errors import (ApiError, InvalidRequest, ModelNotFound, RequestTimeout,
                              ServerError)
from agentgate.events import AnswerDelta, Event, TurnFinished, Usage

log = logging.getLogger(__name__)


async def read_json(request: web.Request) -> object:
    """The request's JSON body, read within the body timeout; a 4xx for anything else."""
    try:
        async with asyncio.timeout(request.app[SETTINGS].body_timeout):
            raw = await request.read()
    except TimeoutError:
        raise RequestTimeout("The request body did not arrive in time.") from None
    except (RequestPayloadError, ContentEncodingError):
        raise InvalidRequest("The request body could not be decoded; send JSON, plain or "
                             "with Content-Encoding gzip or deflate.") from None
    if not raw.strip():
        raise InvalidRequest("The request body is empty; send a JSON object.")
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidRequest(f"The request body is not valid JSON: {exc}."[:300]) from None
    except RecursionError:
        raise InvalidRequest("The request body is nested too deeply.") from None
    except ValueError:  # an integer literal of thousands of digits
        raise InvalidRequest("The request body holds a number too large to read.") from None


async def chat_completions(request: web.Request) -> web.StreamResponse:
    key = request.get(API_KEY) or f"address {request.remote}"
    async with request.app[LIMITS].slot(key):
        return await _chat_completions(request)


async def _chat_completions(request: web.Request) -> web.StreamResponse:
    chat = wire.parse_chat_request(await read_json(request))
    workflow = request.app[CATALOG].get(chat.model)
    if workflow is None:
        raise ModelNotFound(chat.model)
    settings, deps = request.app[SETTINGS], request.app[DEPS]
    user = request.headers.get(settings.user_header, "")[:200] if settings.user_header \
        else None
    turn = Turn(messages=chat.chat_messages(), api_key=request.get(API_KEY), user=user or None,
                variables=variables.from_headers(request.headers, workflow))
    task = housekeeping.detect(request.headers, chat)
    if task is not None:
        log.debug("answered %s background task for %s", task, workflow.name)
        events = ObservedTurn(_single_answer(housekeeping.answer(task, workflow)),
                              request.app[METRICS], workflow, "task")
    else:
        events = turn_events(request.app, turn, workflow)
    renderer = TextRenderer(deps.id_style, settings.reasoning)
    prompt_tokens = sum(wire.estimate_tokens(len(m.text)) for m in turn.messages)
    try:
        if chat.stream:
            return await _stream(request, chat, events, renderer, prompt_tokens,
                                 settings.heartbeat_seconds)
        return await _complete(chat, events, renderer, prompt_tokens)
    finally:
        await events.aclose()


async def _single_answer(text: str) -> AsyncIterator[Event]:
    yield AnswerDelta(text)
    yield TurnFinished()


def _usage(finished: TurnFinished | None, prompt_tokens: int, reply_chars: int) -> Usage:
    spent = finished.usage if finished else Usage()
    return Usage(prompt_tokens + spent.prompt_tokens,
                 wire.estimate_tokens(reply_chars) + spent.completion_tokens)


async def _complete(chat: wire.ChatRequest, events: AsyncIterator[Event],
                    renderer: TextRenderer, prompt_tokens: int) -> web.Response:
    content: list[str] = []
    reasoning: list[str] = []
    finished = None
    async for event in events:
        if isinstance(event, TurnFinished):
            finished = event
        piece = renderer.render(event)
        content.append(piece.content)
        reasoning.append(piece.reasoning)
    content.append(renderer.close().content)
    text, thought = "".join(content), "".join(reasoning)
    usage = _usage(finished, prompt_tokens, len(text) + len(thought))
    return web.json_response(wire.completion(wire.completion_id(), wire.now(), chat.model,
                                             text, usage, thought))


async def _stream(request: web.Request, chat: wire.ChatRequest, events: AsyncIterator[Event],
                  renderer: TextRenderer, prompt_tokens: int,
                  heartbeat: float) -> web.StreamResponse:
    cid, created, model = wire.completion_id(), wire.now(), chat.model
    first = await first_event(events, heartbeat)
    stream = EventStream(request)
    try:
        await stream.open()
        await stream.send(wire.chunk(cid, created, model, {"role": "assistant", "content": ""}))
    except BaseException:
        first.cancel()
        await asyncio.wait({first})
        raise

    async def send(piece: Piece) -> None:
        delta = {}
        if piece.content:
            delta["content"] = piece.content
        if piece.reasoning:
            delta["reasoning_content"] = piece.reasoning
        await stream.send(wire.chunk(cid, created, model, delta))

    sent_chars = 0
    finished = None
    try:
        async for event in with_heartbeats(first, events, heartbeat, stream):
            if isinstance(event, TurnFinished):
                finished = event
                continue
            piece = renderer.render(event)
            if piece:
                sent_chars += len(piece.content) + len(piece.reasoning)
                await send(piece)
    except ConnectionResetError:  # the client went away; nothing left to tell it
        raise
    except Exception as exc:
        log.exception("turn failed mid-stream")
        closing = renderer.close()
        if closing:
            await send(closing)
        error = exc if isinstance(exc, ApiError) else ServerError(
            "The server failed while answering; the conversation is unchanged. Please retry.")
        await stream.send(error.envelope())
        await stream.done()
        return stream.response
    await stream.send(wire.chunk(cid, created, model, {}, finish_reason="stop"))
    if chat.include_usage:
        await stream.send(wire.usage_chunk(cid, created, model,
                                           _usage(finished, prompt_tokens, sent_chars)))
    await stream.done()
    return stream.response
