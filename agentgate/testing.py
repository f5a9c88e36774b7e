"""`FakeLLM`: a scripted OpenAI-compatible chat server, for tests that must not touch a network.

Point agentgate's internal LLM (or an `llm` node) at `fake.url` and the real `openai` and
`instructor` code runs end to end over HTTP, while the fake answers from a script and keeps
every request it received:

    async with FakeLLM([Values({"city": "Paris"}), Text("Bonjour!")]) as fake:
        settings = Settings(llm_base_url=fake.url)
        ...
        assert "Paris" in fake.requests[0].text

Script entries are answered in order, one per request:

- `Values(data)`: a structured answer. It comes back as a tool call when the request offers
  tools, otherwise as JSON message content (instructor's JSON and JSON-schema modes).
- `Text(text)`: plain message content; streamed in several chunks when asked to stream.
- `Failure(status, message, headers)`: an HTTP error, e.g. `Failure(429, headers={"Retry-After": "1"})`.
- `Delay(seconds, then)`: waits, then answers with `then` (for timeouts).
- a function taking the request body (a dict) and returning one of the above.

A request that finds the script empty gets HTTP 500 naming the problem, so a test that
makes more calls than it scripted fails loudly; unless `FakeLLM(default=entry)` names an
entry (usually a function of the request) that answers whatever the script does not.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Union

from aiohttp import web


@dataclass(frozen=True)
class Values:
    data: dict[str, Any]
    prompt_tokens: int = 10
    completion_tokens: int = 5


@dataclass(frozen=True)
class Text:
    text: str
    chunk_size: int = 8
    chunk_delay: float = 0.0  # seconds between streamed chunks, as a real model takes
    prompt_tokens: int = 10
    completion_tokens: int = 5


@dataclass(frozen=True)
class Failure:
    status: int
    message: str = "scripted failure"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Delay:
    seconds: float
    then: "Reply"


Reply = Union[Values, Text, Failure, Delay]
ScriptEntry = Union[Reply, Callable[[dict[str, Any]], Reply]]


@dataclass(frozen=True)
class Recorded:
    """One request the fake received."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def text(self) -> str:
        """Everything the request carried, as one string (for 'was X ever sent?' checks)."""
        return json.dumps(self.body, ensure_ascii=False)

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))


class FakeLLM:
    def __init__(self, script: Iterable[ScriptEntry] = (), *, model: str = "fake-model",
                 default: ScriptEntry | None = None):
        self.script: deque[ScriptEntry] = deque(script)
        self.default = default
        self.model = model
        self.requests: list[Recorded] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    def add(self, *entries: ScriptEntry) -> None:
        self.script.extend(entries)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        return app

    async def start(self) -> "FakeLLM":
        self._runner = web.AppRunner(self.app())
        await self._runner.setup()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}/v1"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> "FakeLLM":
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [
            {"id": self.model, "object": "model", "created": 0, "owned_by": "fake"}]})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(Recorded(request.path, dict(request.headers), body))
        if not self.script and self.default is None:
            return _error(500, "FakeLLM: the script has no answer left for this request")
        entry = self.script.popleft() if self.script else self.default
        reply = entry(body) if callable(entry) else entry
        while isinstance(reply, Delay):
            await asyncio.sleep(reply.seconds)
            reply = reply.then
        if isinstance(reply, Failure):
            return _error(reply.status, reply.message, reply.headers)
        message, pieces = _message(reply, body)
        if body.get("stream"):
            return await self._stream(request, reply, message, pieces, body)
        return web.json_response(self._completion(reply, message, body))

    def _completion(self, reply: Values | Text, message: dict[str, Any],
                    body: dict[str, Any]) -> dict[str, Any]:
        finish = "tool_calls" if message.get("tool_calls") else "stop"
        return {"id": "chatcmpl-fake-" + secrets.token_hex(6), "object": "chat.completion",
                "created": int(time.time()), "model": body.get("model", self.model),
                "choices": [{"index": 0, "message": message, "logprobs": None,
                             "finish_reason": finish}],
                "usage": _usage(reply)}

    async def _stream(self, request: web.Request, reply: Values | Text, message: dict[str, Any],
                      pieces: list[dict[str, Any]], body: dict[str, Any]) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        base = {"id": "chatcmpl-fake-" + secrets.token_hex(6), "object": "chat.completion.chunk",
                "created": int(time.time()), "model": body.get("model", self.model)}
        finish = "tool_calls" if message.get("tool_calls") else "stop"
        deltas = [{"role": "assistant", "content": ""}, *pieces]
        pause = reply.chunk_delay if isinstance(reply, Text) else 0.0
        for index, delta in enumerate(deltas):
            if pause and index > 1:
                await asyncio.sleep(pause)
            await _send(response, {**base, "choices": [
                {"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}]})
        await _send(response, {**base, "choices": [
            {"index": 0, "delta": {}, "logprobs": None, "finish_reason": finish}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            await _send(response, {**base, "choices": [], "usage": _usage(reply)})
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


def _message(reply: Values | Text, body: dict[str, Any]) -> tuple[dict[str, Any], list[dict]]:
    """The whole message, and the deltas that stream it."""
    if isinstance(reply, Text):
        size = max(1, reply.chunk_size)
        pieces = [{"content": reply.text[i:i + size]} for i in range(0, len(reply.text), size)]
        return {"role": "assistant", "content": reply.text, "refusal": None}, pieces
    arguments = json.dumps(reply.data)
    tools = body.get("tools") or []
    if tools:
        name = tools[0].get("function", {}).get("name", "answer")
        call = {"id": "call_" + secrets.token_hex(6), "type": "function",
                "function": {"name": name, "arguments": arguments}}
        delta = {"tool_calls": [{"index": 0, **call}]}
        return {"role": "assistant", "content": None, "refusal": None,
                "tool_calls": [call]}, [delta]
    return {"role": "assistant", "content": arguments, "refusal": None}, [{"content": arguments}]


def _usage(reply: Values | Text) -> dict[str, int]:
    return {"prompt_tokens": reply.prompt_tokens, "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens}


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    kind = {400: "invalid_request_error", 401: "authentication_error", 429: "rate_limit_error"}
    return web.json_response({"error": {"message": message,
                                        "type": kind.get(status, "server_error"),
                                        "param": None, "code": None}},
                             status=status, headers=headers or {})


async def _send(response: web.StreamResponse, payload: dict[str, Any]) -> None:
    await response.write(f"data: {json.dumps(payload)}\n\n".encode())


__all__ = ["Delay", "Failure", "FakeLLM", "Recorded", "Text", "Values"]
