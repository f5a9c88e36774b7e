"""Shared fixtures: settings on a temporary data folder, the app over HTTP, a live server in
a thread (for the synchronous OpenAI SDK), and validation against OpenAI's schemas (and, for
the Responses API, the Open Responses shapes in responses_shapes.py)."""

from __future__ import annotations

import asyncio
import json
import os
import time
import re
import socket
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from aiohttp import web

from agentgate.app import create_app
from agentgate.workflow.nodes import Node, NodeFailure, NodeParams
from agentgate.settings import Settings
from responses_shapes import check_event, check_response

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "workflows"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SPEC = Path(os.environ.get("AGENTGATE_OPENAI_SPEC",
                           ROOT.parent / "shared" / "spec" / "openai-schemas.json"))


def _sdk_checker() -> Callable[[str, Any], None]:
    """`check(name, obj)` by strict validation against the installed `openai` SDK's own
    response types, for clones without OpenAI's published schemas beside them."""
    from typing import Literal

    from openai.types import Model
    from openai.types.chat import ChatCompletion, ChatCompletionChunk
    from openai.types.shared import ErrorObject
    from pydantic import BaseModel, ValidationError

    class ErrorResponse(BaseModel):
        error: ErrorObject

    class ListModelsResponse(BaseModel):
        object: Literal["list"]
        data: list[Model]

    types = {"CreateChatCompletionResponse": ChatCompletion,
             "CreateChatCompletionStreamResponse": ChatCompletionChunk, "Model": Model,
             "ListModelsResponse": ListModelsResponse, "ErrorResponse": ErrorResponse}

    def check(name: str, obj: Any) -> None:
        try:
            types[name].model_validate(obj, strict=True)
        except ValidationError as exc:
            raise AssertionError(f"{name} invalid (openai SDK types): {exc}") from None
        if name == "ErrorResponse":  # OpenAI's spec requires all four, null or not
            missing = {"message", "type", "param", "code"} - set(obj["error"])
            assert not missing, f"ErrorResponse invalid: error lacks {sorted(missing)}"

    return check


def _openai_checker() -> Callable[[str, Any], None]:
    """`check(name, obj)` against OpenAI's published schemas, or, without them, against the
    `openai` SDK's own types (CI always has the schemas)."""
    if not SPEC.is_file():
        if os.environ.get("CI"):
            raise RuntimeError(f"OpenAI schema file not found at {SPEC}")
        return _sdk_checker()
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    document = json.loads(SPEC.read_text())
    registry = Registry().with_resource(
        "urn:openai", Resource.from_contents(document, default_specification=DRAFT202012))
    validators: dict[str, Draft202012Validator] = {}

    def check(name: str, obj: Any) -> None:
        if name not in validators:
            validators[name] = Draft202012Validator(
                {"$ref": f"urn:openai#/components/schemas/{name}"}, registry=registry)
        errors = sorted(validators[name].iter_errors(obj), key=lambda e: list(e.path))
        assert not errors, f"{name} invalid: " + "; ".join(
            f"{list(e.path)}: {e.message[:200]}" for e in errors[:5])

    return check


CHECK = _openai_checker()


def _schema_for(path: str, status: int, method: str = "POST") -> str | None:
    if status >= 400:
        return "ErrorResponse"
    if path.endswith("/chat/completions"):
        return "CreateChatCompletionResponse"
    if "/responses" in path:
        return "Response" if method != "DELETE" else None
    if path.endswith("/models"):
        return "ListModelsResponse"
    if "/models/" in path:
        return "Model"
    return None


@web.middleware
async def conformance(request: web.Request, handler):
    """Validates every JSON body the server sends against OpenAI's schemas."""
    response = await handler(request)
    if isinstance(response, web.Response) and response.body and \
            response.content_type == "application/json":
        name = _schema_for(request.path, response.status, request.method)
        if name:
            CHECK(name, json.loads(response.body))
        if name == "Response":
            check_response(json.loads(response.body))
    return response


IN_FLIGHT = [0]  # requests being served right now (for the loop-lag watchdog)


@web.middleware
async def in_flight(request: web.Request, handler):
    IN_FLIGHT[0] += 1
    try:
        return await handler(request)
    finally:
        IN_FLIGHT[0] -= 1


def make_app(settings: Settings, **kwargs) -> web.Application:
    app = create_app(settings, **kwargs)
    app.middlewares.insert(0, conformance)
    app.middlewares.insert(0, in_flight)
    return app


