"""The internal LLM: one OpenAI-compatible client, made here and injected everywhere else.

`InternalLLM.structured` is the only retry layer. The SDK's own retries are off, so
attempts never multiply: at most `llm_attempts` requests per call, all within the turn's
deadline.

Each call asks for a structured answer the way instructor defines it for the configured
mode: instructor prepares the response model and the request options (tools, response
format) once per model, the openai SDK sends the request over aiohttp, and instructor
parses and validates the answer. This module imports openai and instructor, which take
most of a second to import: it is imported only when an internal LLM is configured.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
import weakref
from dataclasses import dataclass
from typing import Any, TypeVar

import instructor
from instructor.core import InstructorError
from instructor.v2.core.response import handle_response_model, process_response_async
from instructor.v2.core.response_model import prepare_response_model
import openai
from pydantic import BaseModel, ValidationError

from agentgate.errors import AgentgateError
from agentgate.events import Usage
from agentgate.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T", bound=BaseModel)

MODES = {"tools": instructor.Mode.TOOLS, "json": instructor.Mode.JSON,
         "json_schema": instructor.Mode.JSON_SCHEMA, "md_json": instructor.Mode.MD_JSON}
_PROBE = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]


class LLMUnavailable(AgentgateError):
    """The internal LLM gave no usable answer in time; `reason` is safe to show users."""

    def __init__(self, reason: str, usage: Usage | None = None):
        super().__init__(reason)
        self.reason = reason
        self.usage = usage or Usage()


@dataclass
class Deadline:
    """The time left for a turn's LLM work."""

    until: float

    @classmethod
    def after(cls, seconds: float) -> "Deadline":
        return cls(time.monotonic() + seconds)

    @property
    def remaining(self) -> float:
        return self.until - time.monotonic()


def add_usage(total: Usage, completion: Any) -> Usage:
    usage = getattr(completion, "usage", None)
    if usage is None:
        return total
    return Usage(total.prompt_tokens + (usage.prompt_tokens or 0),
                 total.completion_tokens + (usage.completion_tokens or 0))


