"""Where state lives, from the settings: files under the data folder (one process), or a
Redis shared by every replica (`AGENTGATE_STORE=redis://…`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable

from agentgate.api.limits import KeyCounter, LocalCounter
from agentgate.api.response_store import FileResponseStore, ResponseStore
from agentgate.conversation.store import ConversationStore
from agentgate.conversation.store_base import Store
from agentgate.settings import Settings


@dataclass
class Backends:
    store: Store
    responses: ResponseStore
    counter: KeyCounter
    close: Callable[[], Awaitable[None]]


async def _nothing() -> None:
    return None


def build(settings: Settings) -> Backends:
    if not settings.store:
        return Backends(ConversationStore(settings.data_dir, settings.lock_wait),
                        FileResponseStore(settings.data_dir), LocalCounter(), _nothing)
    from agentgate.redis_store.client import Link, connect
    from agentgate.redis_store.conversations import RedisConversationStore
    from agentgate.redis_store.limits import RedisCounter
    from agentgate.redis_store.responses import RedisResponseStore

    link = Link(connect(settings.store), settings.store)
    retention = settings.retention_days * 86400
    # A slot outlives any turn (its LLM deadline, run and a slow reader), but not a crash
    # by much.
    slot_seconds = settings.turn_deadline + settings.run_timeout + 300
    return Backends(RedisConversationStore(link, retention_seconds=retention,
                                           lock_wait=settings.lock_wait),
                    RedisResponseStore(link, retention), RedisCounter(link, slot_seconds),
                    link.close)
