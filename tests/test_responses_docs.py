"""The Responses API examples in docs/api.md run against a live server as written, with only
the address changed. (The JavaScript one runs in test_js_sdk.py.)"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import ROOT, doc_example
from responses_shapes import final_response, output_text, parse_stream

API = ROOT / "docs" / "api.md"
DOC_URL = "http://127.0.0.1:8000/v1"


def test_python_example(live_server, capsys):
    code = doc_example(API, "responses-python")
    assert DOC_URL in code
    namespace: dict = {}
    exec(compile(code.replace(DOC_URL, live_server().url), str(API), "exec"), namespace)
    out = capsys.readouterr().out
    assert out.index("yearly interest rate") < out.index("✓ Writing the answer") < out.index(
        "$1,896.20") < out.rindex("how many years")
    final = namespace["final"]
    assert final.status == "completed" and final.previous_response_id


def test_curl_example(live_server):
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed: the curl example in docs/api.md not run")
    command = doc_example(API, "responses-curl")
    assert command.startswith("curl ") and DOC_URL in command
    done = subprocess.run(["sh", "-c", command.replace(DOC_URL, live_server().url)],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    response = final_response(parse_stream(done.stdout))
    assert response["status"] == "completed" and "$1,896.20" in output_text(response)
