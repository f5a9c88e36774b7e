"""A turn's events as a Responses API response: output items and the stream events that
build them.

`ResponseBuilder` follows a turn: the workflow's progress becomes a `reasoning` output item
whose summary text grows line by line, and the reply (conversational text, the answer and
the conversation marker) becomes the assistant `message` item after it. Each step returns
the stream events it produced, numbered in order; a non-streamed response uses the same
builder and keeps only the finished object, so both carry the same items.

Text that comes before the workflow starts ("Got it: …") is held back until it is known
whether progress follows, so the reasoning item always comes first. Nothing is awaited
between that text and what follows it, so holding it delays nothing.
"""

from __future__ import annotations

import copy
import secrets
from typing import Any

from agentgate.api import responses_wire as wire
from agentgate.api.wire import estimate_tokens
from agentgate.events import Usage

Event = dict[str, Any]


def _item_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(24)}"


class ResponseBuilder:
    def __init__(self, response: dict[str, Any], *, reasoning: bool = True):
        self.response = response
        self.reasoning = reasoning   # whether progress is shown at all
        self.sequence = 0
        self.items: list[dict[str, Any]] = []
        self.phase = "before"        # before the workflow runs, while it does, after it
        self.held = ""
        self.summary = ""
        self.text = ""
        self._reasoning_item: dict[str, Any] | None = None
        self._message: dict[str, Any] | None = None

    def _event(self, kind: str, **fields: Any) -> Event:
        event = {"type": kind, "sequence_number": self.sequence, **fields}
        self.sequence += 1
        return event

    def _snapshot(self) -> dict[str, Any]:
        return copy.deepcopy(self.response)

    def start(self) -> list[Event]:
        return [self._event("response.created", response=self._snapshot()),
                self._event("response.in_progress", response=self._snapshot())]

    # Progress: the reasoning item.

    def thinking_started(self) -> list[Event]:
        self.phase = "thinking"
        if not self.reasoning or self._reasoning_item is not None:
            return []
        item = {"id": _item_id("rs"), "type": "reasoning", "summary": [],
                "status": "in_progress"}
        self._reasoning_item = item
        self.items.append(item)
        where = self._where(item)
        return [self._event("response.output_item.added", output_index=where["output_index"],
                            item=copy.deepcopy(item)),
                self._event("response.reasoning_summary_part.added", **where, summary_index=0,
                            part={"type": "summary_text", "text": ""})]

    def progress(self, line: str) -> list[Event]:
        if not line or self._reasoning_item is None or \
                self._reasoning_item["status"] != "in_progress":
            return []
        self.summary += line
        return [self._event("response.reasoning_summary_text.delta",
                            **self._where(self._reasoning_item), summary_index=0, delta=line)]

    def thinking_ended(self) -> list[Event]:
        self.phase = "after"
        item = self._reasoning_item
        if item is None or item["status"] != "in_progress":
            return []
        part = {"type": "summary_text", "text": self.summary}
        item.update(summary=[part], status="completed")
        where = self._where(item)
        return [self._event("response.reasoning_summary_text.done", **where, summary_index=0,
                            text=self.summary),
                self._event("response.reasoning_summary_part.done", **where, summary_index=0,
                            part=dict(part)),
                self._event("response.output_item.done", output_index=where["output_index"],
                            item=copy.deepcopy(item))]

    # The reply: the message item.

    def content(self, text: str) -> list[Event]:
        if not text:
            return []
        if self.phase == "before":
            self.held += text
            return []
        events = self._open_message()
        text, self.held = self.held + text, ""
        self.text += text
        events.append(self._event("response.output_text.delta", **self._where(self._message),
                                  content_index=0, delta=text, logprobs=[]))
        return events

    def _open_message(self) -> list[Event]:
        if self._message is not None:
            return []
        item = {"id": _item_id("msg"), "type": "message", "role": "assistant",
                "status": "in_progress", "content": []}
        self._message = item
        self.items.append(item)
        where = self._where(item)
        return [self._event("response.output_item.added", output_index=where["output_index"],
                            item=copy.deepcopy(item)),
                self._event("response.content_part.added", **where, content_index=0,
                            part={"type": "output_text", "text": "", "annotations": [],
                                  "logprobs": []})]

    def _where(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"item_id": item["id"], "output_index": self.items.index(item)}

    # The end.

    def complete(self, usage: Usage) -> list[Event]:
        """Closes what is open and finishes the response; `usage` is what the turn spent
        besides the estimate for the text sent here."""
        events = self.thinking_ended() if self.phase == "thinking" else []
        self.phase = "after"
        events += self._open_message()
        if self.held:
            events += self._flush()
        item = self._message
        part = {"type": "output_text", "text": self.text, "annotations": [], "logprobs": []}
        item.update(content=[part], status="completed")
        where = self._where(item)
        events += [self._event("response.output_text.done", **where, content_index=0,
                               text=self.text, logprobs=[]),
                   self._event("response.content_part.done", **where, content_index=0,
                               part=dict(part)),
                   self._event("response.output_item.done", output_index=where["output_index"],
                               item=copy.deepcopy(item))]
        reasoning_tokens = estimate_tokens(len(self.summary))
        total = Usage(usage.prompt_tokens, usage.completion_tokens + reasoning_tokens
                      + estimate_tokens(len(self.text)))
        self.response.update(status="completed", completed_at=wire.now(),
                             output=copy.deepcopy(self.items),
                             usage=wire.usage_dict(total, reasoning_tokens))
        events.append(self._event("response.completed", response=self._snapshot()))
        return events

    def _flush(self) -> list[Event]:
        text, self.held = self.held, ""
        self.text += text
        return [self._event("response.output_text.delta", **self._where(self._message),
                            content_index=0, delta=text, logprobs=[])]

    def fail(self, message: str, code: str = "server_error",
             kind: str = "server_error") -> list[Event]:
        """An `error` event, then `response.failed`; items left open are incomplete."""
        for item in self.items:
            if item["status"] == "in_progress":
                item["status"] = "incomplete"
        if self._message is not None:
            self._message["content"] = [{"type": "output_text", "text": self.text,
                                         "annotations": [], "logprobs": []}]
        error = {"type": kind, "code": code, "message": message, "param": None}
        # A failed response's code comes from a fixed list.
        known = code if code in ("server_error", "rate_limit_exceeded") else "server_error"
        self.response.update(status="failed", output=copy.deepcopy(self.items),
                             error={"code": known, "message": message})
        # Both forms of the error event: OpenAI's (flat) and the Open Responses one (nested).
        return [self._event("error", code=code, message=message, param=None, error=error),
                self._event("response.failed", response=self._snapshot())]
