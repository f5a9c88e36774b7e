"""Stored Responses API objects in Redis: one key per response, expiring after the
retention period (the same four methods as the file store)."""

from __future__ import annotations

import json
import logging

from agentgate.api.response_store import StoredResponse, valid_id
from agentgate.redis_store.client import PREFIX, Link

log = logging.getLogger(__name__)


def response_key(response_id: str) -> str:
    return f"{PREFIX}response:{response_id}"


class RedisResponseStore:
    def __init__(self, link: Link, retention_seconds: float = 0):
        self.link = link
        self.retention = int(-(-retention_seconds // 1))

    async def get(self, response_id: str) -> StoredResponse | None:
        if not valid_id(response_id):
            return None
        async with self.link.guard() as client:
            data = await client.get(response_key(response_id))
        if data is None:
            return None
        try:
            return StoredResponse.from_dict(json.loads(data), response_id)
        except ValueError as exc:  # json errors are ValueErrors too
            log.warning("response %s: stored object unreadable (%s); treated as missing",
                        response_id, type(exc).__name__)
            return None

    async def put(self, response: StoredResponse) -> None:
        if not valid_id(response.id):
            raise ValueError("not a response id")
        data = json.dumps(response.to_dict(), ensure_ascii=False, separators=(",", ":"))
        async with self.link.guard() as client:
            await client.set(response_key(response.id), data, ex=self.retention or None)

    async def delete(self, response_id: str) -> bool:
        if not valid_id(response_id):
            return False
        async with self.link.guard() as client:
            return bool(await client.delete(response_key(response_id)))

    async def sweep(self, max_age_seconds: float) -> int:
        return 0  # keys expire by themselves
