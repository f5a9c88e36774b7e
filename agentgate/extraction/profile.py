"""What the reader needs to know about a workflow, compiled once when the workflow loads:
each input's kind, unit, aliases and options, and the words of the workflow itself (which
are never "unexplained" in a message).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from agentgate.extraction.lexicon import FILLER
from agentgate.extraction.message import words_of
from agentgate.extraction.options import OptionMatcher
from agentgate.extraction.units import canonical_unit, conversion, infer_unit
from agentgate.workflow.model import QueryInput
from agentgate.workflow.values import InvalidValue, coerce

_GENERIC = {"number", "value", "only", "of", "the", "a", "an", "to", "in", "is", "how",
            "what", "which", "whether", "and", "or", "for", "per", "be", "it"}


def squash(name: str) -> str:
    """A name as it is looked up: 'Annual-Rate', 'annual rate' and 'annual_rate' alike."""
    return "".join(c for c in name.lower() if c not in " _-")


@dataclass(frozen=True)
class InputProfile:
    name: str
    spec: QueryInput
    kind: str                    # number, integer, boolean, date, string, enum, array, year
    unit: str | None
    aliases: tuple[tuple[str, ...], ...]
    options: OptionMatcher | None

    @property
    def required(self) -> bool:
        return self.spec.required

    @property
    def numeric(self) -> bool:
        return self.kind in ("number", "integer", "year")

    def fits(self, value: Any) -> bool:
        try:
            coerce(self.spec, value)
        except InvalidValue:
            return False
        return True

    def check(self, value: Any) -> Any:
        """The stored form of `value`, or InvalidValue with the reason."""
        return coerce(self.spec, value)

    def takes_unit(self, unit: str | None) -> tuple[bool, Any]:
        """(whether a number in `unit` can be meant for this input, exact factor or None)."""
        if not self.numeric:
            return False, None
        if unit is None:
            return True, 1
        if self.kind == "year":
            return False, None
        found = conversion(unit, self.unit)
        return found.fits, found.factor


def _kind(spec: QueryInput, name: str) -> str:
    if spec.type == "string" and spec.enum is not None:
        return "enum"
    if spec.type == "integer" and spec.unit is None and (
            re.fullmatch(r"(?:\w+_)?year", name) or (
                spec.minimum is not None and spec.maximum is not None
                and 1000 <= float(spec.minimum) and float(spec.maximum) <= 3000)):
        return "year"
    return spec.type


def _aliases(name: str, spec: QueryInput) -> tuple[tuple[str, ...], ...]:
    found = {words_of(name.replace("_", " "))}
    found.add((name.lower(),))
    for alias in spec.aliases:
        words = words_of(alias)
        if words:
            found.add(words)
    parts = [p for p in name.lower().split("_") if p and p not in _GENERIC]
    if len(parts) > 1:
        for part in parts:
            if len(part) >= 4:
                found.add((part,))
    return tuple(sorted(found, key=len, reverse=True))


class WorkflowProfile:
    """Per-workflow reading artefacts; built once per loaded workflow version."""

    def __init__(self, inputs: dict[str, QueryInput], fixed: list[str], texts: list[str]):
        self.inputs: dict[str, InputProfile] = {}
        for name, spec in inputs.items():
            kind = _kind(spec, name)
            words = " ".join([name.replace("_", " "), spec.description, spec.question or ""])
            unit = canonical_unit(spec.unit) if spec.unit else infer_unit(spec.type, words)
            options = OptionMatcher(name, spec.enum) if kind == "enum" or (
                kind == "array" and spec.enum) else None
            self.inputs[name] = InputProfile(name, spec, kind, unit, _aliases(name, spec),
                                             options)
        self.fixed = list(fixed)
        self.has_dates = any(p.kind == "date" for p in self.inputs.values())
        self.alias_phrases: dict[tuple[str, ...], set[str]] = {}
        for profile in self.inputs.values():
            for alias in profile.aliases:
                self.alias_phrases.setdefault(alias, set()).add(profile.name)
        self.longest_alias = max((len(a) for a in self.alias_phrases), default=1)
        vocabulary = set()
        for text in texts:
            vocabulary.update(words_of(text))
        for profile in self.inputs.values():
            for alias in profile.aliases:
                vocabulary.update(alias)
            vocabulary.update(words_of(profile.spec.description))
            vocabulary.update(words_of(profile.spec.question or ""))
            for option in profile.spec.enum or []:
                vocabulary.update(words_of(str(option)))
        self.vocabulary = frozenset(vocabulary - FILLER)
        names = sorted([*self.inputs, *self.fixed], key=len, reverse=True)
        loose = [r"[ _-]?".join(re.escape(p) for p in n.split("_")) for n in names]
        self.named = re.compile(r"(?<![\w])(" + "|".join(loose) + r")\s*(?::|=|\bis\b)\s*",
                                re.I) if names else None
        self.canonical = {squash(n): n for n in names}

    def names_in(self, text: str):
        """(match, input or fixed name) for each `name: value` label in `text`."""
        if self.named is not None:
            for match in self.named.finditer(text):
                yield match, self.canonical[squash(match.group(1))]

    def first_required(self) -> str | None:
        return next((n for n, p in self.inputs.items() if p.required), None)
