"""The official JavaScript SDK (the `openai` npm package) against a real listening server:
the streaming helper's final completion, a streamed create() and a plain create().

Needs Node.js; the npm dependencies in tests/js are installed on first use."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from agentgate.conversation import ids
from conftest import ROOT, doc_example

JS = Path(__file__).resolve().parent / "js"
SCRIPT = JS / "final_completion.mjs"


@pytest.fixture(scope="module")
def node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (no `node` on PATH): JavaScript SDK not tested")
    if not (JS / "node_modules" / "openai").is_dir():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed: cannot install tests/js dependencies")
        done = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(JS)],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"npm install failed:\n{done.stdout}\n{done.stderr}"
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
