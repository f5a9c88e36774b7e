"""What Responses API clients check besides OpenAI's schemas: the stricter shapes of the Open
Responses specification (every key of a response present, with a value of the right type,
not null, where it requires one), the stream events of its compliance checks, and the SSE
framing its parser expects."""

from __future__ import annotations

import json
from typing import Any

NUMBER = (int, float)
NULLABLE_STR = (str, type(None))
NULLABLE_INT = (int, type(None))

# Every key an Open Responses response object must have, and the types its value may take.
RESPONSE_KEYS: dict[str, tuple[type, ...]] = {
    "id": (str,), "object": (str,), "created_at": (int,), "completed_at": NULLABLE_INT,
    "status": (str,), "incomplete_details": (dict, type(None)), "model": (str,),
    "previous_response_id": NULLABLE_STR, "instructions": (str, list, type(None)),
    "output": (list,), "error": (dict, type(None)), "tools": (list,),
    "tool_choice": (str, dict), "truncation": (str,), "parallel_tool_calls": (bool,),
    "text": (dict,), "top_p": NUMBER, "presence_penalty": NUMBER,
    "frequency_penalty": NUMBER, "top_logprobs": (int,), "temperature": NUMBER,
    "reasoning": (dict, type(None)), "user": NULLABLE_STR, "usage": (dict, type(None)),
    "max_output_tokens": NULLABLE_INT, "max_tool_calls": NULLABLE_INT, "store": (bool,),
    "background": (bool,), "service_tier": (str,), "metadata": (dict,),
    "safety_identifier": NULLABLE_STR, "prompt_cache_key": NULLABLE_STR,
}

# Keys each stream event must have besides `type` and `sequence_number`.
EVENT_KEYS: dict[str, tuple[str, ...]] = {
    "response.created": ("response",), "response.in_progress": ("response",),
    "response.completed": ("response",), "response.failed": ("response",),
    "response.output_item.added": ("output_index", "item"),
    "response.output_item.done": ("output_index", "item"),
    "response.content_part.added": ("item_id", "output_index", "content_index", "part"),
    "response.content_part.done": ("item_id", "output_index", "content_index", "part"),
    "response.output_text.delta": ("item_id", "output_index", "content_index", "delta"),
    "response.output_text.done": ("item_id", "output_index", "content_index", "text"),
    "response.reasoning_summary_part.added": ("item_id", "output_index", "summary_index",
                                              "part"),
    "response.reasoning_summary_part.done": ("item_id", "output_index", "summary_index",
                                             "part"),
    "response.reasoning_summary_text.delta": ("item_id", "output_index", "summary_index",
                                              "delta"),
    "response.reasoning_summary_text.done": ("item_id", "output_index", "summary_index",
                                             "text"),
    "error": ("error",),
}


def check_response(response: dict[str, Any]) -> None:
    for key, types in RESPONSE_KEYS.items():
        assert key in response, f"response lacks {key!r}"
        assert isinstance(response[key], types), (key, response[key])
    assert response["object"] == "response"
    assert response["truncation"] in ("auto", "disabled")
    assert isinstance(response["text"].get("format", {}).get("type"), str)
    if response["reasoning"] is not None:
        assert {"effort", "summary"} <= response["reasoning"].keys()
    if response["error"] is not None:
        assert isinstance(response["error"]["code"], str)
        assert isinstance(response["error"]["message"], str)
    usage = response["usage"]
    if usage is not None:
        for key in ("input_tokens", "output_tokens", "total_tokens"):
            assert isinstance(usage[key], int)
        assert isinstance(usage["input_tokens_details"]["cached_tokens"], int)
        assert isinstance(usage["output_tokens_details"]["reasoning_tokens"], int)
    for item in response["output"]:
        check_item(item)


def check_item(item: dict[str, Any]) -> None:
    assert isinstance(item["id"], str) and item["id"]
    if item["type"] == "message":
        assert item["role"] == "assistant" and item["status"] in (
            "in_progress", "completed", "incomplete")
        for part in item["content"]:
            assert part["type"] == "output_text" and isinstance(part["text"], str)
            assert isinstance(part["annotations"], list)
    else:
        assert item["type"] == "reasoning", item
        for part in item["summary"]:
            assert part["type"] == "summary_text" and isinstance(part["text"], str)


def check_event(event: dict[str, Any]) -> None:
    kind = event["type"]
    assert kind in EVENT_KEYS, f"unexpected event type {kind!r}"
    assert isinstance(event["sequence_number"], int)
    for key in EVENT_KEYS[kind]:
        assert key in event, f"{kind} lacks {key!r}"
    if "response" in event:
        check_response(event["response"])
    if "item" in event:
        check_item(event["item"])
    if kind == "error":
        error = event["error"]
        assert {"type", "code", "message", "param"} <= error.keys()
        assert isinstance(error["type"], str) and isinstance(error["message"], str)


def parse_stream(body: str) -> list[dict[str, Any]]:
    """The events of a Responses stream, checking its framing: `\\n` line ends, an
    `event:` line equal to the data's type before each `data:` line, no `[DONE]`, sequence
    numbers counting from 0."""
    assert "\r" not in body and "[DONE]" not in body
    events = []
    for block in body.split("\n\n"):
        lines = [line for line in block.split("\n") if line and not line.startswith(":")]
        if not lines:
            continue
        assert len(lines) == 2 and lines[0].startswith("event: ") and \
            lines[1].startswith("data: "), block
        event = json.loads(lines[1][len("data: "):])
        assert lines[0][len("event: "):] == event["type"]
        check_event(event)
        events.append(event)
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    return events


def final_response(events: list[dict[str, Any]]) -> dict[str, Any]:
    terminal = [e for e in events if e["type"] in ("response.completed", "response.failed")]
    assert len(terminal) == 1 and terminal[0] is events[-1]
    return terminal[0]["response"]


def output_text(response: dict[str, Any]) -> str:
    return "".join(part["text"] for item in response["output"] if item["type"] == "message"
                   for part in item["content"])
