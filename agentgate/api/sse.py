"""Server-sent events for streamed Chat Completions: one `data:` line per event."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

HEADERS = {"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache",
           "Connection": "keep-alive", "X-Accel-Buffering": "no"}


class EventStream:
    def __init__(self, request: web.Request):
        self.request = request
        self.response = web.StreamResponse(status=200, headers=HEADERS)

    async def open(self) -> None:
        await self.response.prepare(self.request)

    async def send(self, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        await self.response.write(f"data: {data}\n\n".encode())

    async def comment(self, text: str) -> None:
        """An SSE comment: keeps the connection alive; clients ignore it."""
        await self.response.write(f": {text}\n\n".encode())

    async def done(self) -> None:
        await self.response.write(b"data: [DONE]\n\n")
        await self.response.write_eof()
