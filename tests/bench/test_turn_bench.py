"""Server time of an offline gathering turn (run with `make bench`; prints a table).

Each kind of message is sent over loopback HTTP to a real agentgate server, as the next
turn of a conversation just opened (so its marker finds the stored state), interleaved
with the same request to a bare aiohttp JSON handler measured in the same run; the table
shows the medians and the time agentgate adds. Target: ≤ 2 ms at the median for a plain
typed answer. A second table times the reader alone (read + decide + wording).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import statistics
import time

import aiohttp
from aiohttp import web

from agentgate.app import create_app
from agentgate.conversation.machine import decide
from agentgate.conversation.state import State
from agentgate.extraction.offline import OfflineReader
from agentgate.settings import Settings
from conftest import WORKFLOWS

ROUNDS = 300
MESSAGES = [
    ("plain typed answer", "loan-calculator", "hi", "250000"),
    ("a unit for another input", "loan-calculator", "hi", "it's a 15 year loan"),
    ("everything in one message", "loan-calculator", None,
     "I want to borrow 300k at 6.5% over 30 years"),
    ("a relative date", "days-between", "hi", "next tuesday"),
    ("a misspelt option", "recurring-dates", "hi", "the 2nd wensday"),
]


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}"


async def _bare(request: web.Request) -> web.Response:
    body = await request.json()
    return web.json_response({"choices": [{"message": {"content": body["messages"][-1]
                                                       ["content"]}}]})


async def _measure(tmp_path) -> dict[str, tuple[float, float]]:
    app = create_app(Settings(workflows=str(WORKFLOWS), data_dir=str(tmp_path / "data"),
                              reload_seconds=0, retention_days=0),
                     today=lambda: dt.date(2026, 12, 4))
    bare = web.Application()
    bare.router.add_post("/v1/chat/completions", _bare)
    runners = []
    results: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name, *_ in
                                                            MESSAGES}
    try:
        runner, base = await _serve(app)
        runners.append(runner)
        runner, bare_base = await _serve(bare)
        runners.append(runner)
        async with aiohttp.ClientSession() as session:

            async def opened(model: str, opener: str | None) -> list[dict]:
                """A new conversation's history, its marker pointing at a stored state."""
                if opener is None:
                    return []
                messages = [{"role": "user", "content": opener}]
                async with session.post(f"{base}/v1/chat/completions", json={
                        "model": model, "messages": messages}) as response:
                    reply = (await response.json())["choices"][0]["message"]["content"]
                return messages + [{"role": "assistant", "content": reply}]

            for _ in range(ROUNDS):
                order = list(MESSAGES)
                random.shuffle(order)
                for name, model, opener, text in order:
                    history = await opened(model, opener)
                    body = {"model": model, "messages": history + [
                        {"role": "user", "content": text}]}
                    for target, sink in ((base, 0), (bare_base, 1)):
                        started = time.perf_counter()
                        async with session.post(f"{target}/v1/chat/completions",
                                                json=body) as response:
                            await response.read()
                            assert response.status == 200
                        results[name][sink].append(time.perf_counter() - started)
    finally:
        for runner in runners:
            await runner.cleanup()
    return {name: (statistics.median(a), statistics.median(b))
            for name, (a, b) in results.items()}


def test_offline_gathering_turn_server_time(tmp_path):
    medians = asyncio.run(_measure(tmp_path))
    print("\noffline gathering turn over loopback HTTP (medians of "
          f"{ROUNDS} interleaved rounds; the save to disk included)")
    print(f"{'message':<28} {'agentgate':>10} {'bare JSON':>10} {'added':>8}  target")
    for name, (ours, bare) in medians.items():
        target = "≤ 2 ms added" if name == "plain typed answer" else ""
        print(f"{name:<28} {ours * 1e3:>8.2f}ms {bare * 1e3:>8.2f}ms "
              f"{(ours - bare) * 1e3:>6.2f}ms  {target}")
    print("\nthe reader alone (read + decide + wording), medians:")
    from agentgate.extraction.followup import Phrases
    from agentgate.workflow.loader import load_file
    phrases = Phrases(Settings().prompts)
    for name, model, opener, text in MESSAGES:
        workflow = load_file(WORKFLOWS / f"{model}.json")
        reader = OfflineReader(workflow.profile)
        state = State(started=True, asked=next(iter(workflow.inputs))) if opener else State()
        timings = []
        for _ in range(500):
            started = time.perf_counter()
            decision = decide(state, reader.read(state, text, dt.date(2026, 12, 4)), workflow)
            phrases.say(decision.replies, workflow, decision.state)
            timings.append(time.perf_counter() - started)
        print(f"{name:<28} {statistics.median(timings) * 1e3:>8.3f}ms")
