"""Conversation records in Redis, for several replicas: one key per conversation (a hash of
its record and fence) that expires after the retention period, and a lock per
conversation that holds across replicas (see lease.py).

Nothing is kept in memory between turns: another replica may have answered the last one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import AsyncIterator, Awaitable

from agentgate.conversation.state import Record
from agentgate.conversation.store_base import LOCK_WAIT, Lease, LocalLocks, Store, busy
from agentgate.errors import ConversationConflict
from agentgate.redis_store.client import Link
from agentgate.redis_store.lease import LEASE, SAVE, Leases, conversation_key

log = logging.getLogger(__name__)
POLL_FIRST, POLL_MOST = 0.005, 0.1  # seconds between tries for a lock another turn holds


class RedisConversationStore(Store):
    kind = "redis"

    def __init__(self, link: Link, *, retention_seconds: float = 0,
                 lock_wait: float = LOCK_WAIT, lease: float = LEASE):
        self.link = link
        self.retention = int(-(-retention_seconds // 1))  # whole seconds, rounded up
        self.lock_wait = lock_wait
        self.leases = Leases(link, self.retention, lease)
        self._local = LocalLocks(lock_wait)
        self._save = link.client.register_script(SAVE)
        # The record read with the lock, handed to the holder's first load (one round trip).
        self._fetched: dict[str, bytes] = {}

    @contextlib.asynccontextmanager
    async def lock(self, conversation_id: str) -> AsyncIterator[Lease]:
        deadline = time.monotonic() + self.lock_wait
        # Turns of one conversation in this process queue here, not on Redis.
        async with self._local.hold(conversation_id):
            lease = await self._acquire(conversation_id, deadline)
            keeper = asyncio.create_task(self.leases.keep(lease))
            try:
                yield lease
            finally:
                self._fetched.pop(conversation_id, None)
                keeper.cancel()
                await asyncio.gather(keeper, return_exceptions=True)
                await asyncio.shield(self.leases.release(lease))

    async def _acquire(self, conversation_id: str, deadline: float) -> Lease:
        pause = POLL_FIRST
        while True:
            lease, record = await self.leases.try_acquire(conversation_id)
            if lease is not None:
                self._fetched[conversation_id] = record
                return lease
            if time.monotonic() + pause > deadline:
                raise busy(self.lock_wait)
            await asyncio.sleep(pause)
            pause = min(pause * 2, POLL_MOST)

    async def load(self, conversation_id: str) -> Record | None:
        data = self._fetched.pop(conversation_id, None)
        if data is None:
            async with self.link.guard() as client:
                data = await client.hget(conversation_key(conversation_id), "record")
        if not data:
            return None
        try:
            return Record.from_dict(json.loads(data), conversation_id)
        except Exception as exc:  # any damage stays with this one conversation
            log.warning("conversation %s: stored record unreadable (%s); rebuilt from the "
                        "chat history", conversation_id, type(exc).__name__)
            return None

    def start_save(self, record: Record, lease: Lease | None = None) -> Awaitable[None]:
        data = json.dumps(record.to_dict(), separators=(",", ":"), ensure_ascii=False)
        fence = str(lease.fence) if lease is not None and lease.covers(record) else ""
        return asyncio.ensure_future(self._write(record.id, data, fence))

    async def _write(self, conversation_id: str, data: str, fence: str) -> None:
        async with self.link.guard():
            saved = await self._save(keys=[conversation_key(conversation_id)],
                                     args=[data, fence, self.retention])
        if not saved:
            log.warning("conversation %s: a turn outlived its lock and another turn was "
                        "saved meanwhile; its own state was not stored", conversation_id)
            raise ConversationConflict(
                "Another turn of this conversation was saved while this one ran, so this "
                "turn's answer was not stored; please send the message again.")

    async def prepare(self) -> None:
        async with self.link.guard() as client:
            await client.ping()

    async def reachable(self) -> bool:
        return await self.link.reachable()

    async def close(self) -> None:
        await self.link.close()
