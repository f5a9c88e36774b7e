"""The events of a run on their way to the client: bounded however slowly the client reads.

Nodes report progress and answer text synchronously while the client's connection drains
them at its own pace. Answer pieces that pile up are joined into one, so the buffer holds at
most one pending answer event besides the progress events (bounded by the run's step limit),
and the answer as a whole may not grow past `max_answer_chars`.
"""

from __future__ import annotations

import asyncio
from collections import deque

from agentgate.events import AnswerDelta, Event
from agentgate.errors import NodeFailure


class EventBuffer:
    def __init__(self, max_answer_chars: int):
        self.max_answer_chars = max_answer_chars
        self.answer_chars = 0
        self._items: deque[Event | list[str]] = deque()  # a list: answer pieces to join
        self._ready = asyncio.Event()
        self._closed = False

    def __len__(self) -> int:
        return len(self._items)

    def put(self, event: Event) -> None:
        if isinstance(event, AnswerDelta):
            self.answer_chars += len(event.text)
            if self.answer_chars > self.max_answer_chars:
                raise NodeFailure(f"the answer grew longer than {self.max_answer_chars:,} "
                                  "characters")
            if self._items and isinstance(self._items[-1], list):
                self._items[-1].append(event.text)
                return
            self._items.append([event.text])
        else:
            self._items.append(event)
        self._ready.set()

    def close(self) -> None:
        self._closed = True
        self._ready.set()

    async def get(self) -> Event | None:
        """The next event, or None once the run has ended and everything was taken."""
        while not self._items:
            if self._closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        item = self._items.popleft()
        return AnswerDelta("".join(item)) if isinstance(item, list) else item
