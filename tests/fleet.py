"""Real processes for the tests of several replicas: a Redis on loopback (random port, no
persistence), agentgate replicas (`python -m agentgate serve`) and nginx with the
configuration docs/deployment.md shows.

Without `redis-server` (or nginx) on the PATH the tests that need it are skipped, saying
why; with CI set they fail instead, so CI always runs them.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, WORKFLOWS, doc_example

SEARCH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin", "/usr/local/sbin"])


def program(name: str) -> str:
    """The program's path; skips the test without it (fails it in CI)."""
    found = shutil.which(name, path=SEARCH)
    if found is None:
        message = f"`{name}` is not on the PATH; install it (Debian package {name}) to run " \
            "this test"
        if os.environ.get("CI"):
            pytest.fail(message + " — CI must run it", pytrace=False)
        pytest.skip(message)
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(port: int, what: str, process: subprocess.Popen, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{what} did not listen on port {port} within {seconds:g} s")


class RedisServer:
    """redis-server on loopback, a random port, nothing written to disk."""

    def __init__(self, folder: Path, password: str = ""):
        self.binary = program("redis-server")
        self.folder, self.password = folder, password
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.folder.mkdir(parents=True, exist_ok=True)
        argv = [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                "--appendonly", "no", "--dir", str(self.folder), "--loglevel", "warning"]
        if self.password:
            argv += ["--requirepass", self.password]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        _wait_for(self.port, "redis-server", self.process)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class Replica:
    """An agentgate server process."""

    def __init__(self, name: str, env: dict[str, str]):
        self.name, self.port = name, free_port()
        self.env = {**os.environ, "AGENTGATE_PORT": str(self.port),
                    "AGENTGATE_WORKFLOWS": str(WORKFLOWS), "AGENTGATE_RELOAD_SECONDS": "0",
                    "AGENTGATE_LOG_LEVEL": "warning", **env}
        self.process: subprocess.Popen | None = None
        self.log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def launch(self, log: Path) -> "Replica":
        """Starts the process (see `ready`)."""
        self.log = log
        with open(log, "ab") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "agentgate", "serve"],
                                            env=self.env, cwd=ROOT, stdout=out, stderr=out)
        return self

    def ready(self) -> "Replica":
        _wait_for(self.port, f"replica {self.name}", self.process, 60)
        return self

    def kill(self) -> None:
        """`kill -9`: no clean-up of any kind."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def nginx_config(folder: Path, port: int, upstreams: list[int]) -> str:
    """docs/deployment.md's nginx configuration, on the test's ports, in a complete file."""
    shown = doc_example(ROOT / "docs" / "deployment.md", "deployment")
    site = shown.replace("127.0.0.1:8001", f"127.0.0.1:{upstreams[0]}") \
        .replace("127.0.0.1:8002", f"127.0.0.1:{upstreams[1]}") \
        .replace("listen 8080;", f"listen 127.0.0.1:{port};")
    assert f"127.0.0.1:{upstreams[1]}" in site and f"127.0.0.1:{port};" in site, \
        "the configuration in docs/deployment.md no longer has the ports the test replaces"
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"worker_processes 1;\npid {folder / 'nginx.pid'};\nerror_log "
            f"{folder / 'error.log'} warn;\nevents {{ worker_connections 1024; }}\n"
            f"http {{\n    access_log off;\n{temp}\n{site}\n}}\n")


class Nginx:
    def __init__(self, folder: Path, upstreams: list[int]):
        self.binary = program("nginx")
        self.folder, self.port = folder, free_port()
        self.upstreams = upstreams
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Nginx":
        self.folder.mkdir(parents=True, exist_ok=True)
        config = self.folder / "nginx.conf"
        config.write_text(nginx_config(self.folder, self.port, self.upstreams))
        self.process = subprocess.Popen(
            [self.binary, "-p", str(self.folder), "-e", str(self.folder / "error.log"),
             "-c", str(config), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_for(self.port, "nginx", self.process)
        except RuntimeError:
            log = self.folder / "error.log"
            raise RuntimeError(log.read_text()[-2000:] if log.exists() else "nginx failed")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()
