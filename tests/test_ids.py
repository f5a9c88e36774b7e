"""Conversation markers: minted unguessable, written, and found again in mangled history."""

from __future__ import annotations

import re

import pytest

from agentgate.conversation import ids


def test_minted_ids_are_long_random_and_distinct():
    minted = {ids.mint() for _ in range(2000)}
    assert len(minted) == 2000
    for value in list(minted)[:50]:
        assert re.fullmatch(r"ag_[A-Za-z0-9]{22}", value)


@pytest.mark.parametrize("style", ["fence", "reference"])
def test_embed_then_find(style):
    marker = ids.Marker(ids.mint(), 7)
    text = "Some answer.\n\n- a list" + ids.embed(marker, style)
    assert ids.find(text) == marker


@pytest.mark.parametrize("mangle", [
    lambda t: t.replace("\n", "\r\n"),
    lambda t: t.replace("\n", "\n    "),
    lambda t: " ".join(t.split()),
    lambda t: t.strip(),
    lambda t: t.replace("\n\n", "\n"),
    lambda t: t.replace('"', "&quot;"),
])
@pytest.mark.parametrize("style", ["fence", "reference"])
def test_find_tolerates_reserialised_whitespace(mangle, style):
    marker = ids.Marker(ids.mint(), 3)
    assert ids.find(mangle("Answer" + ids.embed(marker, style))) == marker


def test_find_takes_the_last_marker_and_ignores_lookalikes():
    first, second = ids.Marker(ids.mint(), 1), ids.Marker(ids.mint(), 2)
    text = ids.embed(first) + "text" + ids.embed(second, "reference")
    assert ids.find(text) == second
    assert ids.find("```agentgate-conversation\nag_short\n```") is None
    assert ids.find("ag_" + "a" * 22) is None


def test_strip_removes_our_blocks_only():
    marker = ids.Marker(ids.mint(), 1)
    text = ("Before <thinking>\n▸ step…\n</thinking>\n\nAnswer"
            '<details type="reasoning" done="true">\nold\n</details> after' + ids.embed(marker))
    assert ids.strip(text) == "Before \n\nAnswer after"
    assert ids.strip("an unclosed <thinking> swallows the rest") == "an unclosed"
    assert ids.strip("plain `code` stays") == "plain `code` stays"


def test_only_ascii_digits_name_a_snapshot():
    assert ids.find('[agentgate-conversation]: # "ag_' + "a" * 22 + '.١٢"') is None
    assert ids.find('[agentgate-conversation]: # "ag_' + "a" * 22 + '.12"').turn == 12


def test_a_marker_hidden_inside_another_is_stripped_too():
    inner = '[agentgate-conversation]: # "ag_' + "b" * 22 + '.1"'
    nested = 'hi [agentgate-conversation]: # "ag_' + "a" * 11 + inner + "a" * 11 + '.2"'
    assert ids.strip(nested) == "hi"  # removing the inner one forms another: it goes too
