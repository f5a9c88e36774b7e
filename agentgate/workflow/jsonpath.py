"""A small JSON path for picking data out of API answers.

    $.data.items[0].name     dots for keys, [n] for list positions (negative from the end)
    items[*].name            [*] maps the rest of the path over every item of a list
    $                        the whole document

The leading `$.` is optional. A missing key or position raises PathError naming it.
"""

from __future__ import annotations

import re
from typing import Any

from agentgate.errors import AgentgateError

_TOKEN = re.compile(r"\.?([A-Za-z_][\w-]*)|\[(-?\d+|\*)\]|\.?\[[\"']([^\"']+)[\"']\]")


class PathError(AgentgateError, ValueError):
    """The path does not match the data."""


def parse(path: str) -> list[str | int]:
    text = path.strip()
    if text in ("", "$"):
        return []
    if text.startswith("$"):
        text = text[1:]
    steps: list[str | int] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise PathError(f"cannot read the path {path!r} at {text[position:]!r}")
        key, index, quoted = match.groups()
        if key is not None or quoted is not None:
            steps.append(key if key is not None else quoted)
        else:
            steps.append("*" if index == "*" else int(index))
        position = match.end()
    return steps


def select(data: Any, path: str) -> Any:
    return _walk(data, parse(path), "$")


def _walk(data: Any, steps: list[str | int], where: str) -> Any:
    for number, step in enumerate(steps):
        if step == "*":
            if not isinstance(data, list):
                raise PathError(f"{where} is not a list")
            rest = steps[number + 1:]
            return [_walk(item, rest, f"{where}[{i}]") for i, item in enumerate(data)]
        if isinstance(step, int):
            if not isinstance(data, list) or not -len(data) <= step < len(data):
                raise PathError(f"{where} has no item {step}")
            data, where = data[step], f"{where}[{step}]"
        else:
            if not isinstance(data, dict) or step not in data:
                raise PathError(f"{where} has no key {step!r}")
            data, where = data[step], f"{where}.{step}"
    return data
