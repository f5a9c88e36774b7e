"""What every row of `make bench` shares: servers in their own processes pinned to a core,
interleaved timing rounds, and the table.

Servers under test (agentgate and the bare baselines) run on core 0; the load generator,
the fake model and the slow service run on the other cores, so what a row measures is
the server's own work. On a one-core machine nothing is pinned (the table says so).
"""

from __future__ import annotations

import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable

import aiohttp

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CORES = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [0]
SERVER_CORES = CORES[:1] if len(CORES) > 1 else CORES
CLIENT_CORES = CORES[1:] if len(CORES) > 1 else CORES


def pin_client() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, CLIENT_CORES)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _preexec(cores: list[int]) -> Callable[[], None]:
    def setup() -> None:
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, cores)
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    return setup


@dataclass
class Server:
    """A server process on loopback."""

    process: subprocess.Popen
    port: int
    started: float
    ready_after: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def spawn(argv: list[str], *, port: int, env: dict[str, str] | None = None,
          server_core: bool = True, ready_path: str = "/v1/models",
          method: str = "GET") -> Server:
    """Start a process and wait until it answers `ready_path` (any HTTP status)."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=environment, cwd=ROOT,
                               preexec_fn=_preexec(SERVER_CORES if server_core else CLIENT_CORES),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    server = Server(process, port, started)
    deadline = started + 30
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{argv} exited: {process.stderr.read().decode()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.05) as sock:
                sock.sendall(f"{method} {ready_path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
                if sock.recv(12).startswith(b"HTTP/1."):
                    server.ready_after = time.perf_counter() - started
                    return server
        except OSError:
            time.sleep(0.002)
    server.stop()
    raise RuntimeError(f"{argv} did not answer on port {port} within 30 s")


def bench_server(kind: str, upstream: str = "", core: bool = True) -> Server:
    port = free_port()
    ready = {"hop": "/v1/chat/completions", "json": "/v1/chat/completions",
             "sse": "/v1/chat/completions", "slow": "/ready"}.get(kind, "/v1/models")
    argv = [sys.executable, str(HERE / "servers.py"), kind, str(port)]
    return spawn(argv + ([upstream] if upstream else []), port=port, server_core=core,
                 ready_path=ready, method="GET")


def agentgate(workflows: Path, data: Path, core: bool = True, **settings: str) -> Server:
    """agentgate on the server core (or, with `core` False, on the load generator's)."""
    port = free_port()
    env = {"AGENTGATE_WORKFLOWS": str(workflows), "AGENTGATE_DATA_DIR": str(data),
           "AGENTGATE_PORT": str(port), "AGENTGATE_RELOAD_SECONDS": "0",
           "AGENTGATE_LOG_LEVEL": "warning"}
    env.update({f"AGENTGATE_{name.upper()}": value for name, value in settings.items()})
    return spawn([sys.executable, "-m", "agentgate", "serve"], port=port, env=env,
                 server_core=core)


@dataclass
class Samples:
    """Per-round medians and every sample, per cell."""

    rounds: dict[str, list[float]] = field(default_factory=dict)
    every: dict[str, list[float]] = field(default_factory=dict)

    def add_round(self, cell: str, times: list[float]) -> None:
        self.rounds.setdefault(cell, []).append(statistics.median(times))
        self.every.setdefault(cell, []).extend(times)

    def p50(self, cell: str) -> float:
        return statistics.median(self.rounds[cell])

    def p99(self, cell: str) -> float:
        values = sorted(self.every[cell])
        return values[min(len(values) - 1, int(len(values) * 0.99))]


async def interleave(cells: dict[str, Callable[[], Awaitable[float]]], *, rounds: int,
                     per_round: int, warmup: int = 20) -> Samples:
    """Time each cell `per_round` times per round, cells in a new random order each round."""
    for timed in cells.values():
        for _ in range(warmup):
            await timed()
    samples = Samples()
    for _ in range(rounds):
        order = list(cells.items())
        random.shuffle(order)
        for name, timed in order:
            samples.add_round(name, [await timed() for _ in range(per_round)])
    return samples


async def post_timed(session: aiohttp.ClientSession, url: str, body: dict) -> float:
    started = time.perf_counter()
    async with session.post(url, json=body) as response:
        await response.read()
        if response.status != 200:
            raise AssertionError(f"{url}: HTTP {response.status}")
    return time.perf_counter() - started


@dataclass
class Row:
    name: str
    figure: str
    baseline: str
    comparison: str
    target: str
    met: bool | None  # None: a figure to read, not a target

    def cells(self) -> list[str]:
        verdict = {True: "met", False: "MISSED", None: ""}[self.met]
        return [self.name, self.figure, self.baseline, self.comparison, self.target, verdict]


def table(rows: list[Row]) -> str:
    header = ["row", "agentgate", "baseline (same run)", "ratio / added", "target", ""]
    lines = [header] + [row.cells() for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for number, line in enumerate(lines):
        out.append("| " + " | ".join(cell.ljust(width) for cell, width in
                                     zip(line, widths)) + " |")
        if number == 0:
            out.append("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    pinned = (f"servers on core {SERVER_CORES}, load generator on {CLIENT_CORES}"
              if len(CORES) > 1 else "one core: nothing pinned")
    return "\n".join(out) + f"\n({pinned}; medians of per-round medians, pooled p99)"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms"
