"""Stored Responses API objects, for `GET`/`DELETE /v1/responses/{id}` and
`previous_response_id`.

`ResponseStore` is the small async interface the API uses; `FileResponseStore` keeps one
JSON file per response under `<data dir>/responses/`, sharded like conversation records
and replaced in one step on every write, with all file work off the event loop. Another
store (`redis_store.responses`, for several replicas) implements the same four methods.

A stored response holds the conversation marker of its reply, so a request naming it as
`previous_response_id` continues that conversation from the state the reply was written
from; and the owner tag of its API key, so no other key can read, continue or delete it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from agentgate.conversation.store import write_atomically

log = logging.getLogger(__name__)
_ID = re.compile(r"^resp_[0-9a-f]{48}$")


def valid_id(response_id: str) -> bool:
    return bool(_ID.match(response_id))


def new_id() -> str:
    return "resp_" + secrets.token_hex(24)


@dataclass(frozen=True)
class StoredResponse:
    id: str
    owner: str | None        # owner tag (see conversation.state.owner_of), never a key
    workflow: str
    marker: str | None       # the reply's conversation marker; None when it has none
    body: dict[str, Any]     # the response object as it was sent

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "owner": self.owner, "workflow": self.workflow,
                "marker": self.marker, "body": self.body}

    @classmethod
    def from_dict(cls, data: Any, expected_id: str) -> "StoredResponse":
        """Raises ValueError for data this code did not write for `expected_id`."""
        if not isinstance(data, dict) or data.get("id") != expected_id or \
                not isinstance(data.get("workflow"), str) or \
                not isinstance(data.get("body"), dict) or \
                not all(data.get(k) is None or isinstance(data.get(k), str)
                        for k in ("owner", "marker")):
            raise ValueError("not a stored response")
        return cls(expected_id, data["owner"], data["workflow"], data["marker"], data["body"])


class ResponseStore(Protocol):
    async def get(self, response_id: str) -> StoredResponse | None:
        """The stored response, or None when there is none (or it cannot be read)."""

    async def put(self, response: StoredResponse) -> None:
        """Store (or replace) a response."""

    async def delete(self, response_id: str) -> bool:
        """Remove a response; whether there was one."""

    async def sweep(self, max_age_seconds: float) -> int:
        """Remove responses older than that; how many."""


class FileResponseStore:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root) / "responses"

    def path_for(self, response_id: str) -> Path | None:
        """The file of a well-formed id; None for any other text (never a path outside)."""
        if not _ID.match(response_id):
            return None
        return self.root / response_id[5:7] / f"{response_id}.json"

    async def get(self, response_id: str) -> StoredResponse | None:
        return await asyncio.to_thread(self._get, response_id)

    async def put(self, response: StoredResponse) -> None:
        await asyncio.to_thread(self._put, response)

    async def delete(self, response_id: str) -> bool:
        return await asyncio.to_thread(self._delete, response_id)

    async def sweep(self, max_age_seconds: float) -> int:
        return await asyncio.to_thread(self._sweep, max_age_seconds)

    def _get(self, response_id: str) -> StoredResponse | None:
        path = self.path_for(response_id)
        if path is None:
            return None
        try:
            data = json.loads(path.read_bytes())
            return StoredResponse.from_dict(data, response_id)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:  # json errors are ValueErrors too
            log.warning("response %s: stored object unreadable (%s); treated as missing",
                        response_id, type(exc).__name__)
            return None

    def _put(self, response: StoredResponse) -> None:
        path = self.path_for(response.id)
        if path is None:
            raise ValueError("not a response id")
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, json.dumps(response.to_dict(), ensure_ascii=False,
                                          separators=(",", ":")).encode())

    def _delete(self, response_id: str) -> bool:
        path = self.path_for(response_id)
        if path is None:
            return False
        try:
            path.unlink()
            return True
        except FileNotFoundError:
            return False

    def _sweep(self, max_age_seconds: float) -> int:
        cutoff = time.time() - max_age_seconds
        removed = 0
        for pattern, age in (("*/resp_*.json", cutoff), ("*/.*.tmp", time.time() - 60)):
            for path in self.root.glob(pattern):
                with contextlib.suppress(OSError):
                    if path.stat().st_mtime < age:
                        path.unlink()
                        removed += pattern.startswith("*/resp_")
        return removed

