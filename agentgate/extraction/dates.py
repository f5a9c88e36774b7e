"""Dates in a message: ISO and numeric dates, dates with month names (misspelt ones too),
relative dates ("next tuesday", "in 3 weeks", "tomorrow"), a day of the month ("the 20th"),
the end of a month and a few holidays.

A date without a year is its next occurrence from `today`. When a form has two readings
("5/6/2027": 5 June or 6 May; "next saturday" said on a Friday: tomorrow or in eight days)
both are kept, and the reader asks. Only called for workflows with date inputs.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from rapidfuzz.distance import DamerauLevenshtein

from agentgate.extraction.lexicon import (HOLIDAYS, MONTH_ABBREVIATIONS, MONTHS, ONES,
                                          ORDINALS, TENS, WEEKDAY_ABBREVIATIONS, WEEKDAYS)
from agentgate.extraction.numbers import Token

DATE_ORDERS = ("ask", "dmy", "mdy")


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


def _day_number(token: Token) -> int | None:
    if token.kind == "num" and token.text.isdigit() and 1 <= int(token.text) <= 31 and (
            not token.tail):
        return int(token.text)
    if token.kind == "word" and token.text in ORDINALS and ORDINALS[token.text] > 0:
        return ORDINALS[token.text]
    return None


def _year_number(token: Token) -> int | None:
    if token.kind == "num" and token.text.isdigit() and not token.tail and not token.ordinal:
        if len(token.text) == 4 and 1800 <= int(token.text) <= 2300:
            return int(token.text)
    return None


def _make(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _next_occurrence(today: dt.date, month: int, day: int) -> dt.date | None:
    for year in (today.year, today.year + 1, today.year + 2, today.year + 3, today.year + 4):
        found = _make(year, month, day)
        if found is not None and found >= today:
            return found
    return None


_ISO = re.compile(r"(?<![\d.,/-])(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?![\d/-]|\.\d)")
_NUMERIC = re.compile(r"(?<![\d.,/-])(\d{1,2})([/.-])(\d{1,2})(?:\2(\d{4}|\d{2}))?"
                      r"(?![\d/-]|\.\d|,\d)")


class DateReader:
    """Finds dates in one message, relative to `today`, reading d/m/y orders per `order`."""

    def __init__(self, today: dt.date, order: str = "ask", past: bool = False):
        """`past`: the message speaks of the past ("how many days ago"), so a day and month
        without a year is its last occurrence, not its next."""
        self.today, self.order, self.past = today, order, past
        self._context_month: tuple[int, int] | None = None

    def _yearless(self, month: int, day: int) -> dt.date | None:
        if not self.past:
            return _next_occurrence(self.today, month, day)
        for year in (self.today.year, self.today.year - 1, self.today.year - 2,
                     self.today.year - 3, self.today.year - 4):
            found = _make(year, month, day)
            if found is not None and found <= self.today:
                return found
        return None

    def find(self, lower: str, tokens: list[Token], taken: set[int]) -> list[DateMention]:
        self._context_month = _month_and_year(tokens)
        found: list[DateMention] = []
        used: set[int] = set(taken)
        for mention in self._numeric(lower, tokens) + self._worded(lower, tokens):
            span = set(range(mention.first_token, mention.last_token + 1))
            if span & used:
                continue
            used |= span
            found.append(mention)
        found = [self._offset_before(lower, tokens, m, used) for m in found]
        found = self._shared_month(lower, tokens, sorted(found, key=lambda m: m.start), used)
        return _in_order(_share_years(sorted(found, key=lambda mention: mention.start)),
                         tokens)

    def _shared_month(self, lower: str, tokens: list[Token], found: list[DateMention],
                      used: set[int]) -> list[DateMention]:
        """'from the 10th to the 24th of october', 'from 10 to 24 october': the first day
        is in the month (and year) of the second."""
        result = list(found)
        for index, mention in enumerate(found):
            if len(mention.values) != 1 or "-" in mention.text or "/" in mention.text or \
                    not any(month_of(w, fuzzy=False) or month_of(w) for w in
                            mention.text.replace(",", " ").split()):
                continue
            start = mention.first_token
            if start < 2 or tokens[start - 1].text not in _RANGE_WORDS:
                continue
            day_token = tokens[start - 2]
            previous = result[index - 1] if index > 0 else None
            if previous is not None and previous.last_token == start - 2 and \
                    previous.text.startswith("the ") and len(previous.values) == 1:
                day, first = previous.value.day, previous.first_token
                replace_at = index - 1
            elif day_token.kind == "num" and day_token.text.isdigit() and not day_token.tail \
                    and 1 <= int(day_token.text) <= 31 and (start - 2) not in used:
                day, first, replace_at = int(day_token.text), start - 2, None
            else:
                continue
            date = _make(mention.value.year, mention.value.month, day)
            if date is None or date > mention.value:
                continue
            last = first if replace_at is None else previous.last_token
            shared = DateMention(tokens[first].start, tokens[last].end,
                                 lower[tokens[first].start:tokens[last].end], (date,),
                                 mention.relative, first, last, None, None, mention.yearless)
            if replace_at is None:
                used.add(first)
                result.append(shared)
            else:
                result[replace_at] = shared
        return sorted(result, key=lambda m: m.start)

    def _offset_before(self, lower: str, tokens: list[Token], mention: DateMention,
                       used: set[int]) -> DateMention:
        """'3 weeks before christmas', 'the day after new year', 'a week from monday'."""
        index = mention.first_token
        if index < 2 or len(mention.values) != 1:
            return mention
        direction = {"before": -1, "after": 1, "from": 1}.get(tokens[index - 1].text)
        unit = {"day": 1, "days": 1, "week": 7, "weeks": 7, "fortnight": 14}.get(
            tokens[index - 2].text)
        if direction is None or unit is None:
            return mention
        if any(t.text in ("for", "stay", "staying", "spend") for t in
               tokens[max(0, index - 5):index - 2]):
            return mention  # "for a fortnight from the 1st of may": a stay, then its start
        count, first = 1, index - 2
        if index >= 3:
            previous = tokens[index - 3]
            if previous.kind == "num" and previous.text.isdigit() and len(previous.text) <= 3:
                count, first = int(previous.text), index - 3
            elif previous.text in ONES and ONES[previous.text]:
                count, first = ONES[previous.text], index - 3
            elif previous.text in ("a", "an", "the", "one"):
                first = index - 3
        if tokens[index - 1].text == "from" and count == 1 and unit == 1:
            return mention  # "the day from ..." is not an offset
        date = mention.value + dt.timedelta(days=direction * count * unit)
        used.update(range(first, index))
        return DateMention(tokens[first].start, mention.end, lower[tokens[first].start:
                                                                   mention.end], (date,),
                           mention.relative, first, mention.last_token, mention.fuzzy,
                           mention.problem, mention.yearless)

    # -- numeric forms ---------------------------------------------------------------

    def _numeric(self, lower: str, tokens: list[Token]) -> list[DateMention]:
        found = []
        for match in _ISO.finditer(lower):
            year, month, day = int(match.group(1)), int(match.group(3)), int(match.group(4))
            date = _make(year, month, day)
            found.append(self._mention(lower, tokens, match.start(), match.end(),
                                       (date,) if date else (), problem=None if date else
                                       f"{match.group(0)} is not a date"))
        matches = [m for m in _NUMERIC.finditer(lower)
                   if m.group(2) == "/" or m.group(4) is not None]  # "6.5", "5-6": numbers
        order = self.order if self.order != "ask" else _order_said(lower, matches)
        for match in matches:
            year_text = match.group(4)
            first, second = int(match.group(1)), int(match.group(3))
            readings = []
            orders = {"dmy": [(second, first)], "mdy": [(first, second)],
                      "ask": [(second, first), (first, second)]}[order]
            if order == "ask" and match.group(2) == ".":
                orders = [(second, first)]  # 14.03.2026: dotted dates put the day first
            if first > 12 or second > 12:
                orders = [(m, d) for m, d in ((second, first), (first, second)) if m <= 12]
            for month, day in orders:
                date = self._with_year(month, day, year_text)
                if date is not None and date not in readings:
                    readings.append(date)
            problem = None if readings else f"{match.group(0)} is not a date"
            found.append(self._mention(lower, tokens, match.start(), match.end(),
                                       tuple(readings), relative=year_text is None,
                                       problem=problem, yearless=year_text is None))
        return found

    def _with_year(self, month: int, day: int, year_text: str | None) -> dt.date | None:
        if year_text is None:
            return self._yearless(month, day)
        year = int(year_text)
        if len(year_text) == 2:
            year += 2000
        return _make(year, month, day)

    def _mention(self, lower: str, tokens: list[Token], start: int, end: int,
                 values: tuple, relative: bool = False, problem: str | None = None,
                 fuzzy: str | None = None, yearless: bool = False) -> DateMention:
        inside = [i for i, t in enumerate(tokens) if t.start >= start and t.end <= end]
        if not inside:
            inside = [i for i, t in enumerate(tokens) if t.start < end and t.end > start]
        return DateMention(start, end, lower[start:end], values, relative, inside[0],
                           inside[-1], fuzzy, problem, yearless)

    # -- forms with words ------------------------------------------------------------

    def _worded(self, lower: str, tokens: list[Token]) -> list[DateMention]:
        found = []
        index = 0
        while index < len(tokens):
            mention = (self._month_form(lower, tokens, index)
                       or self._relative(lower, tokens, index))
            if mention is not None:
                found.append(mention)
                index = mention.last_token + 1
            else:
                index += 1
        return found

    def _span(self, lower: str, tokens: list[Token], first: int, last: int, values: tuple,
              relative: bool = False, fuzzy: str | None = None,
              problem: str | None = None, yearless: bool = False) -> DateMention:
        start, end = tokens[first].start, tokens[last].end
        return DateMention(start, end, lower[start:end], values, relative, first, last, fuzzy,
                           problem, yearless)

    def _month_form(self, lower: str, tokens: list[Token], index: int) -> DateMention | None:
        """'[weekday] [the] 1st [of] May [2027]', 'May [the] 1st[,] [2027]', 'end of May'."""
        token = tokens[index]
        day = _day_number(token) if token.kind == "num" or token.text in ORDINALS else None
        if token.kind == "num" and not token.ordinal and token.tail:
            return None
        if day is not None:
            probe = index + 1
            if probe < len(tokens) and tokens[probe].text == "of":
                probe += 1
            month = month_of(tokens[probe].text) if probe < len(tokens) and tokens[
                probe].kind == "word" else None
            if month is None:
                return self._day_only(lower, tokens, index, day)
            return self._finish(lower, tokens, self._back(tokens, index), probe, month, day)
        if token.kind != "word":
            return None
        month = month_of(token.text)
        if month is None:
            return None
        probe = index + 1
        if probe < len(tokens) and tokens[probe].text == "." and token.text in (
                MONTH_ABBREVIATIONS):
            probe += 1  # "Sept. 1st"
        if probe < len(tokens) and tokens[probe].text == "the":
            probe += 1
        if probe < len(tokens):
            day = _day_number(tokens[probe])
            if day is not None and tokens[probe].kind == "num" and tokens[probe].tail:
                day = None
            if day is not None and not (probe + 1 < len(tokens) and tokens[probe + 1].text in (
                    ":",)) and _year_number(tokens[probe]) is None:
                return self._finish(lower, tokens, self._back(tokens, index), probe, month,
                                    day, month_first=True)
        # A month with no day: "end of January 2027", "beginning of March".
        before = [t.text for t in tokens[max(0, index - 3):index]]
        if "end" in before or "start" in before or "beginning" in before:
            first = index - 1 - before[::-1].index("end" if "end" in before else (
                "start" if "start" in before else "beginning"))
            year_token = tokens[index + 1] if index + 1 < len(tokens) else None
            year = _year_number(year_token) if year_token else None
            last = index + (1 if year else 0)
            if "end" in before:
                day = calendar.monthrange(year or self.today.year, month[0])[1]
            else:
                day = 1
            date = _make(year, month[0], day) if year else self._yearless(month[0], day)
            if date is None:
                return None
            if first > 0 and tokens[first - 1].text == "the":
                first -= 1
            return self._span(lower, tokens, first, last, (date,), relative=year is None,
                              fuzzy=MONTHS[month[0] - 1] if month[1] else None)
        return None

    def _back(self, tokens: list[Token], index: int) -> int:
        """Include a leading 'the' and a weekday before the date."""
        first = index
        if first > 0 and tokens[first - 1].text == "the":
            first -= 1
        if first > 0 and tokens[first - 1].text == ",":
            if first > 1 and weekday_of(tokens[first - 2].text) is not None:
                return first - 2
        if first > 0 and weekday_of(tokens[first - 1].text) is not None and \
                tokens[first - 1].kind == "word":
            first -= 1
        return first

    def _finish(self, lower: str, tokens: list[Token], first: int, last: int,
                month: tuple[int, bool], day: int, month_first: bool = False
                ) -> DateMention | None:
        probe = last + 1
        if probe < len(tokens) and tokens[probe].text == ",":
            probe += 1
        year = _year_number(tokens[probe]) if probe < len(tokens) else None
        if year is None and [t.text for t in tokens[probe:probe + 2]] in (
                ["next", "year"], ["this", "year"]):
            year = self.today.year + (1 if tokens[probe].text == "next" else 0)
            probe += 1  # "the 14th of April next year"
        if year is None and probe + 1 < len(tokens) and tokens[probe].text in ("'", "’") and \
                tokens[probe + 1].kind == "num" and len(tokens[probe + 1].text) == 2 and \
                tokens[probe + 1].start == tokens[probe].end:
            year, probe = 2000 + int(tokens[probe + 1].text), probe + 1  # "June 9 '27"
        if year is not None:
            last = probe
            date = _make(year, month[0], day)
        else:
            date = self._yearless(month[0], day)
        fuzzy = MONTHS[month[0] - 1] if month[1] else None
        if date is None:
            name = MONTHS[month[0] - 1].capitalize()
            return self._span(lower, tokens, first, last, (), problem=f"{day} {name}"
                              f"{' ' + str(year) if year else ''} is not a date", fuzzy=fuzzy)
        return self._span(lower, tokens, first, last, (date,), relative=year is None,
                          fuzzy=fuzzy, yearless=year is None)

    def _day_only(self, lower: str, tokens: list[Token], index: int, day: int
                  ) -> DateMention | None:
        """'the 20th', 'Sat 12th', 'friday the 13th': the next such day of a month (the
        last one, when the message speaks of the past), or a day of the month a message
        names elsewhere ("june 2027, the 3rd")."""
        token = tokens[index]
        if not token.ordinal:
            return None  # "the third is a baby": a word ordinal alone is not a date
        first = index
        if index > 0 and tokens[index - 1].text == "the":
            first = index - 1
        weekday = None
        if first > 0 and tokens[first - 1].kind == "word":
            weekday = weekday_of(tokens[first - 1].text)
            if weekday is not None:
                first -= 1
        if first == index:
            return None  # "12th" on its own: an ordinal, not a date
        if index + 1 < len(tokens) and tokens[index + 1].kind == "word" and (
                weekday_of(tokens[index + 1].text) is not None or tokens[index + 1].text in (
                "one", "time", "week", "weekend", "day", "night", "nights", "option")):
            return None
        if self._context_month is not None and weekday is None:
            year, month = self._context_month
            date = _make(year, month, day)
            return self._span(lower, tokens, first, index, (date,) if date else (),
                              problem=None if date else f"{day} {MONTHS[month - 1]} is not "
                              "a date")
        step = -1 if self.past else 1
        year, month = self.today.year, self.today.month
        for _ in range(60):
            date = _make(year, month, day)
            if date is not None and (date <= self.today if self.past else date >= self.today) \
                    and (weekday is None or date.weekday() == weekday):
                return self._span(lower, tokens, first, index, (date,), relative=True,
                                  yearless=True)
            month += step
            if month in (0, 13):
                year, month = year + step, 12 if month == 0 else 1
        return None

    def _relative(self, lower: str, tokens: list[Token], index: int) -> DateMention | None:
        words = [t.text + t.tail if t.kind == "num" and t.tail else t.text
                 for t in tokens[index:index + 6]]  # "2moro" is one word
        today = self.today
        simple = {"today": 0, "tonight": 0, "tomorrow": 1, "tmrw": 1, "tmr": 1,
                  "tomorow": 1, "tommorow": 1, "tommorrow": 1, "2moro": 1, "2morrow": 1,
                  "2morow": 1, "tmoro": 1, "tomoz": 1, "2day": 0, "yesterday": -1,
                  "yday": -1}
        phrases = [(["the", "day", "after", "tomorrow"], 2), (["day", "after", "tomorrow"], 2),
                   (["the", "day", "before", "yesterday"], -2),
                   (["day", "before", "yesterday"], -2)]
        for phrase, days in phrases:
            if words[:len(phrase)] == phrase:
                return self._span(lower, tokens, index, index + len(phrase) - 1,
                                  (today + dt.timedelta(days=days),), relative=True)
        if words[0] in simple:
            return self._span(lower, tokens, index, index, (today + dt.timedelta(
                days=simple[words[0]]),), relative=True)
        holiday = self._holiday(lower, tokens, index, words)
        if holiday is not None:
            return holiday
        offset = self._offset(words)
        if offset is not None:
            length, date = offset
            return self._span(lower, tokens, index, index + length - 1, (date,), relative=True)
        return self._weekday(lower, tokens, index, words)

    def _holiday(self, lower, tokens, index, words) -> DateMention | None:
        if words[0] in ("last", "this", "next") and len(words) > 1:
            found = self._holiday(lower, tokens, index + 1, words[1:])
            if found is None or not found.relative or words[0] == "this":
                return found if found is None else self._span(
                    lower, tokens, index, found.last_token, found.values, found.relative)
            date = found.value
            if words[0] == "last":
                while date >= self.today:
                    date = _make(date.year - 1, date.month, date.day)
            return self._span(lower, tokens, index, found.last_token, (date,), relative=True)
        for length in (3, 2, 1):
            if len(words) < length:
                continue
            phrase = " ".join(words[:length])
            if phrase in HOLIDAYS:
                month, day = HOLIDAYS[phrase]
                last = index + length - 1
                if last + 1 < len(tokens) and tokens[last + 1].text == "day" and length == 1:
                    last += 1
                year = _year_number(tokens[last + 1]) if last + 1 < len(tokens) else None
                if year:
                    last += 1
                date = _make(year, month, day) if year else self._yearless(month, day)
                return self._span(lower, tokens, index, last, (date,), relative=year is None,
                                  yearless=year is None)
        return None

    def _offset(self, words: list[str]) -> tuple[int, dt.date] | None:
        """'in 3 days', 'in a week', '10 days from now', 'a fortnight from today'."""
        count, length = None, 0
        start = 1 if words and words[0] == "in" else 0
        if len(words) <= start:
            return None
        first = words[start]
        if first.isdigit() and len(first) <= 3:
            count, length = int(first), start + 1
        elif first in ONES or first in TENS:
            count, length = (ONES.get(first) or TENS.get(first)), start + 1
        elif first in ("a", "an", "one"):
            count, length = 1, start + 1
        if count is None or length >= len(words):
            return None
        unit = words[length]
        sizes = {"day": 1, "days": 1, "week": 7, "weeks": 7, "fortnight": 14,
                 "fortnights": 14, "month": "m", "months": "m", "year": "y", "years": "y"}
        if unit not in sizes:
            return None
        length += 1
        tail = words[length:length + 2]
        if start == 0:
            if tail[:2] in (["from", "now"], ["from", "today"]):
                length += 2
            elif tail[:1] == ["time"]:
                length += 1
            else:
                return None
        size = sizes[unit]
        today = self.today
        if size == "m" or size == "y":
            months = count * (12 if size == "y" else 1)
            month_index = today.month - 1 + months
            year, month = today.year + month_index // 12, month_index % 12 + 1
            day = min(today.day, calendar.monthrange(year, month)[1])
            return length, dt.date(year, month, day)
        return length, today + dt.timedelta(days=count * size)

    def _weekday(self, lower, tokens, index, words) -> DateMention | None:
        """'next tuesday', 'this friday', 'on monday', 'tuesday next week'."""
        modifier = None
        first = index
        if words[0] in ("next", "this", "coming", "last", "on") and len(words) > 1:
            modifier, day_word = words[0], words[1]
            if words[:2] == ["this", "coming"] and len(words) > 2:
                modifier, day_word = "coming", words[2]
        else:
            day_word = words[0]
        weekday = weekday_of(day_word) if day_word.isalpha() else None
        if weekday is None or (day_word not in WEEKDAYS and day_word not in
                               WEEKDAY_ABBREVIATIONS and len(day_word) < 5):
            return None
        if day_word.endswith("s") and day_word[:-1] in WEEKDAYS:
            return None  # "mondays" is a habit, not a date
        if index > 0 and (tokens[index - 1].text in ORDINALS or tokens[index - 1].ordinal):
            return None  # "the second monday" is a recurrence, not a date
        if modifier is None and index > 0 and tokens[index - 1].text == "the":
            return None  # "the friday after that": which one is not said
        following = tokens[index + 1:index + 5]
        following = [t for t in following if t.text not in (",", "the", "of")]
        if len(following) >= 2 and (
                (_day_number(following[0]) and following[1].kind == "word"
                 and month_of(following[1].text)) or
                (following[0].kind == "word" and month_of(following[0].text)
                 and _day_number(following[1]))):
            return None  # "friday 11 december": the date that follows says it
        last = index + (0 if modifier is None else (2 if words[:2] == ["this", "coming"] else 1))
        rest = [t.text for t in tokens[last + 1:last + 3]]
        today = self.today
        ahead = (weekday - today.weekday()) % 7
        upcoming = today + dt.timedelta(days=ahead)
        if rest == ["next", "week"] or rest[:2] == ["after", "next"]:
            week_start = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=7)
            date = week_start + dt.timedelta(days=weekday)
            if rest[:2] == ["after", "next"]:
                date += dt.timedelta(days=7)
            return self._span(lower, tokens, first, last + 2, (date,), relative=True)
        if modifier == "last" or (self.past and modifier in (None, "on") and ahead != 0):
            # "last monday", or "I started on Monday" in a message about the past
            behind = (today.weekday() - weekday) % 7 or 7
            return self._span(lower, tokens, first, last, (today - dt.timedelta(days=behind),),
                              relative=True)
        if modifier == "next":
            if ahead == 0:
                return self._span(lower, tokens, first, last,
                                  (today + dt.timedelta(days=7),), relative=True)
            if weekday > today.weekday():
                # Later this week: "next saturday" may mean it, or the one a week later.
                return self._span(lower, tokens, first, last,
                                  (upcoming, upcoming + dt.timedelta(days=7)), relative=True)
            return self._span(lower, tokens, first, last, (upcoming,), relative=True)
        if ahead == 0 and modifier in (None, "on"):
            # "friday", said on a Friday: today, or a week today?
            return self._span(lower, tokens, first, last,
                              (upcoming, upcoming + dt.timedelta(days=7)), relative=True)
        return self._span(lower, tokens, first, last, (upcoming,), relative=True)


def _share_years(mentions: list[DateMention]) -> list[DateMention]:
    """'from June 1 to June 9 2028': a date without a year takes the year of the dated one
    that follows it (the year before, if that would put it after)."""
    shared = list(mentions)
    for index in range(len(shared) - 1):
        current, following = shared[index], shared[index + 1]
        if not current.relative or following.relative or len(current.values) != 1 or \
                len(following.values) != 1 or current.text[:1].isdigit() is False and \
                month_of(current.text.split()[0], fuzzy=False) is None and \
                not any(month_of(word, fuzzy=False) for word in current.text.split()):
            continue
        anchor = following.value
        date = _make(anchor.year, current.value.month, current.value.day)
        if date is not None and date > anchor:
            date = _make(anchor.year - 1, current.value.month, current.value.day)
        if date is not None:
            shared[index] = DateMention(current.start, current.end, current.text, (date,),
                                        False, current.first_token, current.last_token,
                                        current.fuzzy, current.problem)
    return shared


def _order_said(lower: str, matches: list[re.Match]) -> str:
    """The day/month order a message shows: a date only one order can read ('12/25/2026'),
    or words like 'US format'; 'ask' when nothing tells."""
    if re.search(r"\b(?:us|american|month first|mm/dd)\b", lower):
        return "mdy"
    if re.search(r"\b(?:uk|european|day first|dd/mm)\b", lower):
        return "dmy"
    orders = set()
    for match in matches:
        first, second = int(match.group(1)), int(match.group(3))
        if first > 12 >= second:
            orders.add("dmy")
        elif second > 12 >= first:
            orders.add("mdy")
    return orders.pop() if len(orders) == 1 else "ask"


def _month_and_year(tokens: list[Token]) -> tuple[int, int] | None:
    """A month named with a year and no day ('in march 2027'): the month a bare day of the
    month in the same message belongs to."""
    for index, token in enumerate(tokens[:-1]):
        if token.kind != "word":
            continue
        month = month_of(token.text, fuzzy=False)
        year = _year_number(tokens[index + 1])
        if month and year and not (index > 0 and _day_number(tokens[index - 1])):
            return year, month[0]
    return None


_RANGE_WORDS = {"to", "-", "–", "until", "till", "through", "thru", "and"}


def _in_order(mentions: list[DateMention], tokens: list[Token] | None = None
              ) -> list[DateMention]:
    """Two dates of a range read without a year keep their order: 'from halloween to
    christmas' ends the christmas after that halloween; 'left on the 3rd of november and
    came back yesterday' left in the november before."""
    ordered = list(mentions)
    for index in range(len(ordered) - 1):
        first, second = ordered[index], ordered[index + 1]
        if len(first.values) != 1 or len(second.values) != 1 or first.value <= second.value:
            continue
        between = {t.text for t in (tokens or [])[first.last_token + 1:second.first_token]}
        if tokens is not None and not (between and between <= _RANGE_WORDS | {
                "and", "came", "back", "returned", "got", "the", "then", ","}):
            continue  # not one range: "due on the 14th of april ... from today"
        if second.yearless:
            moved = _make(second.value.year + 1, second.value.month, second.value.day)
            if moved is not None and moved >= first.value:
                ordered[index + 1] = DateMention(
                    second.start, second.end, second.text, (moved,), second.relative,
                    second.first_token, second.last_token, second.fuzzy, second.problem,
                    second.yearless)
                continue
        if first.yearless:
            moved = _make(first.value.year - 1, first.value.month, first.value.day)
            if moved is not None and moved <= second.value:
                ordered[index] = DateMention(
                    first.start, first.end, first.text, (moved,), first.relative,
                    first.first_token, first.last_token, first.fuzzy, first.problem,
                    first.yearless)
    return ordered
