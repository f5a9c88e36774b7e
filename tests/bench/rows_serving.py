"""Rows about serving a turn: latency with and without the internal LLM, throughput, the
first byte of a streamed run, LLM requests per turn, cold start and the first turn."""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

import aiohttp

from harness import (Row, Server, agentgate, bench_server, interleave, ms, post_timed)

MODEL = "loan-calculator"
TYPED = "250000"                              # the offline reader is sure of it
UNSURE = "about what my bank usually lends"   # the offline reader asks the internal LLM
EVERYTHING = "I want to borrow 300k at 6.5% over 30 years"
TYPICAL = ["250000", "it's a 15 year loan", "6.5%", "hi", UNSURE, "30 years", "300k"]
ROUNDS, PER_ROUND = 15, 20
THROUGHPUT_SECONDS, THROUGHPUT_ROUNDS, CONCURRENCY = 3.0, 3, 32


def chat(path_base: str) -> str:
    return f"{path_base}/v1/chat/completions"


async def opened(session: aiohttp.ClientSession, base: str) -> list[dict]:
    """A conversation just opened with "hi": its history, the marker at a stored state."""
    messages = [{"role": "user", "content": "hi"}]
    async with session.post(chat(base), json={"model": MODEL, "messages": messages}) as answer:
        reply = (await answer.json())["choices"][0]["message"]["content"]
    return messages + [{"role": "assistant", "content": reply}]


async def next_turn(session: aiohttp.ClientSession, base: str, text: str) -> float:
    """Server time of `text` as the next turn of a new conversation (the opening untimed)."""
    history = await opened(session, base)
    return await post_timed(session, chat(base), {
        "model": MODEL, "messages": history + [{"role": "user", "content": text}]})


async def llm_requests(session: aiohttp.ClientSession, llm: Server) -> int:
    async with session.get(f"{llm.url}/count") as answer:
        return (await answer.json())["requests"]


async def first_byte(session: aiohttp.ClientSession, url: str, body: dict) -> float:
    started = time.perf_counter()
    async with session.post(url, json=body) as response:
        await response.content.readany()
        elapsed = time.perf_counter() - started
        await response.read()
        if response.status != 200:
            raise AssertionError(f"{url}: HTTP {response.status}")
    return elapsed


async def latency_rows(workflows: Path, data: Path) -> list[Row]:
    llm = bench_server("llm", core=False)
    hop = bench_server("hop", upstream=f"{llm.url}/v1")
    bare = bench_server("json")
    offline = agentgate(workflows, data / "offline")
    online = agentgate(workflows, data / "online", llm_base_url=f"{llm.url}/v1")
    try:
        async with aiohttp.ClientSession() as session:
            hop_body = {"model": "fake", "messages": [{"role": "user", "content": UNSURE}]}
            run_body = {"model": MODEL, "stream": True,
                        "messages": [{"role": "user", "content": EVERYTHING}]}
            hop_stream = {**hop_body, "stream": True}
            before = await llm_requests(session, llm)
            samples = await interleave({
                "llm turn": lambda: next_turn(session, online.url, UNSURE),
                "bare hop": lambda: post_timed(session, chat(hop.url), hop_body),
                "offline turn": lambda: next_turn(session, offline.url, TYPED),
                "bare json": lambda: post_timed(session, chat(bare.url), {
                    "model": MODEL, "messages": [{"role": "user", "content": TYPED}]}),
                "run first byte": lambda: first_byte(session, chat(offline.url), run_body),
                "hop first byte": lambda: first_byte(session, chat(hop.url), hop_stream),
            }, rounds=ROUNDS, per_round=PER_ROUND)
            # the hop's requests reach the fake model too; 20 of each cell were warm-up
            hop_requests = len(samples.every["bare hop"]) + len(samples.every["hop first byte"])
            forced = (await llm_requests(session, llm) - before - hop_requests - 40) / (
                len(samples.every["llm turn"]) + 20)
            before = await llm_requests(session, llm)
            for text in TYPICAL * 10:
                await next_turn(session, online.url, text)
            typical = (await llm_requests(session, llm) - before) / (len(TYPICAL) * 10)
            throughput = await throughput_rows(session, offline, online, hop)
    finally:
        for server in (online, offline, bare, hop, llm):
            server.stop()
    added_p50 = samples.p50("llm turn") - samples.p50("bare hop")
    added_p99 = samples.p99("llm turn") - samples.p99("bare hop")
    offline_added = samples.p50("offline turn") - samples.p50("bare json")
    stream_added = samples.p50("run first byte") - samples.p50("hop first byte")
    return [
        Row("1. gathering turn with the internal LLM, added p50",
            ms(samples.p50("llm turn")), f"bare hop {ms(samples.p50('bare hop'))}",
            f"+{ms(added_p50)}", "≤ 3 ms", added_p50 <= 0.003),
        Row("1. … added p99", ms(samples.p99("llm turn")),
            f"bare hop {ms(samples.p99('bare hop'))}", f"+{ms(added_p99)}", "≤ 10 ms",
            added_p99 <= 0.010),
        Row("2. offline gathering turn, added p50", ms(samples.p50("offline turn")),
            f"bare JSON {ms(samples.p50('bare json'))}", f"+{ms(offline_added)}", "≤ 2 ms",
            offline_added <= 0.002),
        *throughput,
        Row("4. first byte of a streamed run", ms(samples.p50("run first byte")),
            f"bare hop {ms(samples.p50('hop first byte'))}", f"+{ms(stream_added)}",
            "≤ 2 ms", stream_added <= 0.002),
        Row("8. internal LLM requests per gathering turn", f"{typical:.2f} typical mix",
            "—", f"{forced:.2f} when unsure", "< 1 typical, ≤ 1 unsure",
            typical < 1 and forced <= 1.0),
    ]


