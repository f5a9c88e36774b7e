"""The pieces every date form is made of: a date found in a message (`DateMention`), month
and weekday names (misspelt ones too), day and year numbers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rapidfuzz.distance import DamerauLevenshtein

from agentgate.extraction.lexicon import (MONTH_ABBREVIATIONS, MONTHS, ORDINALS,
                                          WEEKDAY_ABBREVIATIONS, WEEKDAYS)
from agentgate.extraction.numbers import Token

@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    text: str
    values: tuple[dt.date, ...]   # several when the form is ambiguous; empty when invalid
    relative: bool = False
    first_token: int = 0
    last_token: int = 0
    fuzzy: str | None = None      # a misspelt month read as this month name
    problem: str | None = None    # "30 February 2027 is not a date"
    yearless: bool = False        # a day and month with no year ("June 9th")

    @property
    def value(self) -> dt.date:
        return self.values[0]

    @property
    def ambiguous(self) -> bool:
        return len(self.values) > 1


def month_of(word: str, fuzzy: bool = True) -> tuple[int, bool] | None:
    """(month number, whether it was a fuzzy match) for a month name or abbreviation."""
    word = word.rstrip(".")
    if word in MONTHS:
        return MONTHS.index(word) + 1, False
    if word in MONTH_ABBREVIATIONS:
        return MONTH_ABBREVIATIONS[word], False
    if not fuzzy:
        return None
    if 3 <= len(word) < 5:  # "juen", "mya": two letters swapped
        for number, name in enumerate(MONTHS, 1):
            if len(name) == len(word) and sorted(name) == sorted(word) and \
                    DamerauLevenshtein.distance(word, name) == 1:
                return number, True
        return None
    best = None
    for number, name in enumerate(MONTHS, 1):
        limit = 1 if len(name) <= 5 else 2
        distance = DamerauLevenshtein.distance(word, name, score_cutoff=limit)
        if distance <= limit and (best is None or distance < best[1]):
            best = (number, distance)
    return (best[0], True) if best else None


def weekday_of(word: str) -> int | None:
    if word in WEEKDAYS:
        return WEEKDAYS.index(word)
    if word.endswith("s") and word[:-1] in WEEKDAYS:
        return WEEKDAYS.index(word[:-1])
    if word in WEEKDAY_ABBREVIATIONS:
        return WEEKDAY_ABBREVIATIONS[word]
    if len(word) >= 5:
        for index, name in enumerate(WEEKDAYS):
            if DamerauLevenshtein.distance(word, name, score_cutoff=2) <= 2:
                return index
    return None


def day_number(token: Token) -> int | None:
    if token.kind == "num" and token.text.isdigit() and 1 <= int(token.text) <= 31 and (
            not token.tail):
        return int(token.text)
    if token.kind == "word" and token.text in ORDINALS and ORDINALS[token.text] > 0:
        return ORDINALS[token.text]
    return None


def year_number(token: Token) -> int | None:
    if token.kind == "num" and token.text.isdigit() and not token.tail and not token.ordinal:
        if len(token.text) == 4 and 1800 <= int(token.text) <= 2300:
            return int(token.text)
    return None


def make_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def next_occurrence(today: dt.date, month: int, day: int) -> dt.date | None:
    for year in (today.year, today.year + 1, today.year + 2, today.year + 3, today.year + 4):
        found = make_date(year, month, day)
        if found is not None and found >= today:
            return found
    return None


RANGE_WORDS = {"to", "-", "–", "until", "till", "through", "thru", "and"}