def _retry_after(error: openai.APIStatusError) -> float | None:
    """Seconds from a Retry-After header (a number or an HTTP date), None without one."""
    header = error.response.headers.get("retry-after") if error.response is not None else None
    if header is None:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class StructuredRequest:
    """What instructor makes of a response model for one mode, made once: the model it
    parses answers into and the request options that ask for it."""

    def __init__(self, response_model: type[BaseModel], mode: instructor.Mode):
        self.mode = mode
        self.model = prepare_response_model(response_model)
        _, options = handle_response_model(self.model, mode=mode, messages=list(_PROBE))
        # Modes that write the schema into the messages are prepared on each call.
        self.fixed_messages = options.pop("messages") == _PROBE
        self.options = options

    def arguments(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        if self.fixed_messages:
            return {"messages": messages, **self.options}
        return handle_response_model(self.model, mode=self.mode, messages=messages)[1]

    async def parse(self, completion: Any) -> BaseModel:
        return await process_response_async(completion, response_model=self.model,
                                            mode=self.mode, strict=False)


class InternalLLM:
    def __init__(self, client: openai.AsyncOpenAI, *, model: str, mode: str = "tools",
                 timeout: float = 20.0, attempts: int = 2, turn_deadline: float = 45.0):
        self.client = client
        self.model = model
        self.mode = mode
        self.timeout = timeout
        self.attempts = attempts
        self.turn_deadline = turn_deadline
        self._requests: weakref.WeakKeyDictionary[type, StructuredRequest] = \
            weakref.WeakKeyDictionary()

    @classmethod
    def from_settings(cls, settings: Settings) -> "InternalLLM | None":
        if not settings.llm_base_url:
            return None
        client = openai.AsyncOpenAI(base_url=settings.llm_base_url,
                                    api_key=settings.llm_api_key or "not-needed",
                                    timeout=settings.llm_timeout, max_retries=0,
                                    http_client=openai.DefaultAioHttpClient())
        return cls(client, model=settings.llm_model, mode=settings.llm_mode,
                   timeout=settings.llm_timeout, attempts=settings.llm_attempts,
                   turn_deadline=settings.turn_deadline)

    def deadline(self) -> Deadline:
        return Deadline.after(self.turn_deadline)

    def prepare(self, response_model: type[BaseModel]) -> StructuredRequest:
        """The request for `response_model` (made on its first use, or ahead of it)."""
        request = self._requests.get(response_model)
        if request is None:
            request = StructuredRequest(response_model, MODES[self.mode])
            self._requests[response_model] = request
        return request

    async def structured(self, response_model: type[T], messages: list[dict[str, str]],
                         deadline: Deadline) -> tuple[T, Usage]:
        """One structured answer, retried within `attempts` and the deadline."""
        request = self.prepare(response_model)
        arguments = request.arguments(messages)
        usage = Usage()
        reason = "the language model did not answer"
        for attempt in range(1, self.attempts + 1):
            remaining = deadline.remaining
            if remaining <= 0.05:
                reason = "the language model took too long to answer"
                break
            try:
                async with asyncio.timeout(min(remaining, self.timeout)):
                    completion = await self.client.chat.completions.create(
                        model=self.model, **arguments)
                usage = add_usage(usage, completion)
                return await request.parse(completion), usage
            except (TimeoutError, openai.OpenAIError, InstructorError, ValidationError,
                    ValueError) as error:
                reason, heals, wait = _classify(error)
            log.warning("internal LLM attempt %d/%d failed: %s", attempt, self.attempts, reason)
            if not heals or attempt == self.attempts:
                break
            if wait is not None:
                if wait >= deadline.remaining - 0.05:
                    break
                await asyncio.sleep(wait)
        raise LLMUnavailable(reason, usage)

    async def warm_up(self, response_model: type[BaseModel]) -> None:
        """One structured call answered in this process (no network), so that the modules
        the SDKs import and the caches they fill on first use are ready before the first
        turn. Best effort: a failure here only means the first turn does that work."""
        import httpx2  # the openai SDK's HTTP library

        def canned(request: httpx2.Request) -> httpx2.Response:
            return httpx2.Response(200, json=_CANNED)

        client = openai.AsyncOpenAI(
            base_url="http://warm-up.invalid/v1", api_key="warm-up", max_retries=0,
            http_client=openai.DefaultAsyncHttpxClient(transport=httpx2.MockTransport(canned)))
        request = self.prepare(response_model)
        try:
            completion = await client.chat.completions.create(
                model=self.model, **request.arguments([{"role": "user", "content": "hi"}]))
            await request.parse(completion)
        except Exception as exc:  # an answer of the wrong form still warmed the path
            log.debug("internal LLM warm-up ended with %s", type(exc).__name__)
        finally:
            await client.close()

    async def close(self) -> None:
        await self.client.close()


_CANNED = {"id": "warm-up", "object": "chat.completion", "created": 0, "model": "warm-up",
           "choices": [{"index": 0, "finish_reason": "stop", "message": {
               "role": "assistant", "content": "{}", "tool_calls": [{
                   "id": "call_warm_up", "type": "function",
                   "function": {"name": "warm_up", "arguments": "{}"}}]}}],
           "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}}


def _classify(error: BaseException) -> tuple[str, bool, float | None]:
    """(reason safe to show, whether asking again may help, seconds to wait first)."""
    if isinstance(error, InstructorError) and error.__cause__ is not None:
        error = error.__cause__
    if isinstance(error, (TimeoutError, openai.APITimeoutError)):
        return "the language model took too long to answer", True, None
    if isinstance(error, openai.RateLimitError):
        wait = _retry_after(error)
        return "the language model is rate-limited right now", True, 1.0 if wait is None else wait
    if isinstance(error, openai.APIConnectionError):
        return "the language model could not be reached", True, None
    if isinstance(error, openai.APIStatusError):
        heals = error.status_code >= 500 or error.status_code in (408, 409)
        return (f"the language model answered with an error (HTTP {error.status_code})",
                heals, None)
    return "the language model's answer did not have the expected form", True, None
