"""Rows about scale: a turn's cost with 100,000 stored conversations, and the memory of
1,000 streamed runs held open at once."""

from __future__ import annotations

import asyncio
import json
import random
import time
from pathlib import Path

import aiohttp

from agentgate.conversation import ids
from agentgate.conversation.state import Record, State
from agentgate.conversation.store import ConversationStore, encode
from harness import Row, Server, agentgate, bench_server, interleave, ms, post_timed

MODEL = "loan-calculator"
STREAMS = 1000
SLOW_WORKFLOW = "bench-slow-service"


def seed(data: Path, count: int) -> list[str]:
    """`count` stored conversations waiting for the loan amount (written without fsync)."""
    store = ConversationStore(data)
    made = []
    for _ in range(count):
        record = Record(id=ids.mint(), workflow=MODEL, owner=None)
        record.add(State(started=True, asked="principal"))
        path = store.path_for(record.id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(encode(record))
        made.append(record.id)
    return made


def history(conversation: str) -> list[dict]:
    marker = ids.embed(ids.Marker(conversation, 1))
    return [{"role": "user", "content": "hi"},
            {"role": "assistant", "content": f"How much do you want to borrow?\n\n{marker}"},
            {"role": "user", "content": "250000"}]


async def stored_rows(workflows: Path, data: Path) -> list[Row]:
    small_ids = seed(data / "small", 100)
    large_ids = seed(data / "large", 100_000)
    small = agentgate(workflows, data / "small")
    large = agentgate(workflows, data / "large")
    try:
        async with aiohttp.ClientSession() as session:
            def turn(server: Server, pool: list[str]):
                return lambda: post_timed(session, f"{server.url}/v1/chat/completions", {
                    "model": MODEL, "messages": history(random.choice(pool))})
            warm_small, warm_large = small_ids[:25], large_ids[:25]
            cold_large = large_ids[25:]
            samples = await interleave({
                "100 warm": turn(small, warm_small), "100k warm": turn(large, warm_large),
                "100 random": turn(small, small_ids), "100k random": turn(large, cold_large),
            }, rounds=10, per_round=20, warmup=5)
    finally:
        small.stop()
        large.stop()
    warm = samples.p50("100k warm") / samples.p50("100 warm")
    cold = samples.p50("100k random") / samples.p50("100 random")
    cold99 = samples.p99("100k random") / samples.p99("100 random")
    return [
        Row("5. per-turn cost, 100,000 stored vs 100, warm", ms(samples.p50("100k warm")),
            f"100 stored {ms(samples.p50('100 warm'))}", f"{warm:.2f}×", "≤ 1.2×", warm <= 1.2),
        Row("5. … a random resume from disk", ms(samples.p50("100k random")),
            f"100 stored {ms(samples.p50('100 random'))}", f"{cold:.2f}× (p99 {cold99:.2f}×)",
            "≤ 1.2×", cold <= 1.2),
    ]


def slow_workflow(folder: Path, service: str) -> None:
    (folder / f"{SLOW_WORKFLOW}.json").write_text(json.dumps({
        "name": SLOW_WORKFLOW, "description": "Asks a service that takes two seconds.",
        "nodes": [
            {"id": "ask", "type": "http", "title": "Asking the slow service", "url": service},
            {"id": "answer", "type": "template", "template": "It said {{ nodes.ask.json.answer }}."},
        ], "output": "answer"}))


async def _streams(session: aiohttp.ClientSession, server: Server, body: dict,
                   count: int) -> tuple[int, int]:
    """(peak RSS growth in KB, failed streams) with `count` streams open at once."""
    async def one() -> bool:
        async with session.post(f"{server.url}/v1/chat/completions", json=body) as response:
            text = await response.text()
            return response.status == 200 and ("said done" in text or '"done"' in text)

    await asyncio.gather(*(one() for _ in range(20)))  # warm: imports, pools, caches
    before = server.rss_kb()
    peak = before
    tasks = [asyncio.ensure_future(one()) for _ in range(count)]
    started = time.perf_counter()
    while not all(task.done() for task in tasks):
        peak = max(peak, server.rss_kb())
        if time.perf_counter() - started < 1.5:
            held = peak
        await asyncio.sleep(0.02)
    print(f"\n{server.url}: RSS +{(held - before) / count:.1f} KB/stream while held, "
          f"+{(peak - before) / count:.1f} KB at the peak")
    results = [task.result() if not task.exception() else False for task in tasks]
    return peak - before, results.count(False)


async def memory_rows(workflows: Path, data: Path) -> list[Row]:
    slow = bench_server("slow", core=False)
    bare = bench_server("sse", upstream=f"{slow.url}/")
    folder = data / "slow-workflows"
    folder.mkdir()
    slow_workflow(folder, f"{slow.url}/")
    server = agentgate(folder, data / "streams", max_turns=str(STREAMS * 2),
                       max_turns_per_key=str(STREAMS * 2))
    body = {"model": SLOW_WORKFLOW, "stream": True,
            "messages": [{"role": "user", "content": "go"}]}
    try:
        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            started = time.perf_counter()
            ours, our_errors = await _streams(session, server, body, STREAMS)
            elapsed = time.perf_counter() - started
            base, base_errors = await _streams(session, bare, body, STREAMS)
    finally:
        for process in (server, bare, slow):
            process.stop()
    per_stream, per_base = ours / STREAMS, base / STREAMS
    return [Row(f"6. {STREAMS:,} concurrent streamed runs (a 2 s http step)",
                f"+{per_stream:.1f} KB/stream, {our_errors} errors, {elapsed:.1f} s",
                f"bare SSE hop +{per_base:.1f} KB, {base_errors} errors",
                f"{per_stream / max(per_base, 0.1):.2f}×", "≤ 50 KB, 0 errors",
                per_stream <= 50 and our_errors == 0)]
