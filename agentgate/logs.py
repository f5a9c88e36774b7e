"""Log output: plain lines, or one JSON object per line (`AGENTGATE_LOG_FORMAT=json`) with
the request id and conversation of the request being served.

The conversation appears as a tag, its marker cut to the first 8 characters after `ag_`
(`ag_xgZIne9W…`): enough to find one conversation in the logs, never enough to continue it
(a full marker is what lets a client resume a conversation).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "agentgate_request_id", default=None)
CONVERSATION: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "agentgate_conversation", default=None)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def conversation_tag(marker: str) -> str:
    """`ag_xgZIne9WsgpEkVZVk8ViqK.3` → `ag_xgZIne9W…`."""
    return marker[:11] + "…"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request_id,
    conversation_id and, for errors, the exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc)
                 .isoformat(timespec="milliseconds"),
                 "level": record.levelname.lower(), "logger": record.name,
                 "message": record.getMessage()}
        request_id, conversation = REQUEST_ID.get(), CONVERSATION.get()
        if request_id:
            entry["request_id"] = request_id
        if conversation:
            entry["conversation_id"] = conversation
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str, style: str) -> None:
    """The root logger writes to stderr in the chosen format (`text` or `json`)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if style == "json" else
                         logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
