"""`kill -9` under load: a real server process is killed again and again while several
clients hold multi-turn conversations; every turn a client saw acknowledged is in the store
afterwards, exactly as acknowledged, and the conversations go on after each restart."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys

import aiohttp

from agentgate.conversation import ids
from agentgate.conversation.store import ConversationStore
from conftest import ROOT, WORKFLOWS

KILLS = 10
CLIENTS = 6
SCRIPT = [("hi", {}), ("principal: 300000", {"principal": 300000}),
          ("annual_rate: 6.5", {"principal": 300000, "annual_rate": 6.5}),
          ("years: 30", {"principal": 300000, "annual_rate": 6.5, "years": 30}),
          ("years: 15", {"principal": 300000, "annual_rate": 6.5, "years": 15}),
          ("principal: 200000", {"principal": 200000, "annual_rate": 6.5, "years": 15})]


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, data: str):
        self.data, self.port = data, _port()
        self.process: subprocess.Popen | None = None

    async def start(self) -> None:
        env = {**os.environ, "AGENTGATE_PORT": str(self.port), "AGENTGATE_DATA_DIR": self.data,
               "AGENTGATE_WORKFLOWS": str(WORKFLOWS), "AGENTGATE_LOG_LEVEL": "warning"}
        self.process = subprocess.Popen([sys.executable, "-m", "agentgate", "serve"], env=env,
                                        cwd=ROOT, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        async with aiohttp.ClientSession() as session:
            for _ in range(200):
                try:
                    async with session.get(f"{self.url}/health") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError("the server did not start")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


async def _client(server: Server, acknowledged: list, stop: asyncio.Event) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        while not stop.is_set():
            messages: list[dict] = []
            for text, expected in SCRIPT:
                messages.append({"role": "user", "content": text})
                while not stop.is_set():
                    try:
                        async with session.post(f"{server.url}/v1/chat/completions", json={
                                "model": "loan-calculator", "messages": messages}) as response:
                            if response.status != 200:
                                raise aiohttp.ClientError(response.status)
                            reply = (await response.json())["choices"][0]["message"]["content"]
                        break
                    except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError):
                        await asyncio.sleep(0.05)  # the server is down: send the turn again
                else:
                    return
                messages.append({"role": "assistant", "content": reply})
                acknowledged.append((ids.find(reply), expected))


async def test_every_acknowledged_turn_survives_kill_9(tmp_path):
    server = Server(str(tmp_path / "data"))
    await server.start()
    acknowledged: list = []
    stop = asyncio.Event()
    clients = [asyncio.create_task(_client(server, acknowledged, stop)) for _ in range(CLIENTS)]
    try:
        for _ in range(KILLS):
            before = len(acknowledged)
            while len(acknowledged) < before + 15:  # let some turns through, then kill
                await asyncio.sleep(0.02)
            server.kill()
            await server.start()
        await asyncio.sleep(0.5)
    finally:
        stop.set()
        await asyncio.gather(*clients, return_exceptions=True)
        server.kill()
    store = ConversationStore(tmp_path / "data")
    assert len(acknowledged) >= KILLS * 15
    for marker, expected in acknowledged:
        record = await store.load(marker.conversation)
        assert record is not None, marker
        state = record.snapshot(marker.turn)
        assert state is not None and state.values == expected, (marker, state)
