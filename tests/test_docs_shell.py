"""The shell commands in README.md and docs/ work as written, from a copy of the project
with its `.venv` active: `sh` blocks are run (those calling the server against a live one),
and `$ command` transcripts in `text` blocks must print what they show.

Blocks that serve until stopped, install packages or need a model server or the internet
are not run; `not_run` says which and why."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^(`{3,4})(sh|text)(?: [\w-]+)?\n(.*?)^\1[ \t]*$", re.S | re.M)
LOCAL = "http://127.0.0.1:8000"
NOT_RUN = (
    (re.compile(r"\bmake (run|test)\b|agentgate serve\b"), "serves until stopped, or runs "
     "the tests themselves"),
    (re.compile(r"\bmake bench\b"), "takes minutes and all the cores (run by hand)"),
    (re.compile(r"\b(npm|pip|ollama|llama-server|vllm|llama_cpp)\b|api\.openai\.com"),
     "installs packages or needs a model server"),
    (re.compile(r"agentgate eval\b"), "scores the whole corpus (tests/test_corpus.py does)"),
)


def not_run(command: str) -> str | None:
    for pattern, reason in NOT_RUN:
        if pattern.search(command):
            return reason
    return None


def blocks(kind: str) -> list[tuple[str, str]]:
    found = []
    for path in DOCS:
        for match in BLOCK.finditer(path.read_text()):
            if match.group(2) == kind:
                found.append((path.relative_to(ROOT).as_posix(), match.group(3)))
    return found


def shell_examples() -> list[tuple[str, str]]:
    return [(where, body) for where, body in blocks("sh") if not_run(body) is None]


def transcripts() -> list[tuple[str, str, list[str]]]:
    """(file, command, the lines shown after it) for each `$ command` in a text block."""
    found = []
    for where, body in blocks("text"):
        parts = re.split(r"^\$ ", body, flags=re.M)
        for part in parts[1:]:
            command, *shown = part.rstrip("\n").split("\n")
            if not_run(command) is None:
                found.append((where, command, shown))
    return found


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project as a fresh clone has it after `make run`: the workflows, the
    docs' example workflow saved as the docs say, and the environment in `.venv`."""
    shutil.copytree(ROOT / "workflows", tmp_path / "workflows")
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    example = re.search(r"```json workflow\n(.*?)```", (ROOT / "docs" / "workflows.md")
                        .read_text(), re.S).group(1)
    (tmp_path / "workflows" / "tip-calculator.json").write_text(example)
    return tmp_path


def run(command: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("AGENTGATE_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(["bash", "-e", "-c", command], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=120)


def test_the_docs_hold_runnable_examples():
    examples = shell_examples()
    assert sum(LOCAL in body for _, body in examples) >= 8
    assert sum(LOCAL not in body for _, body in examples) >= 4
    assert len(transcripts()) >= 3


@pytest.mark.parametrize("where, body", [e for e in shell_examples() if LOCAL not in e[1]],
                         ids=lambda value: value if value.endswith(".md") else "")
def test_offline_shell_examples_run(project, where, body):
    result = run(body, project)
    assert result.returncode == 0, f"{where}:\n{body}\n{result.stderr}"


@pytest.mark.parametrize("where, body", [e for e in shell_examples() if LOCAL in e[1]],
                         ids=lambda value: value if value.endswith(".md") else "")
def test_examples_against_a_server_run(live_server, project, where, body):
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    server = live_server()
    result = run(body.replace(LOCAL, server.url.removesuffix("/v1")), project)
    assert result.returncode == 0, f"{where}:\n{body}\n{result.stderr}"
    # An error envelope, not the `"error": null` of a response object or stream event.
    assert result.stdout.strip() and not re.search(r'"error"\s*:\s*\{', result.stdout), \
        result.stdout


def _comparable(line: str) -> str:
    return re.sub(r"\(\d+\.\d\d s\)", "(… s)", line.rstrip())


@pytest.mark.parametrize("where, command, shown", transcripts(),
                         ids=lambda value: value if isinstance(value, str) and
                         value.endswith(".md") else "")
def test_transcripts_print_what_they_show(project, where, command, shown):
    result = run(command, project)
    printed = [_comparable(line) for line in (result.stdout + result.stderr).splitlines()]
    expected = [_comparable(line) for line in shown if line.strip() and line != "…"]
    # Steps running at the same time may finish in either order: lines are compared, not
    # their order.
    missing = [line for line in expected if line not in printed]
    assert not missing, f"{where}: `{command}` did not print {missing}:\n" + "\n".join(printed)
    assert (result.returncode == 0) == (not any(line.startswith("agentgate: ")
                                                for line in expected))


def test_make_run_says_how_to_reach_the_command(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    import socket
    with socket.socket() as taken:  # the server cannot start: make run returns at once
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = {**os.environ, "AGENTGATE_PORT": str(taken.getsockname()[1]),
               "AGENTGATE_DATA_DIR": str(tmp_path)}
        result = subprocess.run(["make", "-s", "-o", ".venv/.installed", "run"], cwd=ROOT,
                                env=env, capture_output=True, text=True, timeout=120)
    assert "The agentgate command is .venv/bin/agentgate" in result.stdout
    assert "'. .venv/bin/activate'" in result.stdout and "make shell" in result.stdout
    assert "cannot listen on" in result.stderr


def test_make_shell_puts_the_command_on_the_path():
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    env = {**os.environ, "SHELL": "/bin/sh"}
    result = subprocess.run(["make", "-s", "-o", ".venv/.installed", "shell"], cwd=ROOT,
                            input="command -v agentgate\n", env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == str(ROOT / ".venv" / "bin" / "agentgate")
