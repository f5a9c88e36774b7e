"""Finding an enum input's options in a message: exact words and phrases, plurals, spelling
variants, weekday abbreviations, ordinals written as digits, and (on request) misspellings.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz.distance import DamerauLevenshtein

from agentgate.extraction.lexicon import (FILLER, ORDINALS, WEEKDAY_ABBREVIATIONS, WEEKDAYS)
from agentgate.extraction.message import words_of
from agentgate.extraction.numbers import Token


@dataclass(frozen=True)
class OptionMention:
    input: str
    option: str
    start: int
    end: int
    first_token: int
    last_token: int
    fuzzy: bool = False
    text: str = ""


class OptionMatcher:
    """The options of one enum input, compiled once per workflow version."""

    def __init__(self, input_name: str, options: list):
        self.input = input_name
        self.options = [str(option) for option in options]
        self.phrases: dict[tuple[str, ...], str] = {}
        for option in self.options:
            words = words_of(option)
            if not words:
                continue
            self._add(words, option)
            self._add(tuple(words[:-1]) + (words[-1] + "s",), option)
            self._add(tuple(words[:-1]) + (words[-1] + "es",), option)
            if len(words) > 1:
                self._add(("".join(words),), option)
            low = option.lower()
            if low in WEEKDAYS:
                for short, index in WEEKDAY_ABBREVIATIONS.items():
                    if WEEKDAYS[index] == low:
                        self._add((short,), option)
            if low in ORDINALS and 1 <= ORDINALS[low] <= 10:  # "the 2nd" names "second"
                digits = str(ORDINALS[low])
                self._add((digits + _ordinal_suffix(digits),), option)
            if low == "last":
                self._add(("final",), option)
        self.longest = max((len(p) for p in self.phrases), default=1)
        self.ordinal = {ORDINALS[o.lower()]: o for o in self.options if o.lower() in ORDINALS}

    def _add(self, words: tuple[str, ...], option: str) -> None:
        if words and self.phrases.get(words, option) == option:
            self.phrases[words] = option
        elif words in self.phrases:
            self.phrases[words] = ""  # two options share this spelling: it names neither

    def find(self, tokens: list[Token], taken: set[int]) -> list[OptionMention]:
        found = []
        index = 0
        while index < len(tokens):
            match = None
            for length in range(min(self.longest, len(tokens) - index), 0, -1):
                span = range(index, index + length)
                if any(i in taken for i in span) or any(tokens[i].kind == "sym"
                                                        for i in span):
                    continue
                words = tuple(_token_word(tokens[i]) for i in span)
                option = self.phrases.get(words)
                if option:
                    match = OptionMention(self.input, option, tokens[index].start,
                                          tokens[index + length - 1].end, index,
                                          index + length - 1, text=" ".join(words))
                    break
            if match is not None:
                found.append(match)
                index = match.last_token + 1
            else:
                index += 1
        return found

    def fuzzy(self, word: str) -> str | None:
        """The one option `word` is a likely misspelling of (5+ letters, 1-2 edits)."""
        if len(word) < 3 or word in FILLER:
            return None
        best: dict[str, int] = {}
        for words, option in self.phrases.items():
            if not option or len(words) != 1 or len(words[0]) < 4:
                continue
            limit = 1 if len(words[0]) <= 5 or len(word) <= 4 else 2
            distance = DamerauLevenshtein.distance(word, words[0], score_cutoff=limit)
            if distance <= limit:
                best[option] = min(distance, best.get(option, limit))
        if best:
            nearest = min(best.values())
            hits = [option for option, distance in best.items() if distance == nearest]
            if len(hits) == 1:  # 'tusday': tuesday is one slip away, thursday two
                return hits[0]
        return self.prefix(word)

    def guess(self, words: list[str]) -> tuple[str, str] | None:
        """(option, the word naming it) when one or two words point at a single option by
        its start or a misspelling ('thurs', 'fam', 'wensday'), else None."""
        if len(words) > 2:
            return None
        named: dict[str, str] = {}
        for word in words:
            option = self.prefix(word) or self.fuzzy(word)
            if option is not None:
                named.setdefault(option, word)
        return next(iter(named.items())) if len(named) == 1 else None

    def prefix(self, word: str) -> str | None:
        """The one option starting with `word` (3+ letters): 'thurs', 'fam'."""
        if len(word) < 3:
            return None
        hits = {o for o in self.options if o.lower().startswith(word)}
        return hits.pop() if len(hits) == 1 else None


def _token_word(token: Token) -> str:
    if token.kind == "num":
        return token.text + ("" if not token.ordinal else _ordinal_suffix(token.text))
    return token.text


def _ordinal_suffix(digits: str) -> str:
    number = int(digits) if digits.isdigit() else 0
    if 10 <= number % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
