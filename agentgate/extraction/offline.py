"""The offline gatherer: fills inputs without any LLM.

It maps a plain answer to the input that was asked for, reads `name: value` pairs for any
input, and recognises a few control phrases. It is deterministic, so replaying a chat's user
messages through it rebuilds the same state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from agentgate.conversation.state import State
from agentgate.workflow.loader import Workflow
from agentgate.workflow.values import InvalidValue, coerce

Command = Literal["reset", "rerun"]
_RESET = re.compile(r"(cancel|reset|restart|start over|start again|begin again)", re.I)
_RERUN = re.compile(r"(again|try again|run again|retry|rerun|re-run|run it again)", re.I)
_POLITE = re.compile(r"^\s*(please\s+)?(.*?)(\s+please)?[\s.!]*$", re.I | re.S)


@dataclass
class Absorbed:
    """What one user message changed."""

    accepted: list[str] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)
    refused_fixed: list[str] = field(default_factory=list)
    command: Command | None = None


def missing_inputs(workflow: Workflow, state: State) -> list[str]:
    return [name for name, spec in workflow.inputs.items()
            if spec.required and name not in state.values]


def _loose(name: str) -> str:
    return r"[ _-]?".join(re.escape(part) for part in name.split("_"))


class OfflineGatherer:
    def __init__(self, workflow: Workflow):
        self.workflow = workflow
        names = sorted([*workflow.inputs, *workflow.fixed], key=len, reverse=True)
        self._pairs = re.compile(r"(?<![\w])(" + "|".join(_loose(n) for n in names)
                                 + r")\s*[:=]\s*", re.I) if names else None
        self._canonical = {re.sub(r"[ _-]", "", n.lower()): n for n in names}

    def absorb(self, state: State, text: str) -> Absorbed:
        """Apply one user message to `state` (in place) and report what happened."""
        result = Absorbed()
        bare = _POLITE.match(text).group(2).strip().lower()
        if _RESET.fullmatch(bare):
            state.values.clear()
            state.asked, state.status = None, "gathering"
            result.command = "reset"
            return result
        pairs = self._split_pairs(text)
        if not pairs and _RERUN.fullmatch(bare) and state.status != "gathering":
            result.command = "rerun"
            return result
        if not pairs and state.asked is not None and state.status == "gathering":
            pairs = [(state.asked, text)]
        for name, raw in pairs:
            if name in self.workflow.fixed:
                result.refused_fixed.append(name)
                continue
            try:
                state.values[name] = coerce(self.workflow.inputs[name], raw)
            except InvalidValue as exc:
                result.problems[name] = str(exc)
                continue
            result.problems.pop(name, None)
            result.accepted.append(name)
        return result

    def _split_pairs(self, text: str) -> list[tuple[str, str]]:
        if self._pairs is None:
            return []
        matches = list(self._pairs.finditer(text))
        pairs = []
        for index, match in enumerate(matches):
            end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
            value = text[match.end():end].strip().rstrip(",;").strip()
            name = self._canonical[re.sub(r"[ _-]", "", match.group(1).lower())]
            pairs.append((name, value))
        return pairs
