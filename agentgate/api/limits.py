"""How many turns may run at once: in all, and for one API key (or one client address).

A turn holds its slot until its reply is finished, streamed or not. A request over a limit
is refused at once with Retry-After, instead of queueing behind the others. The overall
limit protects this process; the limit per key is counted here, or across every replica
when a shared counter is given (`redis_store.limits`).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from typing import AsyncIterator, Protocol

from agentgate.errors import Overloaded, TooManyRequests


class KeyCounter(Protocol):
    def enter(self, key: str, limit: int) -> "contextlib.AbstractAsyncContextManager[bool]":
        """Holds a slot of `key` (yields True) or yields False when `limit` are held."""


class LocalCounter:
    def __init__(self) -> None:
        self.by_key: Counter[str] = Counter()

    @contextlib.asynccontextmanager
    async def enter(self, key: str, limit: int) -> AsyncIterator[bool]:
        if self.by_key[key] >= limit:
            yield False
            return
        self.by_key[key] += 1
        try:
            yield True
        finally:
            self.by_key[key] -= 1
            if not self.by_key[key]:
                del self.by_key[key]


class TurnLimits:
    def __init__(self, overall: int, per_key: int, counter: KeyCounter | None = None):
        self.overall, self.per_key = overall, per_key
        self.running = 0
        self.counter = counter or LocalCounter()

    @contextlib.asynccontextmanager
    async def slot(self, key: str) -> AsyncIterator[None]:
        if self.running >= self.overall:
            raise Overloaded("The server is busy with other conversations; please retry "
                             "in a moment.")
        self.running += 1
        try:
            async with self.counter.enter(key, self.per_key) as held:
                if not held:
                    raise TooManyRequests(f"Too many requests at once for this API key (at "
                                          f"most {self.per_key}); please retry in a moment.")
                yield
        finally:
            self.running -= 1
