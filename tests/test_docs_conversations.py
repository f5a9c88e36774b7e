"""Every example in docs/conversations.md is played against the bundled workflows: each
`> ` line is what the user types, the lines under it must appear in the reply."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from conftest import ROOT, Chat

DOC = ROOT / "docs" / "conversations.md"
BLOCKS = re.findall(r"```chat ([a-z0-9-]+)\n(.*?)```", DOC.read_text(), re.S)


def test_the_page_has_examples():
    assert len(BLOCKS) >= 10


@pytest.mark.parametrize("workflow, body", BLOCKS,
                         ids=[f"{i}-{w}" for i, (w, _) in enumerate(BLOCKS)])
async def test_example(make_client, settings, workflow, body):
    client = await make_client(settings, today=lambda: dt.date(2026, 12, 4))
    chat = Chat(client, workflow)
    reply = None
    for line in body.splitlines():
        if line.startswith("> "):
            reply = await chat.say(line[2:])
        elif line.strip():
            assert reply is not None, "an expected line comes before any message"
            assert line.strip() in reply, f"{line.strip()!r} not in reply:\n{reply}"
