"""Server-sent events: one `data:` line per event (Chat Completions), or an `event:` line
naming the event's type then its `data:` line (the Responses API); each event is written
in one piece. Also what keeps a slow turn's stream open."""

from __future__ import annotations

import asyncio
import json
from typing import Any, AsyncIterator

from aiohttp import web

from agentgate.events import Event

# No `Connection` header: aiohttp keeps the connection or closes it as the request asked.
HEADERS = {"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache",
           "X-Accel-Buffering": "no"}


class EventStream:
    def __init__(self, request: web.Request):
        self.request = request
        self.response = web.StreamResponse(status=200, headers=HEADERS)

    async def open(self) -> None:
        await self.response.prepare(self.request)

    async def send(self, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        await self.response.write(f"data: {data}\n\n".encode())

    async def send_event(self, payload: dict[str, Any]) -> None:
        """A named event: its `event:` line is the payload's `type`."""
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        await self.response.write(f"event: {payload['type']}\ndata: {data}\n\n".encode())

    async def comment(self, text: str) -> None:
        """An SSE comment: keeps the connection alive; clients ignore it."""
        await self.response.write(f": {text}\n\n".encode())

    async def done(self) -> None:
        await self.response.write(b"data: [DONE]\n\n")
        await self.response.write_eof()

    async def end(self) -> None:
        """The end of a stream that has no `[DONE]` sentinel."""
        await self.response.write_eof()


async def first_event(events: AsyncIterator[Event], wait: float) -> asyncio.Future:
    """Asks for the turn's first event and waits for it up to `wait` seconds, so a turn that
    fails at once still gets a plain JSON error with its status (the exception is raised
    here). A turn slower to start has its stream opened and kept alive instead."""
    first = asyncio.ensure_future(anext(events, None))
    try:
        await asyncio.wait({first}, timeout=wait)
        if first.done():
            first.result()
    except BaseException:
        first.cancel()
        await asyncio.wait({first})
        raise
    return first


async def with_heartbeats(first: asyncio.Future, events: AsyncIterator[Event], every: float,
                          stream: EventStream) -> AsyncIterator[Event]:
    """The events (the first one already asked for), with an SSE comment sent whenever
    the next one is `every` seconds late.

    A timer writes the comments, so waiting for an event costs no task of its own; a
    cancelled request cancels the turn it was waiting on, as it should."""
    loop = asyncio.get_running_loop()
    last = loop.time()
    pings: set[asyncio.Task] = set()

    def beat() -> None:
        nonlocal timer
        due = last + every
        if loop.time() >= due:
            ping = loop.create_task(stream.comment("ping"))
            pings.add(ping)
            ping.add_done_callback(pings.discard)
            due = loop.time() + every
        timer = loop.call_at(due, beat)

    timer = loop.call_at(last + every, beat)
    try:
        event = await first
        while event is not None:
            last = loop.time()
            yield event
            event = await anext(events, None)
    finally:
        timer.cancel()
        for ping in pings:
            ping.cancel()
