"""Template helpers and reference finding."""

from __future__ import annotations

import datetime as dt

import pytest

from agentgate.workflow.templating import nth_weekday, references, render


def test_nth_weekday():
    assert nth_weekday(2026, 1, "Wednesday", 2) == dt.date(2026, 1, 14)
    assert nth_weekday(2026, 1, "wed", -1) == dt.date(2026, 1, 28)
    assert nth_weekday(2026, 2, 0, 5) is None
    assert nth_weekday(2026, 2, "Monday", 0) is None
    with pytest.raises(ValueError, match="not a day of the week"):
        nth_weekday(2026, 2, "Funday", 1)


def test_references_find_nodes_inputs_and_fixed():
    found = references("{{ nodes.a.text }}{{ nodes['b'] }}{{ inputs.x }}{{ fixed.k }}"
                       "{% for n in nodes.c.items %}{{ n.text }}{% endfor %}")
    assert found.nodes == {"a", "b", "c"} and found.inputs == {"x"} and found.fixed == {"k"}


def test_sandbox_blocks_unsafe_attributes():
    from jinja2.exceptions import SecurityError
    with pytest.raises(SecurityError):
        render("{{ x.__class__.__mro__ }}", {"x": 1})
    assert render("{{ 1234567.891 | number }}", {}) == "1,234,567.89"
