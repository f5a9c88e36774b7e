"""How many turns may run at once: in all, and for one API key (or one client address).

A turn holds its slot until its reply is finished, streamed or not. A request over a limit
is refused at once with Retry-After, instead of queueing behind the others.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from typing import Iterator

from agentgate.errors import Overloaded, TooManyRequests


class TurnLimits:
    def __init__(self, overall: int, per_key: int):
        self.overall, self.per_key = overall, per_key
        self.running = 0
        self.by_key: Counter[str] = Counter()

    @contextlib.contextmanager
    def slot(self, key: str) -> Iterator[None]:
        if self.running >= self.overall:
            raise Overloaded("The server is busy with other conversations; please retry "
                             "in a moment.")
        if self.by_key[key] >= self.per_key:
            raise TooManyRequests(f"Too many requests at once for this API key (at most "
                                  f"{self.per_key}); please retry in a moment.")
        self.running += 1
        self.by_key[key] += 1
        try:
            yield
        finally:
            self.running -= 1
            self.by_key[key] -= 1
            if not self.by_key[key]:
                del self.by_key[key]