@pytest.fixture(autouse=True)
def conformant_stream_events(monkeypatch):
    """Every SSE event the server sends is checked against OpenAI's schemas."""
    from agentgate.api.sse import EventStream
    original = EventStream.send

    async def checked_send(self, payload):
        if "error" in payload:
            CHECK("ErrorResponse", payload)
            assert "choices" not in payload
        else:
            CHECK("CreateChatCompletionStreamResponse", payload)
            for choice in payload["choices"]:
                assert "tool_calls" not in choice["delta"]
        await original(self, payload)

    async def checked_send_event(self, payload):
        CHECK(RESPONSE_EVENT_SCHEMAS[payload["type"]], payload)
        CHECK("ResponseStreamEvent", payload)
        check_event(payload)
        await original_send_event(self, payload)

    original_send_event = EventStream.send_event
    monkeypatch.setattr(EventStream, "send", checked_send)
    monkeypatch.setattr(EventStream, "send_event", checked_send_event)


RESPONSE_EVENT_SCHEMAS = {
    "response.created": "ResponseCreatedEvent",
    "response.in_progress": "ResponseInProgressEvent",
    "response.completed": "ResponseCompletedEvent",
    "response.failed": "ResponseFailedEvent",
    "response.output_item.added": "ResponseOutputItemAddedEvent",
    "response.output_item.done": "ResponseOutputItemDoneEvent",
    "response.content_part.added": "ResponseContentPartAddedEvent",
    "response.content_part.done": "ResponseContentPartDoneEvent",
    "response.output_text.delta": "ResponseTextDeltaEvent",
    "response.output_text.done": "ResponseTextDoneEvent",
    "response.reasoning_summary_part.added": "ResponseReasoningSummaryPartAddedEvent",
    "response.reasoning_summary_part.done": "ResponseReasoningSummaryPartDoneEvent",
    "response.reasoning_summary_text.delta": "ResponseReasoningSummaryTextDeltaEvent",
    "response.reasoning_summary_text.done": "ResponseReasoningSummaryTextDoneEvent",
    "error": "ResponseErrorEvent",
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(workflows=str(WORKFLOWS), data_dir=str(tmp_path / "data"))


@pytest.fixture
async def client(aiohttp_client, settings):
    return await aiohttp_client(make_app(settings))


@pytest.fixture
def make_client(aiohttp_client):
    async def make(settings: Settings, **kwargs):
        return await aiohttp_client(make_app(settings, **kwargs))
    return make


class LiveServer:
    """The app on a real port, in its own thread and event loop."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self.runner: web.AppRunner | None = None
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> "LiveServer":
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return self

    async def _start(self) -> None:
        self.runner = web.AppRunner(make_app(self.settings))
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def live_server(settings) -> Iterator[Callable[..., LiveServer]]:
    servers: list[LiveServer] = []

    def start(custom: Settings | None = None) -> LiveServer:
        server = LiveServer(custom or settings).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        if server.thread.is_alive():
            server.stop()


@pytest.fixture(scope="session")
def openai_schema() -> Callable[[str, Any], None]:
    """`check(name, obj)` validates obj against a schema of OpenAI's published API spec (or
    the `openai` SDK's types where the spec is not beside the clone)."""
    return CHECK


def sse_events(body: str) -> list[Any]:
    """The `data:` payloads of an SSE body, JSON-decoded ('[DONE]' kept as a string)."""
    events = []
    for block in body.split("\n\n"):
        for line in block.splitlines():
            if line.startswith("data: "):
                data = line[len("data: "):]
                events.append(data if data == "[DONE]" else json.loads(data))
    return events


def reply_text(events: list[Any]) -> str:
    return "".join(e["choices"][0]["delta"].get("content") or "" for e in events
                   if isinstance(e, dict) and e.get("choices"))


class Chat:
    """A client-side chat history driven through the aiohttp test client."""

    def __init__(self, client, model: str, *, headers: dict[str, str] | None = None):
        self.client, self.model, self.headers = client, model, headers or {}
        self.messages: list[dict[str, Any]] = []

    async def say(self, text: str, *, stream: bool = False) -> str:
        self.messages.append({"role": "user", "content": text})
        response = await self.client.post("/v1/chat/completions", headers=self.headers, json={
            "model": self.model, "messages": self.messages, "stream": stream})
        assert response.status == 200, await response.text()
        if stream:
            reply = reply_text(sse_events(await response.text()))
        else:
            reply = (await response.json())["choices"][0]["message"]["content"]
        self.messages.append({"role": "assistant", "content": reply})
        return reply


class WaitParams(NodeParams):
    seconds: float
    text: str = ""


class WaitNode(Node):
    """Waits, so concurrency, timeouts and cancellation can be observed."""

    type_name = "wait"
    Params = WaitParams
    cancelled: list[str] = []
    running = 0
    most = 0

    async def run(self, context) -> dict[str, Any]:
        WaitNode.running += 1
        WaitNode.most = max(WaitNode.most, WaitNode.running)
        try:
            await asyncio.sleep(self.params.seconds)
        except asyncio.CancelledError:
            WaitNode.cancelled.append(self.id)
            raise
        finally:
            WaitNode.running -= 1
        text = self.params.text or str(context.extra.get("item", ""))
        if text == "boom":
            raise NodeFailure("this item explodes")
        return {"text": text}


@pytest.fixture
def wait_type(monkeypatch):
    """Registers the `wait` node type for one test."""
    from agentgate.workflow import nodes as node_types
    monkeypatch.setitem(node_types.NODE_TYPES, "wait", WaitNode)
    WaitNode.cancelled, WaitNode.running, WaitNode.most = [], 0, 0


def doc_example(path: Path, tag: str) -> str:
    """The one fenced code block in `path` whose info string is `<language> <tag>`."""
    blocks = re.findall(rf"^```[\w-]+ {re.escape(tag)}\n(.*?)^```", path.read_text(),
                        re.S | re.M)
    assert len(blocks) == 1, f"{path.name}: {len(blocks)} blocks tagged {tag!r}"
    return blocks[0]


LOOP_LAG_LIMIT = float(os.environ.get("AGENTGATE_TEST_LOOP_LAG", "0.1"))
_HTTP_FIXTURES = {"client", "make_client", "aiohttp_client", "chat"}


_GC_SECONDS = [0.0, 0.0]  # total time spent collecting garbage; when the current one began


def _time_collections(phase: str, info: dict, clock=time.thread_time) -> None:
    if phase == "start":
        _GC_SECONDS[1] = clock()
    elif _GC_SECONDS[1]:
        _GC_SECONDS[0] += clock() - _GC_SECONDS[1]
        _GC_SECONDS[1] = 0.0


import gc  # noqa: E402

gc.callbacks.append(_time_collections)


class LoopWatch:
    """Measures how long the event loop was blocked while requests were being served:
    computing on the loop counts in the thread's CPU time (a busy machine cannot make it
    look worse); blocking calls (a sync read, a sleep) show in wall time. Garbage
    collections are left out."""

    def __init__(self, requests_only: bool = True):
        self.requests_only = requests_only
        self.cpu = self.wall = 0.0
        self._task: asyncio.Task | None = None

    async def _watch(self) -> None:
        import time
        loop = asyncio.get_running_loop()
        while True:
            started, cpu, busy = loop.time(), time.thread_time(), IN_FLIGHT[0]
            collecting = _GC_SECONDS[0]
            await asyncio.sleep(0.005)
            if busy or not self.requests_only:
                # A full garbage collection of the test process (its heap holds every
                # earlier test's objects) is not the code under test blocking the loop.
                spent = _GC_SECONDS[0] - collecting
                self.cpu = max(self.cpu, time.thread_time() - cpu - spent)
                self.wall = max(self.wall, loop.time() - started - 0.005 - spent)

    def start(self) -> None:
        self._task = asyncio.create_task(self._watch())

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    def problem(self, limit: float = LOOP_LAG_LIMIT) -> str | None:
        if self.cpu < limit and self.wall < 5 * limit:
            return None
        return (f"the event loop was blocked during this test: {self.cpu * 1000:.0f} ms of "
                f"computing, {self.wall * 1000:.0f} ms in all")


@pytest.fixture(autouse=True)
async def loop_lag_watchdog(request):
    """Fails an HTTP test during which the event loop was blocked for more than 100 ms
    while a request was being served: one request must never freeze every other one."""
    if not _HTTP_FIXTURES & set(request.fixturenames):
        yield
        return
    watch = LoopWatch()
    watch.start()
    yield
    await watch.stop()
    assert watch.problem() is None, watch.problem()


@pytest.fixture(autouse=True)
def _root_logging_restored():
    """Commands under test configure logging onto the captured stderr; put it back after."""
    import logging

    handlers, level = logging.root.handlers[:], logging.root.level
    yield
    logging.root.handlers[:] = handlers
    logging.root.setLevel(level)
