"""OpenAI Chat Completions shapes: the request we accept and the objects we send.

Unknown request fields are accepted and ignored, as OpenAI-compatible clients send many.
"""

from __future__ import annotations

import secrets
import time
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentgate.conversation.dialogue import ChatMessage
from agentgate.errors import InvalidRequest
from agentgate.events import Usage


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ContentPart(_Open):
    type: str
    text: str | None = None


class WireMessage(_Open):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            text = "\n".join(part.text for part in self.content
                             if part.type in ("text", "input_text", "output_text") and part.text)
        else:
            text = self.content or ""
        if self.role == "user":  # a RAG template may wrap the user's words: keep only those
            start, end = text.find("<user_query>"), text.rfind("</user_query>")
            if 0 <= start < end:
                text = text[start + len("<user_query>"):end].strip()
        return text


class StreamOptions(_Open):
    include_usage: bool | None = False


class ChatRequest(_Open):
    model: str = Field(..., min_length=1)
    messages: list[WireMessage] = Field(..., min_length=1)
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    n: int | None = None
    tool_choice: Any = None

    @property
    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)

    def chat_messages(self) -> tuple[ChatMessage, ...]:
        return tuple(ChatMessage(message.role, message.text()) for message in self.messages)


Request = TypeVar("Request", bound=BaseModel)


def validated(model: type[Request], body: Any) -> Request:
    """The request body as `model`, or InvalidRequest naming the first wrong parameter."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        error = exc.errors()[0]
        param = param_path(error["loc"])
        if error["type"] == "missing":
            raise InvalidRequest(f"Missing required parameter: '{param}'.", param=param,
                                 code="missing_required_parameter") from None
        message = error["msg"].removeprefix("Value error, ")
        raise InvalidRequest(f"Invalid value for '{param}': {message}.", param=param,
                             code="invalid_value") from None


def parse_chat_request(body: Any) -> ChatRequest:
    request = validated(ChatRequest, body)
    if request.n is not None and request.n != 1:
        raise InvalidRequest("Only n=1 is supported: a workflow gives one answer per turn.",
                             param="n", code="unsupported_value")
    choice = request.tool_choice
    forced = choice == "required" or (isinstance(choice, dict) and (
        choice.get("type") in ("function", "custom") or choice.get("mode") == "required"))
    if forced:
        raise InvalidRequest("tool_choice that forces a tool call is not supported; "
                             "workflows answer in text.", param="tool_choice",
                             code="unsupported_value")
    last = next((m.role for m in reversed(request.messages)
                 if m.role in ("user", "assistant")), None)
    if last != "user":
        raise InvalidRequest("The last message must be from the user: there is nothing new "
                             "to answer.", param="messages", code="invalid_value")
    return request


def param_path(location: tuple[Any, ...]) -> str:
    """pydantic's ('messages', 0, 'content', 'str') -> 'messages[0].content'."""
    param = ""
    for part in location:
        if isinstance(part, int):
            param += f"[{part}]"
        elif part in ("str", "none") or "[" in part:
            break
        else:
            param += ("." if param else "") + part
    return param


def completion_id() -> str:
    return "chatcmpl-" + secrets.token_hex(12)


def now() -> int:
    return int(time.time())


def estimate_tokens(chars: int) -> int:
    """Tokens in a text of `chars` characters: about four characters a token."""
    return (chars + 3) // 4


def usage_dict(usage: Usage) -> dict[str, int]:
    return {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens}


def chunk(cid: str, created: int, model: str, delta: dict[str, Any],
          finish_reason: str | None = None) -> dict[str, Any]:
    return {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None,
                         "finish_reason": finish_reason}]}


def usage_chunk(cid: str, created: int, model: str, usage: Usage) -> dict[str, Any]:
    return {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [], "usage": usage_dict(usage)}


def completion(cid: str, created: int, model: str, content: str, usage: Usage,
               reasoning: str = "") -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
    if reasoning:
        message["reasoning_content"] = reasoning
    return {"id": cid, "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                         "message": message}],
            "usage": usage_dict(usage)}
