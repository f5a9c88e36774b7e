"""The official JavaScript SDK (the `openai` npm package) against a real listening server:
the streaming helper's final completion, a streamed create() and a plain create().

Needs Node.js; the npm dependencies in tests/js are installed on first use. Where npm cannot
reach its registry, the test is skipped with the reason, except in CI (`CI` set), where it
must run."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from agentgate.conversation import ids
from conftest import ROOT, doc_example

JS = Path(__file__).resolve().parent / "js"
SCRIPT = JS / "final_completion.mjs"


# What npm prints when it cannot reach its registry (no network, a proxy, DNS).
OFFLINE = re.compile(r"\b(ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|ENETUNREACH|"
                     r"EHOSTUNREACH|ERR_SOCKET_TIMEOUT|network request to .* failed)\b", re.I)


def in_ci(env=os.environ) -> bool:
    return env.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def npm_install(npm: str, prefix: Path, env: dict[str, str] | None = None) -> str | None:
    """Installs the npm dependencies in `prefix`. None when done; the reason to skip when
    the registry cannot be reached outside CI; any other failure fails the test."""
    done = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(prefix)],
                          capture_output=True, text=True, timeout=300, env=env)
    if done.returncode == 0:
        return None
    output = f"{done.stdout}\n{done.stderr}"
    unreachable = OFFLINE.search(output)
    if unreachable and not in_ci(env if env is not None else os.environ):
        return (f"npm cannot reach its registry ({unreachable.group(0)}): the JavaScript SDK "
                "is not tested here; CI runs it")
    pytest.fail(f"npm install failed:\n{output}")


@pytest.fixture(scope="module")
def node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (no `node` on PATH): JavaScript SDK not tested")
    if not (JS / "node_modules" / "openai").is_dir():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed: cannot install tests/js dependencies")
        reason = npm_install(npm, JS)
        if reason:
            pytest.skip(reason)
    return node


def test_js_sdk_final_completion_stream_and_create(node, live_server):
    done = subprocess.run([node, str(SCRIPT), live_server().url], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)

    final = out["final"]
    assert final["object"] == "chat.completion" and final["model"] == "loan-calculator"
    choice = final["choices"][0]
    assert choice["finish_reason"] == "stop"
    replies = [choice["message"]["content"], out["streamed"]["content"],
               out["created"]["content"]]
    assert out["streamed"]["finish_reason"] == out["created"]["finish_reason"] == "stop"
    for reply in replies:
        assert reply.index("</thinking>") < reply.index("$1,896.20"), reply
        assert ids.find(reply) is not None


def test_docs_example_is_the_script_core():
    """Every line of the JavaScript example in docs/clients.md is in the script the test
    above runs, so the example cannot drift from tested code."""
    script = {line.strip() for line in SCRIPT.read_text().splitlines()}
    example = doc_example(ROOT / "docs" / "clients.md", "clients-js")
    missing = [line for line in example.splitlines() if line.strip() not in script]
    assert not missing, missing


def _unreachable_registry(tmp_path: Path, ci: str | None) -> tuple[str, dict[str, str]]:
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.skip("npm is not installed")
    shutil.copy(JS / "package.json", tmp_path / "package.json")
    env = {**os.environ, "npm_config_registry": "http://127.0.0.1:9/",
           "npm_config_cache": str(tmp_path / "cache"), "npm_config_fetch_retries": "0",
           "npm_config_fetch_timeout": "2000", "npm_config_offline": "false"}
    env.pop("CI", None)
    if ci is not None:
        env["CI"] = ci
    return npm, env


def test_an_unreachable_registry_skips_outside_ci(tmp_path):
    npm, env = _unreachable_registry(tmp_path, None)
    reason = npm_install(npm, tmp_path, env)
    assert reason is not None and reason.startswith("npm cannot reach its registry (")


def test_an_unreachable_registry_fails_in_ci(tmp_path):
    npm, env = _unreachable_registry(tmp_path, "true")
    with pytest.raises(pytest.fail.Exception, match="npm install failed"):
        npm_install(npm, tmp_path, env)


@pytest.mark.parametrize("value, expected", [("true", True), ("1", True), ("", False),
                                             ("false", False), (None, False)])
def test_ci_is_recognised(value, expected):
    assert in_ci({} if value is None else {"CI": value}) is expected


RESPONSES_SCRIPT = JS / "responses.mjs"


def test_js_sdk_responses(node, live_server):
    done = subprocess.run([node, str(RESPONSES_SCRIPT), live_server().url],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    final = out["final"]
    assert final["status"] == "completed" and final["model"] == "loan-calculator"
    assert [item["type"] for item in final["output"]] == ["reasoning", "message"]
    assert "$1,896.20" in final["output_text"] and ids.find(final["output_text"])
    assert done.stderr.index("✓ Writing the answer") < done.stderr.index("$1,896.20")
    kinds = out["streamed"]["kinds"]
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert "Hello there!" in out["streamed"]["text"]
    first, second, third = out["turns"]
    assert "yearly interest rate" in first and "how many years" in second.lower()
    assert "$1,896.20" in third


def test_docs_responses_example_is_the_script_core():
    script = {line.strip() for line in RESPONSES_SCRIPT.read_text().splitlines()}
    example = doc_example(ROOT / "docs" / "api.md", "responses-js")
    missing = [line for line in example.splitlines() if line.strip() not in script]
    assert not missing, missing
