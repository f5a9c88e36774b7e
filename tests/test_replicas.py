"""Two replicas on one Redis behind a real nginx (the configuration docs/deployment.md
shows), all started here on loopback: conversations move between replicas, a replica
killed with `kill -9` loses nothing, two turns of one conversation sent to both replicas at
once are applied one after the other, and a Redis that goes away gives 503s until it is
back."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass

import aiohttp
import pytest

from agentgate.conversation import ids
from agentgate.redis_store.client import Link, connect
from agentgate.redis_store.lease import conversation_key
from fleet import Nginx, RedisServer, Replica, redis_server  # noqa: F401

MODEL = "loan-calculator"
SCRIPT = ("I want to borrow 250000", "6.5%", "30 years")
MONTHLY = "1,580.17"  # 250,000 at 6.5 % over 30 years
CHAT = "/v1/chat/completions"


@dataclass
class Fleet:
    redis: RedisServer
    replicas: list[Replica]
    proxy: Nginx

    def logs(self) -> str:
        return "\n".join(f"--- {r.name}\n{r.log.read_text()[-3000:]}" for r in self.replicas)


@pytest.fixture
def fleet(tmp_path, redis_server):
    replicas = [Replica(name, {"AGENTGATE_STORE": redis_server.url,
                               "AGENTGATE_DATA_DIR": str(tmp_path / f"data-{name}")})
                for name in ("a", "b")]
    for replica in replicas:
        replica.launch(tmp_path / f"{replica.name}.log")
    proxy = None
    try:
        for replica in replicas:
            replica.ready()
        proxy = Nginx(tmp_path / "nginx", [r.port for r in replicas]).start()
        yield Fleet(redis_server, replicas, proxy)
    finally:
        if proxy is not None:
            proxy.stop()
        for replica in replicas:
            replica.stop()
    for replica in replicas:  # files are not used while Redis is configured
        assert not (tmp_path / f"data-{replica.name}" / "conversations").exists()


class Conversation:
    def __init__(self, session: aiohttp.ClientSession):
        self.session = session
        self.messages: list[dict] = []
        self.markers: list[ids.Marker] = []

    async def say(self, base: str, text: str) -> str:
        self.messages.append({"role": "user", "content": text})
        reply = await post(self.session, base, self.messages)
        self.messages.append({"role": "assistant", "content": reply})
        self.markers.append(ids.find(reply))
        return reply


async def post(session: aiohttp.ClientSession, base: str, messages: list[dict]) -> str:
    request = {"model": MODEL, "messages": messages}
    async with session.post(base + CHAT, json=request) as response:
        body = await response.text()
        assert response.status == 200, (base, response.status, body)
        return json.loads(body)["choices"][0]["message"]["content"]


async def turns_served(session: aiohttp.ClientSession, replica: Replica) -> float:
    async with session.get(replica.url + "/metrics") as response:
        text = await response.text()
    return sum(float(value) for value in
               re.findall(r"^agentgate_turns_total\{[^}]*\} (\S+)$", text, re.M))


def one_conversation(conversation: Conversation) -> None:
    """Every turn continued the same stored conversation, snapshot after snapshot."""
    assert all(m is not None for m in conversation.markers)
    assert len({m.conversation for m in conversation.markers}) == 1, conversation.markers
    turns = [m.turn for m in conversation.markers]
    assert turns == sorted(turns) and len(set(turns)) == len(turns)


async def test_turns_alternate_between_replicas_to_finished_runs(fleet):
    a, b = fleet.replicas
    async with aiohttp.ClientSession() as session:
        async def alternating(number: int) -> Conversation:
            conversation = Conversation(session)
            for turn, text in enumerate(SCRIPT):
                replica = fleet.replicas[(number + turn) % 2]
                assert MONTHLY in await conversation.say(replica.url, text) or \
                    turn < len(SCRIPT) - 1
            return conversation

        async def proxied() -> Conversation:
            conversation = Conversation(session)
            for text in SCRIPT:
                reply = await conversation.say(fleet.proxy.url, text)
            assert MONTHLY in reply, reply
            return conversation

        done = await asyncio.gather(*(alternating(n) for n in range(12)),
                                    *(proxied() for _ in range(12)))
        for conversation in done:
            one_conversation(conversation)
        served = [await turns_served(session, replica) for replica in (a, b)]
    assert sum(served) == 24 * len(SCRIPT), served
    assert min(served) >= 12 * len(SCRIPT) / 2, served  # the proxy used both replicas too


async def test_a_replica_killed_mid_conversation_loses_nothing(fleet):
    a, b = fleet.replicas
    async with aiohttp.ClientSession() as session:
        conversations = [Conversation(session) for _ in range(8)]
        for text in SCRIPT[:2]:
            await asyncio.gather(*(c.say(a.url, text) for c in conversations))
        a.kill()
        replies = await asyncio.gather(*(c.say(fleet.proxy.url, SCRIPT[2])
                                         for c in conversations))
        assert all(MONTHLY in reply for reply in replies), replies[0]
        for conversation in conversations:
            one_conversation(conversation)
        assert await turns_served(session, b) == 8  # the last turns, all on the survivor


async def test_two_turns_at_once_on_both_replicas_apply_one_after_the_other(fleet):
    a, b = fleet.replicas
    link = Link(connect(fleet.redis.url), fleet.redis.url)
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(10):
                first = Conversation(session)
                await first.say(fleet.proxy.url, SCRIPT[0])
                both = [first.messages + [{"role": "user", "content": rate}]
                        for rate in ("6.5%", "7%")]
                replies = await asyncio.gather(post(session, a.url, both[0]),
                                               post(session, b.url, both[1]))
                markers = [ids.find(reply) for reply in replies]
                assert {m.conversation for m in markers} == {first.markers[0].conversation}
                assert sorted(m.turn for m in markers) == [first.markers[0].turn + 1,
                                                           first.markers[0].turn + 2]
                stored = json.loads(await link.client.hget(
                    conversation_key(first.markers[0].conversation), "record"))
                rates = {stored["snapshots"][str(m.turn)]["values"]["annual_rate"]
                         for m in markers}
                assert rates == {6.5, 7}, stored  # neither turn was lost
                assert stored["next_turn"] == max(m.turn for m in markers) + 1
    finally:
        await link.close()


async def test_without_redis_turns_get_503_until_it_is_back(fleet):
    async with aiohttp.ClientSession() as session:
        conversation = Conversation(session)
        await conversation.say(fleet.proxy.url, SCRIPT[0])
        fleet.redis.stop()
        conversation.messages.append({"role": "user", "content": SCRIPT[1]})
        for _ in range(4):  # both replicas, through the proxy
            async with session.post(fleet.proxy.url + CHAT, json={
                    "model": MODEL, "messages": conversation.messages}) as response:
                error = await response.json()
                assert response.status == 503, (response.status, error)
                assert response.headers["Retry-After"] == "2"
                assert error["error"]["code"] == "store_unavailable"
                assert error["error"]["type"] == "server_error"
        for replica in fleet.replicas:
            async with session.get(replica.url + "/health") as response:
                assert response.status == 503
                assert (await response.json())["store"] == {"kind": "redis",
                                                            "reachable": False}
        conversation.messages.pop()
        fleet.redis.start()  # the same port, and (no persistence) empty
        await conversation.say(fleet.proxy.url, SCRIPT[1])
        reply = await conversation.say(fleet.proxy.url, SCRIPT[2])
        assert MONTHLY in reply, fleet.logs()
        for replica in fleet.replicas:
            async with session.get(replica.url + "/health") as response:
                assert response.status == 200
