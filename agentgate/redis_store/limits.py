"""Turns running at once per API key, counted across every replica.

Each running turn is a member of a sorted set per key, scored with the time its slot
expires, so the slots of a replica that crashed free themselves. Keys are stored as a hash
of the API key (or client address), never the key itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
from typing import AsyncIterator

from agentgate.redis_store.client import PREFIX, UNREACHABLE, Link

log = logging.getLogger(__name__)

# KEYS: the key's set. ARGV: member, limit, slot lifetime ms. 1 when the slot is held.
ENTER = """
local now = redis.call('time')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('zremrangebyscore', KEYS[1], '-inf', now)
if redis.call('zcard', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('zadd', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('pexpire', KEYS[1], ARGV[3])
return 1
"""


class RedisCounter:
    def __init__(self, link: Link, slot_seconds: float):
        self.link = link
        self.slot_ms = int(slot_seconds * 1000)
        self._enter = link.client.register_script(ENTER)

    @staticmethod
    def key(name: str) -> str:
        return f"{PREFIX}turns:" + hashlib.sha256(name.encode()).hexdigest()[:32]

    @contextlib.asynccontextmanager
    async def enter(self, name: str, limit: int) -> AsyncIterator[bool]:
        key, member = self.key(name), secrets.token_hex(8)
        async with self.link.guard():
            held = await self._enter(keys=[key], args=[member, limit, self.slot_ms])
        if not held:
            yield False
            return
        try:
            yield True
        finally:
            try:
                await asyncio.shield(self.link.client.zrem(key, member))
            except UNREACHABLE:  # it expires with its lifetime
                log.debug("a turn slot could not be given back; it expires")
