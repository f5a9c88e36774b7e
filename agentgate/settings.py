"""Every setting, its environment variable, default and help text, in one table.

The CLI's `--help`, the documentation check in the tests and `Settings.from_env` all read
`SETTINGS`, so a setting cannot exist in one place and be missing from another.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from agentgate.errors import AgentgateError

ENV_PREFIX = "AGENTGATE_"


def _bundled_prompts() -> str:
    checkout = Path(__file__).resolve().parent.parent / "prompts"
    if checkout.is_dir():
        return str(checkout)
    return str(Path(sys.prefix) / "share" / "agentgate" / "prompts")


def _keys(raw: str) -> tuple[str, ...]:
    return tuple(key.strip() for key in raw.split(",") if key.strip())


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value
    return parse


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("must be a positive whole number")
    return value


def _store_url(raw: str) -> str:
    value = raw.strip()
    if value.lower() in ("", "file", "files"):
        return ""
    if value.split("://", 1)[0].lower() not in ("redis", "rediss", "unix") or \
            "://" not in value:
        # The value may hold a password: the message never repeats it.
        raise ValueError("must be empty (files under AGENTGATE_DATA_DIR) or a Redis URL: "
                         "redis://[:password@]host:port/db, rediss://… or unix://…")
    return value


def _positive_seconds(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise ValueError("must be a positive number of seconds")
    return value


LLM_MODES = ("tools", "json", "json_schema", "md_json")


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str
    secret: bool = False

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("host", "127.0.0.1", "Address the HTTP server listens on."),
    Setting("port", 8000, "Port the HTTP server listens on.", int),
    Setting("workflows", "workflows", "Folder holding the workflow JSON files."),
    Setting("data_dir", "data", "Folder where conversation state and stored Responses API "
            "objects are kept."),
    Setting("store", "", "Where conversation state, stored Responses API objects and the "
            "per-key turn counts live: empty for files under the data folder (one process), "
            "or a Redis URL (redis://[:password@]host:port/db) shared by every replica.",
            _store_url, secret=True),
    Setting("lock_wait", 120.0, "Seconds a turn waits while another turn of the same "
            "conversation is being answered; then it gets HTTP 409 conversation_busy.",
            _positive_seconds),
    Setting("prompts", _bundled_prompts(),
            "Folder holding the jinja2 templates for questions and replies."),
    Setting("api_keys", (), "Comma-separated API keys clients must send as a Bearer token; "
            "empty means no authentication.", _keys, secret=True),
    Setting("user_header", "", "A request header naming the end user behind a trusted "
            "front end (for Open WebUI with ENABLE_FORWARD_USER_INFO_HEADERS: "
            "X-OpenWebUI-User-Id). When set, a conversation belongs to that user as well as "
            "to the API key. Empty: conversations belong to the API key only."),
    Setting("id_style", "reference", "How the conversation ID is written into replies: "
            "`reference` (a hidden Markdown link reference) or `fence` (a small labelled code "
            "block that chat interfaces show). Both are always read back.",
            _choice("reference", "fence")),
    Setting("date_order", "ask", "How a date like 5/6/2027 is read: `ask` (ask the user "
            "which is meant), `dmy` (5 June) or `mdy` (May 6). Dates where one reading is "
            "impossible, like 20/11/2027, are always read.", _choice("ask", "dmy", "mdy")),
    Setting("retention_days", 30.0, "Days a conversation's stored state is kept after its "
            "last turn (checked hourly); 0 keeps it forever. An expired conversation is "
            "rebuilt from the chat history if it is resumed.", float),
    Setting("max_body_bytes", 4 * 1024 * 1024,
            "Largest request body accepted, in bytes; larger requests get HTTP 413.", _positive_int),
    Setting("body_timeout", 30.0, "Seconds a client may take to send a request body; a "
            "slower one gets HTTP 408.", _positive_seconds),
    Setting("max_turns", 256, "Turns that may run at once in the whole server; more get "
            "HTTP 503 with Retry-After.", _positive_int),
    Setting("max_turns_per_key", 32, "Turns that may run at once for one API key (or, with "
            "no keys, one client address); more get HTTP 429 with Retry-After.",
            _positive_int),
    Setting("log_level", "info", "Logging level: debug, info, warning or error.",
            _choice("debug", "info", "warning", "error")),
    Setting("log_format", "text", "Log output: `text` (one plain line per record) or `json` "
            "(one JSON object per line, with the request id and a tag of the conversation).",
            _choice("text", "json")),
    Setting("reasoning", "tags", "How workflow progress is shown: `tags` (a <thinking> block "
            "in the content, works everywhere), `reasoning_content` (a separate field that "
            "some clients show as reasoning) or `none`. The Responses API shows progress as a "
            "reasoning item unless this is `none`.",
            _choice("tags", "reasoning_content", "none")),
    Setting("heartbeat_seconds", 15.0, "Seconds of silence after which a stream gets an SSE "
            "comment, so proxies and clients keep long runs open.", _positive_seconds),
    Setting("cors_origins", (), "Comma-separated browser origins allowed to call the API "
            "(e.g. http://localhost:3000), or `*`; empty means no CORS headers.", _keys),
    Setting("node_timeout", 60.0, "Seconds one workflow step may take, unless the step sets "
            "its own `timeout`.", _positive_seconds),
    Setting("run_timeout", 300.0, "Seconds a whole workflow run may take.", _positive_seconds),
    Setting("max_run_steps", 10_000, "Steps one workflow run may take in all, counting "
            "every item of a `map` and every step of a called workflow.", _positive_int),
    Setting("max_map_items", 1_000, "Items one `map` step may run over.", _positive_int),
    Setting("max_http_bytes", 5 * 1024 * 1024, "Largest answer an `http` step reads, in "
            "bytes.", _positive_int),
    Setting("max_answer_chars", 1_000_000, "Longest answer one workflow run may give, in "
            "characters.", _positive_int),
    Setting("reload_seconds", 2.0, "How often the workflows folder is checked for changed "
            "files; 0 turns reloading off.", float),
    Setting("llm_base_url", "", "Base URL of the OpenAI-compatible internal LLM that reads "
            "users' answers (e.g. https://api.openai.com/v1); empty means the offline gatherer."),
    Setting("llm_model", "gpt-4o-mini", "Model name sent to the internal LLM."),
    Setting("llm_api_key", "", "API key for the internal LLM (empty for local servers).",
            secret=True),
    Setting("llm_mode", "tools", "How structured output is requested: tools, json, "
            "json_schema or md_json.", _choice(*LLM_MODES)),
    Setting("llm_timeout", 20.0, "Seconds one internal LLM request may take.", _positive_seconds),
    Setting("llm_attempts", 2, "Internal LLM attempts per turn, retries included.",
            _positive_int),
    Setting("turn_deadline", 45.0, "Seconds the internal LLM may spend on one turn, retries "
            "and waits included; then the user is told and may send the message again.",
            _positive_seconds),
)


class SettingsError(AgentgateError, ValueError):
    """An environment variable holds a value its setting cannot take."""


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    workflows: str = "workflows"
    data_dir: str = "data"
    store: str = field(default="", repr=False)
    lock_wait: float = 120.0
    prompts: str = field(default_factory=_bundled_prompts)
    api_keys: tuple[str, ...] = field(default=(), repr=False)
    user_header: str = ""
    id_style: str = "reference"
    date_order: str = "ask"
    retention_days: float = 30.0
    max_body_bytes: int = 4 * 1024 * 1024
    body_timeout: float = 30.0
    max_turns: int = 256
    max_turns_per_key: int = 32
    log_level: str = "info"
    log_format: str = "text"
    reasoning: str = "tags"
    heartbeat_seconds: float = 15.0
    cors_origins: tuple[str, ...] = ()
    node_timeout: float = 60.0
    run_timeout: float = 300.0
    max_run_steps: int = 10_000
    max_map_items: int = 1_000
    max_http_bytes: int = 5 * 1024 * 1024
    max_answer_chars: int = 1_000_000
    reload_seconds: float = 2.0
    llm_base_url: str = ""
    llm_model: str = "gpt-4o-mini"
    llm_api_key: str = field(default="", repr=False)
    llm_mode: str = "tools"
    llm_timeout: float = 20.0
    llm_attempts: int = 2
    turn_deadline: float = 45.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        """Defaults, then `AGENTGATE_*` variables, then explicit overrides (CLI options)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            raw = env.get(setting.env)
            if raw is None or raw == "":
                continue
            try:
                values[setting.name] = setting.parse(raw)
            except ValueError as exc:
                shown = "(hidden)" if setting.secret else repr(raw)
                raise SettingsError(f"{setting.env}={shown}: {exc}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **changes)
