"""A user message prepared for reading: its tokens, which of them are spoken for, and what
kind of talk it is (a command, a greeting, a question back, a correction)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agentgate.extraction.lexicon import (CANCEL_PHRASES, CONFIRM_PHRASES, CORRECTION_CUES,
                                          DECLINE_PHRASES, FILLER, GREETINGS, HELP_WORDS,
                                          PROPOSING_QUESTIONS, QUESTION_STARTS, REQUESTS,
                                          RERUN_PHRASES, RESET_PHRASES, THANKS, WAITS)
from agentgate.extraction.numbers import Token, tokenize


def words_of(text: str) -> tuple[str, ...]:
    """The words of a phrase (a name, an alias, an option) as the reader matches them."""
    return tuple(re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower()))


def _phrase_set(phrases) -> dict[int, set[tuple[str, ...]]]:
    by_length: dict[int, set[tuple[str, ...]]] = {}
    for phrase in phrases:
        words = words_of(phrase)
        by_length.setdefault(len(words), set()).add(words)
    return by_length


_RESET = _phrase_set(RESET_PHRASES)
_CANCEL = _phrase_set(CANCEL_PHRASES)
_RERUN = _phrase_set(RERUN_PHRASES)
_CONFIRM = _phrase_set(CONFIRM_PHRASES)
_DECLINE = _phrase_set(DECLINE_PHRASES)
_GREETING = _phrase_set(GREETINGS)
_THANKS = _phrase_set(THANKS)
_WAIT = _phrase_set(WAITS)
_PROPOSING = _phrase_set(PROPOSING_QUESTIONS)
_CORRECTION = _phrase_set(CORRECTION_CUES)
_REQUESTS = _phrase_set(REQUESTS)


# Chat shorthand, read as the words it stands for ("can u do 2028", "thx").
_SHORTHAND = {"u": "you", "ur": "your", "r": "are", "pls": "please", "plz": "please",
              "thx": "thanks", "ty": "thanks", "tnx": "thanks", "btwn": "between",
              "betwen": "between", "wat": "what", "wot": "what", "wud": "would",
              "cud": "could", "shud": "should", "im": "i'm", "dont": "don't",
              "cant": "can't", "wont": "won't", "gonna": "going", "wanna": "want",
              "yr": "year", "yrs": "years", "mnth": "month", "mnths": "months",
              "wk": "week", "wks": "weeks", "hrs": "hours", "mins": "minutes"}


@dataclass
class Message:
    text: str
    lower: str = ""
    tokens: list[Token] = field(default_factory=list)
    taken: set[int] = field(default_factory=set)
    _talk: set[int] | None = None
    _words: list[str] | None = None

    @classmethod
    def of(cls, text: str) -> "Message":
        lower = text.lower().replace("’", "'").replace("‘", "'")
        tokens = [Token(_SHORTHAND[t.text], t.start, t.end, t.kind) if t.kind == "word" and
                  t.text in _SHORTHAND else t for t in tokenize(lower)]
        return cls(text, lower, tokens)

    @property
    def words(self) -> list[str]:
        if self._words is None:
            self._words = [t.text for t in self.tokens if t.kind != "sym"]
        return self._words

    def take(self, first: int, last: int) -> None:
        self.taken.update(range(first, last + 1))

    def free(self, index: int) -> bool:
        return index not in self.taken

    # -- phrases ---------------------------------------------------------------------

    def find_phrases(self, table: dict[int, set[tuple[str, ...]]]) -> list[tuple[int, int]]:
        """(first, last) token spans of the phrases of `table`, longest first, not taken."""
        spans = []
        words = [t.text for t in self.tokens]
        used: set[int] = set()
        for length in sorted(table, reverse=True):
            for start in range(0, len(words) - length + 1):
                span = range(start, start + length)
                if any(i in used or i in self.taken for i in span):
                    continue
                if tuple(words[start:start + length]) in table[length]:
                    spans.append((start, start + length - 1))
                    used.update(span)
        return sorted(spans)

    def whole(self, table: dict[int, set[tuple[str, ...]]], extra: set[str] = frozenset()
              ) -> bool:
        """The message says only a phrase of `table` (besides filler, talk and `extra`)."""
        spans = self.find_phrases(table)
        if not spans:
            return False
        inside = {i for first, last in spans for i in range(first, last + 1)}
        for index, token in enumerate(self.tokens):
            if index in inside or token.kind == "sym":
                continue
            if token.text in FILLER or token.text in extra or self._is_talk_word(index):
                continue
            return False
        return True

    def _is_talk_word(self, index: int) -> bool:
        if self._talk is None:
            self._talk = {i for table in (_GREETING, _THANKS)
                          for first, last in self.find_phrases(table)
                          for i in range(first, last + 1)}
        return index in self._talk

    # -- kinds of message ------------------------------------------------------------

    def command(self, status: str) -> str | None:
        if len(self.tokens) > 40:
            return None
        if status == "confirming":
            if self.whole(_CONFIRM):
                return "confirm"
            if self.whole(_DECLINE):
                return "decline"
        if self.whole(_CANCEL, extra={"please", "thanks", "all", "that", "this", "whole",
                                      "thing", "booking", "calculation", "it", "ok"}):
            return "cancel"
        if status != "gathering" and self.whole(_RERUN, extra={"please", "it", "that"}):
            return "rerun"
        return None

    def reset_span(self) -> tuple[int, int] | None:
        """Where 'start over' (or the like) is said, if it is."""
        spans = self.find_phrases(_RESET)
        return spans[0] if spans else None

    def greeting(self) -> tuple[int, int] | None:
        spans = [s for s in self.find_phrases(_GREETING) if s[0] <= 1]
        return spans[0] if spans else None

    def thanks(self) -> list[tuple[int, int]]:
        return self.find_phrases(_THANKS)

    def waits(self) -> list[tuple[int, int]]:
        return self.find_phrases(_WAIT)

    @property
    def is_question(self) -> bool:
        stripped = self.lower.rstrip()
        if stripped.endswith("?"):
            return True
        words = self.words
        return bool(words) and words[0] in QUESTION_STARTS and len(words) > 1

    @property
    def proposes(self) -> bool:
        """'how about 10 years?', 'what if the rate was 5%', 'and for 2028?'"""
        return self._starts_with(_PROPOSING)

    @property
    def requests(self) -> bool:
        """'can i get a suite?', 'how many days from today to june 9?': asks for a result."""
        return self._starts_with(_REQUESTS)

    def _starts_with(self, table) -> bool:
        words = self.words
        for length, phrases in table.items():
            for start in range(0, min(3, len(words))):
                if tuple(words[start:start + length]) in phrases:
                    return True
        return False

    @property
    def corrects(self) -> bool:
        return bool(self.find_phrases(_CORRECTION))

    @property
    def asks_for_help(self) -> bool:
        words = set(self.words)
        return "help" in words or (self.is_question and bool(words & HELP_WORDS))
