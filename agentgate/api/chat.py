"""POST /v1/chat/completions: a turn of a workflow conversation, streamed or not."""

from __future__ import annotations

import json
import logging
from typing import AsyncIterator

from aiohttp import web

from agentgate.api import wire
from agentgate.api.render import TextRenderer
from agentgate.api.sse import EventStream
from agentgate.appkeys import API_KEY, CATALOG, DEPS
from agentgate.conversation.dialogue import Turn, handle_turn
from agentgate.errors import ApiError, InvalidRequest, ModelNotFound, ServerError
from agentgate.events import Event, TurnFinished, Usage

log = logging.getLogger(__name__)


async def read_json(request: web.Request) -> object:
    raw = await request.read()
    if not raw.strip():
        raise InvalidRequest("The request body is empty; send a JSON object.")
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidRequest(f"The request body is not valid JSON: {exc}.") from None


async def chat_completions(request: web.Request) -> web.StreamResponse:
    chat = wire.parse_chat_request(await read_json(request))
    workflow = request.app[CATALOG].get(chat.model)
    if workflow is None:
        raise ModelNotFound(chat.model)
    deps = request.app[DEPS]
    turn = Turn(messages=chat.chat_messages(), api_key=request.get(API_KEY))
    events = handle_turn(turn, workflow=workflow, deps=deps)
    renderer = TextRenderer(deps.id_style)
    prompt_tokens = sum(wire.estimate_tokens(m.text) for m in turn.messages)
    try:
        if chat.stream:
            return await _stream(request, chat, events, renderer, prompt_tokens)
        return await _complete(chat, events, renderer, prompt_tokens)
    finally:
        await events.aclose()


def _usage(finished: TurnFinished | None, prompt_tokens: int, reply: int) -> Usage:
    spent = finished.usage if finished else Usage()
    return Usage(prompt_tokens + spent.prompt_tokens, reply + spent.completion_tokens)


async def _complete(chat: wire.ChatRequest, events: AsyncIterator[Event],
                    renderer: TextRenderer, prompt_tokens: int) -> web.Response:
    parts: list[str] = []
    finished = None
    async for event in events:
        if isinstance(event, TurnFinished):
            finished = event
        parts.append(renderer.render(event))
    content = "".join(parts) + renderer.close()
    usage = _usage(finished, prompt_tokens, wire.estimate_tokens(content))
    return web.json_response(wire.completion(wire.completion_id(), wire.now(), chat.model,
                                             content, usage))


async def _stream(request: web.Request, chat: wire.ChatRequest, events: AsyncIterator[Event],
                  renderer: TextRenderer, prompt_tokens: int) -> web.StreamResponse:
    cid, created, model = wire.completion_id(), wire.now(), chat.model
    # The first event is awaited before the stream opens, so an early failure is still a
    # plain JSON error with the right status rather than a broken stream.
    first = await anext(events, None)
    stream = EventStream(request)
    await stream.open()
    await stream.send(wire.chunk(cid, created, model, {"role": "assistant", "content": ""}))
    sent_chars = 0
    finished = None
    try:
        pending = [first] if first is not None else []
        async for event in _chain(pending, events):
            if isinstance(event, TurnFinished):
                finished = event
                continue
            text = renderer.render(event)
            if text:
                sent_chars += len(text)
                await stream.send(wire.chunk(cid, created, model, {"content": text}))
    except ConnectionResetError:  # the client went away; nothing left to tell it
        raise
    except Exception as exc:
        log.exception("turn failed mid-stream")
        closing = renderer.close()
        if closing:
            await stream.send(wire.chunk(cid, created, model, {"content": closing}))
        error = exc if isinstance(exc, ApiError) else ServerError(
            "The server failed while answering; the conversation is unchanged. Please retry.")
        await stream.send(error.envelope())
        await stream.done()
        return stream.response
    await stream.send(wire.chunk(cid, created, model, {}, finish_reason="stop"))
    if chat.include_usage:
        usage = _usage(finished, prompt_tokens, (sent_chars + 3) // 4)
        await stream.send(wire.usage_chunk(cid, created, model, usage))
    await stream.done()
    return stream.response


async def _chain(first: list[Event], rest: AsyncIterator[Event]) -> AsyncIterator[Event]:
    for event in first:
        yield event
    async for event in rest:
        yield event
