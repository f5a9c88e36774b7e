"""What the server says when it starts: it binds first, then names every workflow it serves
and every file it could not load, and warns about what an operator should fix. A workflow
that needs an internal LLM on a server without one says so on the first turn."""

from __future__ import annotations

import json
import logging
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from conftest import FIXTURES, ROOT, WORKFLOWS, Chat

CHAT = "/v1/chat/completions"


def started_log(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "agentgate"]


async def test_every_workflow_is_named_with_its_inputs_and_nodes(make_client, settings, caplog):
    caplog.set_level(logging.INFO)
    await make_client(settings)
    lines = started_log(caplog)
    loan = [line for line in lines if line.startswith("workflow loan-calculator ")]
    assert loan == ["workflow loan-calculator from " + str(WORKFLOWS / "loan-calculator.json")
                    + ": 4 inputs (principal, annual_rate, years, schedule (optional)); "
                    "4 nodes (monthly, totals, balances, answer)"]
    assert "workflow days-between from" in "\n".join(lines)
    assert "1 node (count)" in "\n".join(lines)
    assert lines[-1] == f"serving {BUNDLED} workflows from {WORKFLOWS}"


async def test_workflows_needing_an_llm_are_warned_about_without_one(make_client, settings,
                                                                    caplog):
    caplog.set_level(logging.INFO)
    await make_client(settings)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [w for w in warnings if "needs an internal LLM" in w] == [
        "workflow trip-planner needs an internal LLM and AGENTGATE_LLM_BASE_URL is not set: "
        "it is listed with that note and tells users so on their first turn"]


async def test_each_problem_is_logged_once(make_client, settings, caplog, tmp_path):
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "broken.json").write_text('{"nodes": [}')
    caplog.set_level(logging.INFO)
    await make_client(settings.replace(workflows=str(folder)))
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and errors[0].startswith(f"workflow not loaded: {folder}")
    assert any("every file in" in r.getMessage() for r in caplog.records
               if r.levelno == logging.WARNING)


async def test_an_empty_folder_is_warned_about(make_client, settings, caplog, tmp_path):
    caplog.set_level(logging.INFO)
    await make_client(settings.replace(workflows=str(tmp_path)))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [f"no workflow is served: {tmp_path} holds no *.json workflow files; "
                        "add one (see docs/workflows.md) and it is picked up without a "
                        "restart"]


async def test_the_first_turn_says_at_once_that_an_llm_is_needed(client):
    chat = Chat(client, "trip-planner")
    for stream in (False, True):
        reply = await chat.say("Plan a trip to Lisbon", stream=stream)
        assert reply.startswith("**Trip Planner** cannot run on this server")
        assert "needs a language model" in reply and "AGENTGATE_LLM_BASE_URL" in reply
        assert "agentgate-conversation" not in reply and "?" not in reply


async def test_a_workflow_with_its_own_llm_endpoint_is_not_held_back(make_client, settings,
                                                                     tmp_path):
    (tmp_path / "own.json").write_text(json.dumps({
        "name": "own", "inputs": {"topic": {"description": "Topic"}},
        "nodes": [{"id": "answer", "type": "llm", "prompt": "{{ inputs.topic }}",
                   "base_url": "http://127.0.0.1:9/v1", "model": "m"}],
        "output": "answer"}))
    client = await make_client(settings.replace(workflows=str(tmp_path)))
    reply = await Chat(client, "own").say("hello")
    assert "cannot run on this server" not in reply and "What is the topic?" in reply


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


BUNDLED = len(list(WORKFLOWS.glob("*.json")))


def _serve(port: int, *args: str) -> subprocess.Popen:
    env = {**os.environ, "AGENTGATE_PORT": str(port), "AGENTGATE_WORKFLOWS": str(WORKFLOWS),
           "AGENTGATE_LLM_BASE_URL": "", "AGENTGATE_RELOAD_SECONDS": "0"}
    return subprocess.Popen([sys.executable, "-m", "agentgate", "serve", *args],
                            cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)


def test_a_port_in_use_is_the_only_thing_reported(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = _serve(port, "--data", str(tmp_path))
        _, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert err.strip().splitlines() == [
        f"agentgate: cannot listen on 127.0.0.1:{port}: error while attempting to bind on "
        f"address ('127.0.0.1', {port}): address already in use"]


def test_the_report_comes_after_the_port_is_bound(tmp_path):
    port = _free_port()
    process = _serve(port, "--data", str(tmp_path))
    lines: list[str] = []
    try:
        received: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [received.put(line) for line in process.stderr],
                         daemon=True).start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # never waits past the deadline for a line
            try:
                line = received.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            lines.append(line)
            if f"serving {BUNDLED} workflows" in line:
                break
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert "listening on http://127.0.0.1:%d/v1" % port in lines[0], lines
    assert sum("INFO agentgate: workflow " in line for line in lines) == BUNDLED
