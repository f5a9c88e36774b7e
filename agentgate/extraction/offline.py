"""The offline gatherer: fills inputs without any LLM.

It maps a plain answer to the input that was asked for, reads `name: value` pairs for any
input, and recognises a few control phrases. It is deterministic, so replaying a chat's user
messages through it rebuilds the same state.
"""

from __future__ import annotations

import re

from agentgate.conversation.state import State
from agentgate.extraction.base import (Absorbed, local_command, next_question,
                                       replay_status, reset)
from agentgate.workflow.loader import Workflow
from agentgate.workflow.values import InvalidValue, coerce


def _loose(name: str) -> str:
    return r"[ _-]?".join(re.escape(part) for part in name.split("_"))


class OfflineGatherer:
    def __init__(self, workflow: Workflow):
        self.workflow = workflow
        names = sorted([*workflow.inputs, *workflow.fixed], key=len, reverse=True)
        self._pairs = re.compile(r"(?<![\w])(" + "|".join(_loose(n) for n in names)
                                 + r")\s*[:=]\s*", re.I) if names else None
        self._canonical = {re.sub(r"[ _-]", "", n.lower()): n for n in names}

    async def rebuild(self, state: State, earlier: list[str]) -> None:
        for answered in earlier:
            replay_status(self.workflow, state, self.absorb_one(state, answered))

    async def absorb(self, state: State, texts: list[str]) -> Absorbed:
        """Each message in turn, as if each had been answered (the next one answers the
        next question)."""
        merged = Absorbed()
        for number, text in enumerate(texts):
            result = self.absorb_one(state, text)
            merged.accepted += [n for n in result.accepted if n not in merged.accepted]
            merged.refused_fixed += result.refused_fixed
            merged.command = result.command or merged.command
            for name in result.accepted:
                merged.problems.pop(name, None)
            merged.problems.update(result.problems)
            if number < len(texts) - 1 and state.status == "gathering":
                next_question(self.workflow, state, result)
        return merged

    def absorb_one(self, state: State, text: str) -> Absorbed:
        result = Absorbed()
        pairs = self.split_pairs(text)
        command = None if pairs else local_command(state, text)
        if command == "reset":
            reset(state)
        if command is not None:
            result.command = command
            return result
        if not pairs and state.asked is not None and state.status == "gathering":
            pairs = [(state.asked, text)]
        elif not pairs and state.asked is None and not state.values:
            return self._opening(state, text, result)
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

    def _opening(self, state: State, text: str, result: Absorbed) -> Absorbed:
        """A first message like "250000" answers the first question before it is asked,
        when that input cannot mistake a greeting for a value (free text could)."""
        first = next((n for n, s in self.workflow.inputs.items() if s.required), None)
        spec = self.workflow.inputs.get(first)
        if spec is None or (spec.type == "string" and spec.enum is None and spec.pattern is None):
            return result
        try:
            state.values[first] = coerce(spec, text)
        except InvalidValue:
            return result
        result.accepted.append(first)
        return result

    def split_pairs(self, text: str) -> list[tuple[str, str]]:
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
