"""A conversation's lock across replicas: a lease that expires, and a fence that refuses
late writers.

The conversation's key is a hash holding its record and `fence`, a number that grows by
one each time a turn takes the lock. The lock is a second key holding the holder's fence,
set to expire after the lease: a holder renews it while its turn runs, so only a holder
that stopped (a crashed replica) loses it. A save names its fence and is refused unless
that fence is still the newest, so a holder that outlived its lease cannot overwrite the
turn of the one that took over. Both keys share a hash tag (the ID in braces), so the
scripts also run on a Redis Cluster.
"""

from __future__ import annotations

import asyncio
import logging

from agentgate.conversation.store_base import Lease
from agentgate.redis_store.client import PREFIX, UNREACHABLE, Link

log = logging.getLogger(__name__)
LEASE = 30.0  # seconds a lock outlives a holder that stopped renewing it

# KEYS: lock, conversation. ARGV: lease ms, retention s (0: none).
# Returns {fence, record or ""}; fence 0 when another holder has the lock.
ACQUIRE = """
if redis.call('exists', KEYS[1]) == 1 then return {0, ''} end
local fence = redis.call('hincrby', KEYS[2], 'fence', 1)
redis.call('set', KEYS[1], fence, 'PX', ARGV[1])
if ARGV[2] ~= '0' and redis.call('ttl', KEYS[2]) == -1 then
  redis.call('expire', KEYS[2], ARGV[2])
end
return {fence, redis.call('hget', KEYS[2], 'record') or ''}
"""

# KEYS: lock. ARGV: fence, lease ms. 1 while the fence still holds the lock.
RENEW = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('pexpire', KEYS[1], ARGV[2])
return 1
"""

# KEYS: lock, conversation. ARGV: fence. A conversation that got no record (it was
# rebuilt under a new ID) is removed with its lock.
RELEASE = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('del', KEYS[1])
if redis.call('hexists', KEYS[2], 'record') == 0 then redis.call('del', KEYS[2]) end
return 1
"""

# KEYS: conversation. ARGV: record, fence ("" for a new conversation, which nobody else
# knows yet), retention s. 0 when a newer holder took the lock over.
SAVE = """
if ARGV[2] ~= '' and redis.call('hget', KEYS[1], 'fence') ~= ARGV[2] then return 0 end
redis.call('hset', KEYS[1], 'record', ARGV[1])
if ARGV[3] ~= '0' then redis.call('expire', KEYS[1], ARGV[3])
else redis.call('persist', KEYS[1]) end
return 1
"""


def conversation_key(conversation_id: str) -> str:
    return f"{PREFIX}conversation:{{{conversation_id}}}"


def lock_key(conversation_id: str) -> str:
    return f"{PREFIX}lock:{{{conversation_id}}}"


class Leases:
    """Takes, renews and gives back conversation locks."""

    def __init__(self, link: Link, retention: int, lease: float = LEASE):
        self.link, self.retention, self.lease = link, retention, lease
        client = link.client
        self._acquire = client.register_script(ACQUIRE)
        self._renew = client.register_script(RENEW)
        self._release = client.register_script(RELEASE)

    async def try_acquire(self, conversation_id: str) -> tuple[Lease | None, bytes]:
        """The lease and the stored record (b"" when none), or (None, b"") when another
        holder has the lock."""
        async with self.link.guard():
            fence, record = await self._acquire(
                keys=[lock_key(conversation_id), conversation_key(conversation_id)],
                args=[int(self.lease * 1000), self.retention])
        if not fence:
            return None, b""
        return Lease(conversation_id, int(fence)), record

    async def renew(self, lease: Lease) -> bool:
        async with self.link.guard():
            return bool(await self._renew(keys=[lock_key(lease.conversation)],
                                          args=[lease.fence, int(self.lease * 1000)]))

    async def release(self, lease: Lease) -> None:
        """Best effort: a lock that cannot be given back expires with its lease."""
        try:
            await self._release(keys=[lock_key(lease.conversation),
                                      conversation_key(lease.conversation)],
                                args=[lease.fence])
        except UNREACHABLE:
            log.debug("a conversation lock could not be given back; it expires")

    async def keep(self, lease: Lease) -> None:
        """Renews the lease until cancelled (run beside the turn holding it)."""
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                if not await self.renew(lease):
                    log.warning("a conversation lock was lost while its turn ran; its save "
                                "will be refused if another turn took it over")
                    return
            except Exception:  # Redis away for a moment: try again at the next beat
                log.debug("renewing a conversation lock failed", exc_info=True)
