"""The interface every conversation store offers, and what the stores share.

A turn holds its conversation's `lock` from loading the record to saving it, so two turns
of one conversation never interleave. The lock yields a `Lease`: a store shared by several
processes numbers each holder (its fence) and refuses a save from a holder whose lease was
taken over, so a late writer cannot overwrite a newer turn. A store used by one process
yields no lease (None).
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import weakref
from dataclasses import dataclass
from typing import AsyncContextManager, AsyncIterator, Awaitable

from agentgate.conversation.state import Record
from agentgate.errors import ConversationBusy

LOCK_WAIT = 120.0  # seconds a turn waits for another turn of its conversation


@dataclass
class Lease:
    """A held conversation lock: the conversation and the holder's fence number."""

    conversation: str
    fence: int

    def covers(self, record: Record) -> bool:
        return record.id == self.conversation


class Store(abc.ABC):
    """Loads and saves conversation records; `lock` serialises turns of one conversation."""

    kind = "abstract"

    @abc.abstractmethod
    def lock(self, conversation_id: str) -> AsyncContextManager[Lease | None]:
        """Held while a turn reads and writes the conversation; raises ConversationBusy
        when another turn holds it for longer than the store's wait."""

    @abc.abstractmethod
    async def load(self, conversation_id: str) -> Record | None:
        """The record, or None when it is missing or unreadable."""

    @abc.abstractmethod
    def start_save(self, record: Record, lease: Lease | None = None) -> Awaitable[None]:
        """Start writing `record` now; awaiting the result waits until it is stored (and
        raises what the write raised). The record must not change until then."""

    async def save(self, record: Record, lease: Lease | None = None) -> None:
        await self.start_save(record, lease)

    async def sweep(self, max_age_seconds: float) -> int:
        """Delete records untouched for longer than that; how many (a store whose records
        expire by themselves returns 0)."""
        return 0

    def sweep_temporary(self) -> int:
        """Delete debris an interrupted write left; how many."""
        return 0

    async def prepare(self) -> None:
        """Made ready at start (a folder, a connection), so no first turn waits for it."""

    async def reachable(self) -> bool:
        """Whether the store can be used now (for /health)."""
        return True

    async def close(self) -> None:
        """Release connections the store holds."""


class LocalLocks:
    """One asyncio lock per conversation in this process, waited for up to `wait` seconds."""

    def __init__(self, wait: float = LOCK_WAIT):
        self.wait = wait
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = \
            weakref.WeakValueDictionary()

    @contextlib.asynccontextmanager
    async def hold(self, conversation_id: str,
                   wait: float | None = None) -> AsyncIterator[None]:
        lock = self._locks.get(conversation_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[conversation_id] = lock
        limit = self.wait if wait is None else wait
        try:
            async with asyncio.timeout(limit):
                await lock.acquire()
        except TimeoutError:
            raise busy(limit) from None
        try:
            yield
        finally:
            lock.release()


def busy(waited: float) -> ConversationBusy:
    return ConversationBusy(f"Another turn of this conversation is still being answered "
                            f"(waited {waited:g} s); please send the message again when it "
                            f"has finished.")
