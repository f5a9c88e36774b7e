"""The baselines and upstreams `make bench` starts, each in its own process:

    python servers.py KIND PORT [UPSTREAM]

- `llm`: an instant OpenAI-compatible model (agentgate.testing.FakeLLM): a structured
  answer when the request offers tools, a short text otherwise.
- `hop`: a bare aiohttp pass-through of /v1/chat/completions to UPSTREAM (streamed or not),
  the least any gateway in front of a model does.
- `json`: a bare JSON handler that parses the chat body and answers its last message.
- `slow`: GET / answers a small JSON object after 2 seconds (a slow service for `http` steps).
- `sse`: a bare SSE hop: each request calls UPSTREAM (the slow service) and streams its answer.
- `bare`: the smallest aiohttp app, for cold-start time.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import aiohttp
from aiohttp import web

SLOW_SECONDS = 2.0


def _llm_app() -> web.Application:
    from agentgate.testing import FakeLLM, Text, Values

    def answer(body: dict[str, Any]):
        tools = body.get("tools") or []
        if not tools:
            return Text("Hello there.")
        schema = tools[0]["function"]["parameters"]
        names = schema["$defs"]["Values"]["properties"] if "$defs" in schema else {}
        values = {name: None for name in names}
        if "principal" in values:
            values["principal"] = 250000
        return Values({"values": values, "reply": None, "action": "none"})

    fake = FakeLLM(default=answer)
    app = fake.app()

    async def count(request: web.Request) -> web.Response:
        return web.json_response({"requests": len(fake.requests)})

    app.router.add_get("/count", count)
    return app


def _with_session(app: web.Application) -> web.Application:
    """`app["session"]`: one client session (with an unlimited pool) for the app's life."""
    async def session_ctx(app: web.Application):
        app["session"] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        yield
        await app["session"].close()

    app.cleanup_ctx.append(session_ctx)
    return app


def _hop_app(upstream: str) -> web.Application:
    app = _with_session(web.Application())

    async def forward(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        async with request.app["session"].post(
                upstream + "/chat/completions", data=body,
                headers={"Content-Type": "application/json"}) as answer:
            if not json.loads(body).get("stream"):
                return web.Response(body=await answer.read(), status=answer.status,
                                    content_type="application/json")
            response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await response.prepare(request)
            async for chunk in answer.content.iter_any():
                await response.write(chunk)
            await response.write_eof()
            return response

    app.router.add_post("/v1/chat/completions", forward)
    return app


def _json_app() -> web.Application:
    async def handle(request: web.Request) -> web.Response:
        body = await request.json()
        text = body["messages"][-1]["content"]
        return web.json_response({"object": "chat.completion", "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text},
             "finish_reason": "stop"}]})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", handle)
    return app


def _slow_app() -> web.Application:
    async def handle(request: web.Request) -> web.Response:
        await asyncio.sleep(SLOW_SECONDS)
        return web.json_response({"answer": "done"})

    app = web.Application()
    app.router.add_get("/", handle)
    return app


def _sse_app(upstream: str) -> web.Application:
    app = _with_session(web.Application())

    async def handle(request: web.Request) -> web.StreamResponse:
        await request.read()
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(b'data: {"started": true}\n\n')
        async with request.app["session"].get(upstream) as answer:
            data = await answer.json()
        await response.write(f"data: {json.dumps(data)}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    app.router.add_post("/v1/chat/completions", handle)
    return app


def _bare_app() -> web.Application:
    async def models(request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": []})

    app = web.Application()
    app.router.add_get("/v1/models", models)
    return app


def main(argv: list[str]) -> None:
    kind, port = argv[0], int(argv[1])
    upstream = argv[2] if len(argv) > 2 else ""
    apps = {"llm": _llm_app, "hop": lambda: _hop_app(upstream), "json": _json_app,
            "slow": _slow_app, "sse": lambda: _sse_app(upstream), "bare": _bare_app}
    web.run_app(apps[kind](), host="127.0.0.1", port=port, print=None, access_log=None,
                backlog=4096)


if __name__ == "__main__":
    main(sys.argv[1:])
