"""Row 9: the Redis store. A turn's latency on Redis over the same turn on the file store,
and the throughput of two replicas sharing one Redis over one replica alone."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from pathlib import Path

import aiohttp

from fleet import RedisServer
from harness import CORES, Row, Server, agentgate, interleave, ms, post_timed

MODEL = "loan-calculator"
POOL = 200                      # conversations the throughput clients continue at random
CONCURRENCY, SECONDS, ROUNDS = 32, 3.0, 3


async def opened(session: aiohttp.ClientSession, server: Server) -> list[dict]:
    messages = [{"role": "user", "content": "hi"}]
    async with session.post(f"{server.url}/v1/chat/completions",
                            json={"model": MODEL, "messages": messages}) as answer:
        reply = (await answer.json())["choices"][0]["message"]["content"]
    return messages + [{"role": "assistant", "content": reply},
                       {"role": "user", "content": "250000"}]


def turn(session: aiohttp.ClientSession, servers: list[Server], pool: list[list[dict]]):
    """A timed turn continuing a stored conversation (lock, load, save), on the servers in
    turn."""
    turns = iter(range(1 << 62))

    def timed():
        server = servers[next(turns) % len(servers)]
        return post_timed(session, f"{server.url}/v1/chat/completions",
                          {"model": MODEL, "messages": random.choice(pool)})
    return timed


async def _rate(make_request) -> float:
    done = 0
    stop_at = time.perf_counter() + SECONDS

    async def client() -> None:
        nonlocal done
        while time.perf_counter() < stop_at:
            await make_request()
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
    return done / (time.perf_counter() - started)


async def redis_rows(workflows: Path, data: Path) -> list[Row]:
    redis = RedisServer(data / "redis").start()
    url = redis.url
    files = agentgate(workflows, data / "files")
    first = agentgate(workflows, data / "r1", store=url)
    second = agentgate(workflows, data / "r2", core=False, store=url)
    try:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            file_pool = [await opened(session, files) for _ in range(POOL)]
            redis_pool = [await opened(session, first) for _ in range(POOL)]
            samples = await interleave({
                "file": turn(session, [files], file_pool[:25]),
                "redis": turn(session, [first], redis_pool[:25]),
            }, rounds=15, per_round=20)
            one, two = [], []
            for _ in range(ROUNDS):
                one.append(await _rate(turn(session, [first], redis_pool)))
                two.append(await _rate(turn(session, [first, second], redis_pool)))
    finally:
        for server in (files, first, second):
            server.stop()
        redis.stop()
    ratio = samples.p50("redis") / samples.p50("file")
    ratio99 = samples.p99("redis") / samples.p99("file")
    rate_one, rate_two = statistics.median(one), statistics.median(two)
    where = "replicas on cores 0 and 1" if len(CORES) > 1 else "one core"
    return [
        Row("9. per-turn latency, Redis store", ms(samples.p50("redis")),
            f"file store {ms(samples.p50('file'))}", f"{ratio:.2f}× (p99 {ratio99:.2f}×)",
            "≤ 1.5×", ratio <= 1.5),
        Row(f"9. … throughput, 2 replicas on one Redis ({where})", f"{rate_two:.0f} rps",
            f"1 replica {rate_one:.0f} rps", f"{rate_two / rate_one:.2f}×", "", None),
    ]