async def _throughput(session: aiohttp.ClientSession, server: Server,
                      make_request) -> tuple[float, float]:
    """(turns a second, server CPU seconds a turn) with CONCURRENCY clients for a while."""
    done = 0
    stop_at = time.perf_counter() + THROUGHPUT_SECONDS

    async def client() -> None:
        nonlocal done
        while time.perf_counter() < stop_at:
            await make_request()
            done += 1

    cpu = server.cpu_seconds()
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
    elapsed = time.perf_counter() - started
    return done / elapsed, (server.cpu_seconds() - cpu) / max(done, 1)


async def throughput_rows(session: aiohttp.ClientSession, offline: Server, online: Server,
                          hop: Server) -> list[Row]:
    hop_body = {"model": "fake", "messages": [{"role": "user", "content": UNSURE}]}
    cells = {
        "offline": (offline, lambda: post_timed(session, chat(offline.url), {
            "model": MODEL, "messages": [{"role": "user", "content": TYPED}]})),
        "llm": (online, lambda: post_timed(session, chat(online.url), {
            "model": MODEL, "messages": [{"role": "user", "content": UNSURE}]})),
        "hop": (hop, lambda: post_timed(session, chat(hop.url), hop_body)),
    }
    rates: dict[str, list[float]] = {name: [] for name in cells}
    cpus: dict[str, list[float]] = {name: [] for name in cells}
    for _ in range(THROUGHPUT_ROUNDS):
        for name, (server, request) in cells.items():
            rate, cpu = await _throughput(session, server, request)
            rates[name].append(rate)
            cpus[name].append(cpu)
    rate = {name: statistics.median(values) for name, values in rates.items()}
    cpu = {name: statistics.median(values) for name, values in cpus.items()}
    rows = []
    for name, label in (("offline", "offline"), ("llm", "with the internal LLM")):
        ratio = rate[name] / rate["hop"]
        rows.append(Row(f"3. throughput at {CONCURRENCY} concurrent, {label}",
                        f"{rate[name]:.0f} rps, CPU {cpu[name] * 1e3:.2f} ms/turn",
                        f"bare hop {rate['hop']:.0f} rps, CPU {cpu['hop'] * 1e3:.2f} ms",
                        f"{ratio:.2f}×", "≥ 0.30×", ratio >= 0.30))
    return rows


async def _first_over_next(session: aiohttp.ClientSession, base: str,
                           body: dict) -> tuple[float, float]:
    """A new server's first turn over the median of the five after it (each a new
    conversation; the connection is opened before, so it is not counted)."""
    async with session.get(f"{base}/health") as answer:
        await answer.read()
    turns = [await post_timed(session, chat(base), body) for _ in range(6)]
    return turns[0], statistics.median(turns[1:])


async def startup_rows(workflows: Path, data: Path, times: int = 5) -> list[Row]:
    llm = bench_server("llm", core=False)
    cold: dict[str, list[float]] = {"offline": [], "llm": [], "bare": []}
    first: dict[str, list[tuple[float, float]]] = {"offline": [], "llm": [], "bare": []}
    try:
        async with aiohttp.ClientSession() as session:
            for attempt in range(times):
                bare = bench_server("bare")
                cold["bare"].append(bare.ready_after)
                bare.stop()
                bare = bench_server("json")
                try:
                    first["bare"].append(await _first_over_next(session, bare.url, {
                        "model": MODEL, "messages": [{"role": "user", "content": TYPED}]}))
                finally:
                    bare.stop()
                for name, settings, text in (("offline", {}, TYPED),
                                             ("llm", {"llm_base_url": f"{llm.url}/v1"}, UNSURE)):
                    server = agentgate(workflows, data / f"cold-{name}-{attempt}", **settings)
                    try:
                        cold[name].append(server.ready_after)
                        first[name].append(await _first_over_next(session, server.url, {
                            "model": MODEL, "messages": [{"role": "user", "content": text}]}))
                    finally:
                        server.stop()
    finally:
        llm.stop()
    median = {name: statistics.median(values) for name, values in cold.items()}
    ratio = {name: statistics.median(a / b for a, b in pairs) for name, pairs in first.items()}
    extra = {name: statistics.median(a - b for a, b in pairs) for name, pairs in first.items()}
    bare = f"bare JSON's first POST {ratio['bare']:.2f}× (+{ms(extra['bare'])})"
    return [
        Row("cold start to first 200, offline", f"{median['offline']:.2f} s",
            f"bare aiohttp {median['bare']:.2f} s", f"+{median['offline'] - median['bare']:.2f} s",
            "≤ 0.5 s", median["offline"] <= 0.5),
        Row("cold start to first 200, with the internal LLM", f"{median['llm']:.2f} s",
            f"bare aiohttp {median['bare']:.2f} s", f"+{median['llm'] - median['bare']:.2f} s",
            "", None),
        Row("first turn over the next five (median), offline", f"{ratio['offline']:.2f}×",
            bare, f"+{ms(extra['offline'])}", "≤ 1.5×", ratio["offline"] <= 1.5),
        Row("first turn over the next five (median), with the internal LLM",
            f"{ratio['llm']:.2f}×", bare, f"+{ms(extra['llm'])}", "≤ 1.5×",
            ratio["llm"] <= 1.5),
    ]
