"""The internal LLM: one OpenAI-compatible client, made here and injected everywhere else.

`InternalLLM.structured` is the only retry layer. The SDK's own retries are off and
instructor is asked for a single attempt, so attempts never multiply: at most
`llm_attempts` requests per call, all within the turn's deadline.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from dataclasses import dataclass
from typing import Any, TypeVar

import instructor
from instructor.core import InstructorError
import openai
from pydantic import BaseModel

from agentgate.errors import AgentgateError
from agentgate.events import Usage
from agentgate.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T", bound=BaseModel)

MODES = {"tools": instructor.Mode.TOOLS, "json": instructor.Mode.JSON,
         "json_schema": instructor.Mode.JSON_SCHEMA, "md_json": instructor.Mode.MD_JSON}


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


class InternalLLM:
    def __init__(self, client: openai.AsyncOpenAI, *, model: str, mode: str = "tools",
                 timeout: float = 20.0, attempts: int = 2, turn_deadline: float = 45.0):
        self.client = client
        self.model = model
        self.mode = mode
        self.timeout = timeout
        self.attempts = attempts
        self.turn_deadline = turn_deadline
        self._instructor = instructor.from_openai(client, mode=MODES[mode])
        _import_lazy_parts()

    @classmethod
    def from_settings(cls, settings: Settings) -> "InternalLLM | None":
        if not settings.llm_base_url:
            return None
        client = openai.AsyncOpenAI(base_url=settings.llm_base_url,
                                    api_key=settings.llm_api_key or "not-needed",
                                    timeout=settings.llm_timeout, max_retries=0)
        return cls(client, model=settings.llm_model, mode=settings.llm_mode,
                   timeout=settings.llm_timeout, attempts=settings.llm_attempts,
                   turn_deadline=settings.turn_deadline)

    def deadline(self) -> Deadline:
        return Deadline.after(self.turn_deadline)

    async def structured(self, response_model: type[T], messages: list[dict[str, str]],
                         deadline: Deadline) -> tuple[T, Usage]:
        """One structured answer, retried within `attempts` and the deadline."""
        usage = Usage()
        reason = "the language model did not answer"
        for attempt in range(1, self.attempts + 1):
            remaining = deadline.remaining
            if remaining <= 0.05:
                reason = "the language model took too long to answer"
                break
            try:
                async with asyncio.timeout(min(remaining, self.timeout)):
                    result, completion = await self._instructor.chat.completions \
                        .create_with_completion(model=self.model, messages=messages,
                                                response_model=response_model,
                                                max_retries=0, strict=False)
                return result, add_usage(usage, completion)
            except (TimeoutError, openai.OpenAIError, InstructorError) as error:
                usage = _add_total(usage, error)
                reason, heals, wait = _classify(error)
            log.warning("internal LLM attempt %d/%d failed: %s", attempt, self.attempts, reason)
            if not heals or attempt == self.attempts:
                break
            if wait is not None:
                if wait >= deadline.remaining - 0.05:
                    break
                await asyncio.sleep(wait)
        raise LLMUnavailable(reason, usage)

    async def close(self) -> None:
        await self.client.close()


def _import_lazy_parts() -> None:
    """Modules the SDKs import on their first request, imported now so the first turn does
    not block the event loop importing them."""
    import importlib
    for name in ("anyio._backends._asyncio", "anyio.lowlevel", "anyio.streams.memory",
                 "anyio.streams.stapled", "instructor.v2.core.function_calls"):
        try:
            importlib.import_module(name)
        except ImportError:  # a newer version moved it: it is imported when first used
            pass


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


def _add_total(usage: Usage, error: BaseException) -> Usage:
    """Tokens a failed attempt spent, when instructor reports them as a usage object."""
    total = getattr(error, "total_usage", None)
    if total is None or not hasattr(total, "prompt_tokens"):
        return usage
    return add_usage(usage, type("Spent", (), {"usage": total}))
