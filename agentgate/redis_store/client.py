"""The Redis connection: made from the store URL, guarded so that an unreachable Redis
becomes a 503 (never a silent fall-back to local state), and named in logs without its
password.

redis-py reconnects by itself: once Redis answers again, the next command succeeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis import exceptions as rx

from agentgate.errors import StoreUnavailable

log = logging.getLogger(__name__)
SCHEMES = ("redis", "rediss", "unix")
PREFIX = "agentgate:"
# Unreachable, or unable to take writes right now (a replica during a failover).
UNREACHABLE = (rx.ConnectionError, rx.TimeoutError, rx.ReadOnlyError, OSError)


def redacted(url: str) -> str:
    """The URL without user name or password, for logs and messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def connect(url: str) -> aioredis.Redis:
    # A few quick retries ride over a dropped connection; an outage answers 503 at once
    # instead of after the client's default backoff of seconds.
    return aioredis.Redis.from_url(
        url, socket_connect_timeout=2.0, socket_timeout=5.0, health_check_interval=15,
        retry=Retry(ExponentialBackoff(cap=0.1, base=0.01), 2), decode_responses=False)


class Link:
    """The client, and whether Redis answered last time (logged once per outage)."""

    def __init__(self, client: aioredis.Redis, url: str):
        self.client = client
        self.where = redacted(url)
        self.down = False

    @contextlib.asynccontextmanager
    async def guard(self) -> AsyncIterator[aioredis.Redis]:
        """Runs Redis commands; an unreachable Redis raises StoreUnavailable."""
        try:
            yield self.client
        except UNREACHABLE as exc:
            if not self.down:
                self.down = True
                log.warning("the Redis store at %s cannot be reached (%s): turns get HTTP "
                            "503 until it answers again", self.where, type(exc).__name__)
            raise StoreUnavailable("The conversation store is unreachable right now; "
                                   "please retry in a moment.") from None
        if self.down:
            self.down = False
            log.info("the Redis store at %s answers again", self.where)

    async def reachable(self, timeout: float = 1.0) -> bool:
        try:
            async with asyncio.timeout(timeout):
                async with self.guard() as client:
                    await client.ping()
            return True
        except (StoreUnavailable, TimeoutError):
            return False

    async def close(self) -> None:
        await self.client.aclose()
