"""OpenAI Responses API shapes: the request we accept and the response object we send.

Fields a workflow has no use for (sampling settings, `max_output_tokens`, client `tools`)
are accepted, checked only as far as the response object needs to echo them, and never
acted on. Requests that ask for what a workflow cannot do (a forced tool call, JSON output,
background runs, server-side conversations) get a 400 naming the parameter.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agentgate.api.wire import WireMessage, validated
from agentgate.conversation.dialogue import ChatMessage
from agentgate.errors import InvalidRequest
from agentgate.events import Usage

MESSAGE_ROLES = ("user", "assistant", "system", "developer")


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ReasoningParam(_Open):
    effort: Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"] | None = None
    summary: Literal["auto", "concise", "detailed"] | None = None


class TextFormat(_Open):
    type: str


class TextParam(_Open):
    format: TextFormat | None = None
    verbosity: Literal["low", "medium", "high"] | None = None


class Tool(_Open):
    type: str = Field(..., min_length=1)


class ResponsesRequest(_Open):
    model: str = Field(..., min_length=1)
    input: str | list[Any]
    instructions: str | None = None
    stream: bool | None = False
    previous_response_id: str | None = Field(None, min_length=1, max_length=200)
    store: bool | None = True
    metadata: dict[str, str] | None = None
    include: list[str] | None = None
    tools: list[Tool] | None = None
    tool_choice: Any = None
    text: TextParam | None = None
    reasoning: ReasoningParam | None = None
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, ge=0, le=1)
    presence_penalty: float | None = Field(None, ge=-2, le=2)
    frequency_penalty: float | None = Field(None, ge=-2, le=2)
    top_logprobs: int | None = Field(None, ge=0, le=20)
    max_output_tokens: int | None = Field(None, ge=1)
    max_tool_calls: int | None = Field(None, ge=0)
    parallel_tool_calls: bool | None = None
    truncation: Literal["auto", "disabled"] | None = None
    user: str | None = Field(None, max_length=256)
    safety_identifier: str | None = Field(None, max_length=64)
    prompt_cache_key: str | None = Field(None, max_length=256)
    background: bool | None = None
    conversation: Any = None

    @field_validator("metadata")
    @classmethod
    def _metadata(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is not None and (len(value) > 16 or any(
                len(k) > 64 or len(v) > 512 for k, v in value.items())):
            raise ValueError("at most 16 pairs, keys of at most 64 characters and values "
                             "of at most 512")
        return value

    def messages(self) -> tuple[ChatMessage, ...]:
        """The conversation the input holds (instructions first, as a system message)."""
        found: list[ChatMessage] = []
        if self.instructions:
            found.append(ChatMessage("system", self.instructions))
        if isinstance(self.input, str):
            return (*found, ChatMessage("user", self.input))
        for index, item in enumerate(self.input):
            message = _message(item, index)
            if message is not None:
                found.append(ChatMessage(message.role, message.text()))
        return tuple(found)


def _message(item: Any, index: int) -> WireMessage | None:
    """A message input item as a chat message; None for items that carry no message
    (earlier reasoning items, tool calls and outputs)."""
    where = f"input[{index}]"
    if not isinstance(item, dict):
        raise InvalidRequest(f"Invalid value for '{where}': an input item must be an object.",
                             param=where, code="invalid_value")
    if item.get("type", "message") != "message":
        return None
    if item.get("role") not in MESSAGE_ROLES:
        raise InvalidRequest(f"Invalid value for '{where}.role': a message's role must be one "
                             f"of {', '.join(MESSAGE_ROLES)}.", param=f"{where}.role",
                             code="invalid_value")
    try:
        return WireMessage.model_validate({"role": item["role"], "content": item.get("content")})
    except ValidationError:
        raise InvalidRequest(f"Invalid value for '{where}.content': give a string or a list "
                             "of content parts.", param=f"{where}.content",
                             code="invalid_value") from None


def parse_request(body: Any) -> ResponsesRequest:
    request = validated(ResponsesRequest, body)
    _refuse_unsupported(request)
    last = next((m.role for m in reversed(request.messages())
                 if m.role in ("user", "assistant")), None)
    if last != "user":
        raise InvalidRequest("The input must end with a user message: there is nothing new "
                             "to answer.", param="input", code="invalid_value")
    return request


def _refuse_unsupported(request: ResponsesRequest) -> None:
    def refuse(param: str, message: str) -> None:
        raise InvalidRequest(message, param=param, code="unsupported_value")

    choice = request.tool_choice
    if choice is not None and not (choice in ("none", "auto") or (
            isinstance(choice, dict) and choice.get("type") == "allowed_tools"
            and choice.get("mode") == "auto")):
        refuse("tool_choice", "tool_choice that forces a tool call is not supported; "
               "workflows answer in text.")
    if request.text and request.text.format and request.text.format.type != "text":
        refuse("text.format", "Only text output is supported: a workflow's answer is text.")
    if request.background:
        refuse("background", "Background responses are not supported; use stream instead.")
    if request.conversation is not None:
        refuse("conversation", "Server-side conversation objects are not supported; continue "
               "with previous_response_id, or resend the history in input.")


def now() -> int:
    return int(time.time())


def usage_dict(usage: Usage, reasoning_tokens: int = 0) -> dict[str, Any]:
    return {"input_tokens": usage.prompt_tokens,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": usage.completion_tokens,
            "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
            "total_tokens": usage.total_tokens}


def response_object(request: ResponsesRequest, response_id: str, created_at: int,
                    previous_response_id: str | None) -> dict[str, Any]:
    """A response in progress: every key present, nulls where nothing is known yet, and
    the request's settings echoed (with the defaults OpenAI reports when absent)."""
    text: dict[str, Any] = {"format": {"type": "text"}}
    if request.text and request.text.verbosity:
        text["verbosity"] = request.text.verbosity
    reasoning = request.reasoning or ReasoningParam()
    return {
        "id": response_id, "object": "response", "created_at": created_at,
        "status": "in_progress", "completed_at": None, "error": None,
        "incomplete_details": None, "instructions": request.instructions,
        "max_output_tokens": request.max_output_tokens,
        "max_tool_calls": request.max_tool_calls, "model": request.model, "output": [],
        "parallel_tool_calls": _given(request.parallel_tool_calls, True),
        "previous_response_id": previous_response_id,
        "reasoning": {"effort": reasoning.effort, "summary": reasoning.summary},
        "store": _given(request.store, True),
        "temperature": _given(request.temperature, 1.0), "text": text,
        "tool_choice": _given(request.tool_choice, "auto"),
        "tools": [_echoed(tool.model_dump()) for tool in request.tools or []],
        "top_p": _given(request.top_p, 1.0), "top_logprobs": _given(request.top_logprobs, 0),
        "presence_penalty": _given(request.presence_penalty, 0.0),
        "frequency_penalty": _given(request.frequency_penalty, 0.0),
        # OpenAI's schema has no null usage: zeros until the response is complete.
        "truncation": _given(request.truncation, "disabled"), "usage": usage_dict(Usage()),
        # OpenAI's schema wants a string here, the Open Responses one the key: "" is both.
        "user": request.user or "", "metadata": request.metadata or {},
        "background": False, "service_tier": "default",
        "safety_identifier": request.safety_identifier,
        "prompt_cache_key": request.prompt_cache_key,
    }


def _echoed(tool: dict[str, Any]) -> dict[str, Any]:
    """A client tool as a response lists it: a function tool with every key it has there."""
    if tool["type"] == "function":
        return {"description": None, "parameters": None, "strict": True, **tool}
    return tool


def _given(value: Any, default: Any) -> Any:
    return default if value is None else value
