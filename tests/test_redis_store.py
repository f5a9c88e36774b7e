"""The Redis store against a real redis-server: records shared between store instances (as
between replicas), the lock's lease and fence, expiry with the retention period, stored
responses, per-key limits across replicas, and an unreachable Redis (503, never a local
fall-back; recovery when it returns)."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest

from agentgate.api.limits import TurnLimits
from agentgate.api.response_store import StoredResponse, new_id
from agentgate.conversation import ids
from agentgate.conversation.state import Record, State
from agentgate.errors import (ConversationBusy, ConversationConflict, StoreUnavailable,
                              TooManyRequests)
from agentgate.redis_store.client import Link, connect, redacted
from agentgate.redis_store.conversations import RedisConversationStore
from agentgate.redis_store.lease import conversation_key, lock_key
from agentgate.redis_store.limits import RedisCounter
from agentgate.redis_store.responses import RedisResponseStore, response_key
from agentgate.settings import Settings, SettingsError
from conftest import Chat, make_app
from fleet import RedisServer, free_port, redis_server  # noqa: F401

DAY = 86400


@pytest.fixture
async def stores(redis_server):
    """Two stores on one Redis, like two replicas; closed after the test."""
    made: list[RedisConversationStore] = []

    def make(**options) -> RedisConversationStore:
        store = RedisConversationStore(Link(connect(redis_server.url), redis_server.url),
                                       retention_seconds=options.pop("retention", DAY),
                                       **options)
        made.append(store)
        return store

    yield make
    for store in made:
        await store.close()


def record(values: dict | None = None) -> Record:
    made = Record(id=ids.mint(), workflow="loan-calculator", owner=None)
    made.add(State(values=values or {}, started=True))
    return made


async def test_a_record_saved_by_one_replica_is_loaded_by_another(stores):
    first, second = stores(), stores()
    saved = record({"principal": 250000})
    await first.save(saved)
    loaded = await second.load(saved.id)
    assert loaded == saved and loaded is not saved
    assert await second.load(ids.mint()) is None


async def test_the_key_expires_after_the_retention_period(stores):
    store = stores(retention=3 * DAY)
    saved = record()
    await store.save(saved)
    ttl = await store.link.client.ttl(conversation_key(saved.id))
    assert 3 * DAY - 5 <= ttl <= 3 * DAY
    async with store.lock(saved.id) as lease:
        assert await store.link.client.pttl(lock_key(saved.id)) > 0
        await store.save(saved, lease)
    assert await store.link.client.exists(lock_key(saved.id)) == 0


async def test_turns_on_two_replicas_take_the_lock_one_after_the_other(stores):
    first, second = stores(), stores()
    saved = record()
    await first.save(saved)
    order: list[str] = []

    async def turn(store, name: str, hold: float) -> int:
        async with store.lock(saved.id) as lease:
            order.append(f"{name} in")
            current = await store.load(saved.id)
            await asyncio.sleep(hold)
            current.add(State(values={"by": name}, started=True))
            await store.save(current, lease)
            order.append(f"{name} out")
            return lease.fence

    a = asyncio.create_task(turn(first, "a", 0.3))
    await asyncio.sleep(0.05)
    b = asyncio.create_task(turn(second, "b", 0))
    fences = await asyncio.gather(a, b)
    assert order == ["a in", "a out", "b in", "b out"]
    assert fences[1] == fences[0] + 1
    final = await first.load(saved.id)
    assert final.next_turn == 4 and final.snapshot(2).values == {"by": "a"} and \
        final.snapshot(3).values == {"by": "b"}


async def test_a_waiting_turn_gives_up_with_a_clear_error(stores):
    first, second = stores(), stores(lock_wait=0.3)
    saved = record()
    async with first.lock(saved.id):
        started = time.monotonic()
        with pytest.raises(ConversationBusy, match="still being answered") as caught:
            async with second.lock(saved.id):
                pass
        assert 0.25 < time.monotonic() - started < 2
    assert caught.value.status == 409 and caught.value.retry_after == 1
    async with second.lock(saved.id):  # free again once the holder is done
        pass


async def test_a_crashed_holders_lock_expires_and_its_late_save_is_refused(stores):
    crashed, survivor = stores(lease=0.3), stores(lease=0.3, lock_wait=5)
    saved = record()
    await crashed.save(saved)
    # The holder takes the lock and then stops: no renewal, no release.
    stale, _ = await crashed.leases.try_acquire(saved.id)
    assert stale is not None
    started = time.monotonic()
    async with survivor.lock(saved.id) as lease:
        waited = time.monotonic() - started
        assert lease.fence == stale.fence + 1
        newer = await survivor.load(saved.id)
        newer.add(State(values={"by": "survivor"}, started=True))
        await survivor.save(newer, lease)
    assert 0.2 < waited < 3
    late = record()
    late.id = saved.id
    late.add(State(values={"by": "the crashed holder"}, started=True))
    with pytest.raises(ConversationConflict, match="not stored"):
        await crashed.save(late, stale)
    kept = await survivor.load(saved.id)
    assert kept.snapshot(None).values == {"by": "survivor"}


async def test_a_holder_renews_its_lease_while_its_turn_runs(stores):
    holder, other = stores(lease=0.3), stores(lock_wait=0.2)
    saved = record()
    async with holder.lock(saved.id) as lease:
        await asyncio.sleep(0.8)  # well past one lease: renewed meanwhile
        with pytest.raises(ConversationBusy):
            async with other.lock(saved.id):
                pass
        await holder.save(saved, lease)
    assert (await other.load(saved.id)) == saved


async def test_a_stale_fence_is_refused_even_after_the_newer_holder_left(stores):
    store = stores()
    saved = record()
    await store.save(saved)
    first, _ = await store.leases.try_acquire(saved.id)
    await store.leases.release(first)
    second, _ = await store.leases.try_acquire(saved.id)
    await store.leases.release(second)
    with pytest.raises(ConversationConflict):
        await store.save(saved, first)
    await store.save(saved)  # no lease: a conversation nobody else knows yet


async def test_a_damaged_record_reads_as_missing(stores, caplog):
    store = stores()
    conversation = ids.mint()
    await store.link.client.hset(conversation_key(conversation), "record", b"{not json")
    with caplog.at_level(logging.WARNING):
        assert await store.load(conversation) is None
    assert "unreadable" in caplog.text


async def test_responses_are_shared_and_expire(redis_server):
    link = Link(connect(redis_server.url), redis_server.url)
    store, other = RedisResponseStore(link, 2 * DAY), RedisResponseStore(link, 2 * DAY)
    made = StoredResponse(new_id(), "owner", "loan-calculator", None, {"id": "x"})
    await store.put(made)
    assert await other.get(made.id) == made
    assert 2 * DAY - 5 <= await link.client.ttl(response_key(made.id)) <= 2 * DAY
    assert await other.get("resp_../../etc") is None and await other.delete("nope") is False
    assert await other.delete(made.id) is True and await store.get(made.id) is None
    await link.close()


async def test_turns_per_key_are_counted_across_replicas(redis_server):
    links = [Link(connect(redis_server.url), redis_server.url) for _ in range(2)]
    first, second = (TurnLimits(10, 2, RedisCounter(link, 60)) for link in links)
    async with first.slot("key"), second.slot("key"):
        with pytest.raises(TooManyRequests):
            async with first.slot("key"):
                pass
        async with second.slot("another key"):
            pass
        stored = await links[0].client.keys("agentgate:turns:*")
        assert stored and all(b"key" not in key for key in stored)  # hashed, never the key
    async with first.slot("key"):
        pass
    for link in links:
        await link.close()


async def test_an_unreachable_redis_is_a_503_and_the_store_recovers(tmp_path, caplog):
    server = RedisServer(tmp_path / "redis")
    link = Link(connect(server.url), server.url)
    store = RedisConversationStore(link, retention_seconds=DAY)
    saved = record()
    with caplog.at_level(logging.WARNING):
        for attempt in (store.load(saved.id), store.save(saved)):
            with pytest.raises(StoreUnavailable) as caught:
                await attempt
        assert caught.value.status == 503 and caught.value.retry_after
        with pytest.raises(StoreUnavailable):
            async with store.lock(saved.id):
                pass
    assert await store.reachable() is False
    assert caplog.text.count("cannot be reached") == 1  # once per outage
    server.start()
    try:
        await store.save(saved)
        assert await store.load(saved.id) == saved and await store.reachable()
    finally:
        await store.close()
        server.stop()


async def test_the_app_serves_a_whole_conversation_from_redis(make_client, settings,
                                                              redis_server):
    client = await make_client(settings.replace(store=redis_server.url))
    chat = Chat(client, "loan-calculator")
    await chat.say("I want to borrow 250000")
    await chat.say("6.5%")
    reply = await chat.say("30 years", stream=True)
    assert "1,580.17" in reply, reply
    marker = ids.find(reply)
    link = Link(connect(redis_server.url), redis_server.url)
    stored = json.loads(await link.client.hget(conversation_key(marker.conversation),
                                               "record"))
    assert stored["next_turn"] == marker.turn + 1
    assert not (settings.data_dir and any(__import__("pathlib").Path(settings.data_dir)
                                          .glob("conversations/*/*.json")))
    health = await client.get("/health")
    assert health.status == 200 and (await health.json())["store"] == {
        "kind": "redis", "reachable": True}
    await link.close()


async def test_a_redis_password_never_shows(tmp_path, make_client, settings, caplog):
    secret = "s3cret-Pa55word"
    server = RedisServer(tmp_path / "redis", password=secret).start()
    wrong = f"redis://:{secret}-wrong@127.0.0.1:{server.port}/0"
    try:
        with pytest.raises(SettingsError) as bad:
            Settings.from_env({"AGENTGATE_STORE": f"http://:{secret}@example.invalid"})
        assert secret not in str(bad.value)
        assert secret not in redacted(wrong) and str(server.port) in redacted(wrong)
        with caplog.at_level(logging.DEBUG):
            client = await make_client(settings.replace(store=wrong))
            response = await client.post("/v1/chat/completions", json={
                "model": "loan-calculator", "messages": [{"role": "user", "content": "hi"}]})
            body = await response.text()
            health = await client.get("/health")
        assert response.status == 503 and response.headers["Retry-After"] == "2"
        assert json.loads(body)["error"]["code"] == "store_unavailable"
        assert health.status == 503
        assert secret not in body and secret not in caplog.text
        assert "cannot be reached" in caplog.text
    finally:
        server.stop()
