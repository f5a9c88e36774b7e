"""The Python and curl examples in docs/clients.md run against a live server as written,
with only the address changed. (The LangChain example runs in test_langchain.py, the
JavaScript one in test_js_sdk.py.)"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import ROOT, doc_example, reply_text, sse_events

CLIENTS = ROOT / "docs" / "clients.md"
DOC_URL = "http://127.0.0.1:8000/v1"


def test_python_example(live_server, capsys):
    code = doc_example(CLIENTS, "clients-python")
    assert DOC_URL in code
    exec(compile(code.replace(DOC_URL, live_server().url), str(CLIENTS), "exec"), {})
    out = capsys.readouterr().out
    assert out.index("How much do you want to borrow?") < out.index("$1,896.20")


def test_curl_example(live_server):
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed: the curl example in docs/clients.md not run")
    command = doc_example(CLIENTS, "clients-curl")
    assert command.startswith("curl ") and DOC_URL in command
    done = subprocess.run(["sh", "-c", command.replace(DOC_URL, live_server().url)],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    events = sse_events(done.stdout)
    assert events[-1] == "[DONE]"
    assert events[-2]["choices"][0]["finish_reason"] == "stop"
    assert "$1,896.20" in reply_text(events)
