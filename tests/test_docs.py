"""The documentation matches the code: every setting is documented, no phantom ones are, and
the example workflow in the reference loads and runs."""

from __future__ import annotations

import json
import re

from agentgate.settings import SETTINGS
from agentgate.workflow.loader import load_file
from agentgate.workflow.runner import run_workflow
from conftest import ROOT

DOCS = ROOT / "docs"


def test_every_setting_is_documented_and_nothing_else():
    text = (DOCS / "configuration.md").read_text()
    documented = set(re.findall(r"AGENTGATE_[A-Z_]+[A-Z]", text))
    assert documented == {setting.env for setting in SETTINGS}


def test_no_doc_mentions_an_unknown_setting():
    known = {setting.env for setting in SETTINGS}
    for path in [ROOT / "README.md", *DOCS.glob("*.md")]:
        mentioned = set(re.findall(r"AGENTGATE_[A-Z_]+[A-Z]", path.read_text()))
        assert mentioned <= known | {"AGENTGATE_OPENAI_SPEC"}, (path.name, mentioned - known)


def test_readme_starts_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme


async def test_reference_example_workflow_loads_and_runs(tmp_path):
    blocks = re.findall(r"```json workflow\n(.*?)```", (DOCS / "workflows.md").read_text(), re.S)
    assert len(blocks) == 1
    path = tmp_path / "example.json"
    path.write_text(blocks[0])
    workflow = load_file(path)
    values = {name: spec.examples[0] if spec.examples else spec.default
              for name, spec in workflow.inputs.items()}
    assert all(value is not None for value in values.values()), "give every input an example"
    events = [event async for event in run_workflow(workflow, values)]
    assert events[-1].text.strip()
    json.loads(blocks[0])


def _headings(text: str) -> set[str]:
    """GitHub's anchors for the headings of a Markdown text (fenced code left out)."""
    kept, fence = [], None
    for line in text.splitlines():
        opening = re.match(r"^(`{3,}|~{3,})", line)
        if opening and (fence is None or opening.group(1).startswith(fence)):
            fence = None if fence else opening.group(1)
            continue
        if fence is None:
            kept.append(line)
    return {re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
            for title in re.findall(r"^#{1,6}\s+(.*)$", "\n".join(kept), re.M)}


def test_every_link_to_a_section_finds_it():
    pages = [ROOT / "README.md", *DOCS.glob("*.md")]
    anchors = {path.resolve(): _headings(path.read_text()) for path in pages}
    broken = []
    for path in pages:
        for target, anchor in re.findall(r"\]\(([\w./-]*)#([\w-]+)\)", path.read_text()):
            page = (path.parent / target).resolve() if target else path.resolve()
            if anchor not in anchors.get(page, set()):
                broken.append(f"{path.name}: {target}#{anchor}")
    assert not broken


async def test_the_quickstart_reply_has_the_fields_the_server_sends(client):
    blocks = re.findall(r"```json\n(\{\n  \"id\": \"chatcmpl-.*?)```",
                        (DOCS / "quickstart.md").read_text(), re.S)
    assert len(blocks) == 1
    shown = json.loads(blocks[0])
    sent = await (await client.post("/v1/chat/completions", json={
        "model": "loan-calculator", "messages": [{"role": "user", "content": "Hi"}]})).json()
    assert set(shown) == set(sent)
    assert set(shown["choices"][0]) == set(sent["choices"][0])
    assert set(shown["choices"][0]["message"]) == set(sent["choices"][0]["message"])
