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
from dataclasses import replace

from agentgate.extraction.lexicon import MONTH_ABBREVIATIONS, MONTHS, ORDINALS
from agentgate.extraction.date_parts import (RANGE_WORDS, DateMention, day_number,
                                             make_date, month_of, next_occurrence,
                                             weekday_of, year_number)
from agentgate.extraction.numbers import Token
from agentgate.extraction.relative_dates import RelativeDates

DATE_ORDERS = ("ask", "dmy", "mdy")


_ISO = re.compile(r"(?<![\d.,/-])(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?![\d/-]|\.\d)")
_NUMERIC = re.compile(r"(?<![\d.,/-])(\d{1,2})([/.-])(\d{1,2})(?:\2(\d{4}|\d{2}))?"
                      r"(?![\d/-]|\.\d|,\d)")


class DateReader(RelativeDates):
    """Finds dates in one message, relative to `today`, reading d/m/y orders per `order`."""

    def __init__(self, today: dt.date, order: str = "ask", past: bool = False):
        """`past`: the message speaks of the past ("how many days ago"), so a day and month
        without a year is its last occurrence, not its next."""
        self.today, self.order, self.past = today, order, past
        self._context_month: tuple[int, int] | None = None

    def _yearless(self, month: int, day: int) -> dt.date | None:
        if not self.past:
            return next_occurrence(self.today, month, day)
        for year in (self.today.year, self.today.year - 1, self.today.year - 2,
                     self.today.year - 3, self.today.year - 4):
            found = make_date(year, month, day)
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

    # -- numeric forms ---------------------------------------------------------------

    def _numeric(self, lower: str, tokens: list[Token]) -> list[DateMention]:
        found = []
        for match in _ISO.finditer(lower):
            year, month, day = int(match.group(1)), int(match.group(3)), int(match.group(4))
            date = make_date(year, month, day)
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
        return make_date(year, month, day)

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
        day = day_number(token) if token.kind == "num" or token.text in ORDINALS else None
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
            day = day_number(tokens[probe])
            if day is not None and tokens[probe].kind == "num" and tokens[probe].tail:
                day = None
            if day is not None and not (probe + 1 < len(tokens) and tokens[probe + 1].text in (
                    ":",)) and year_number(tokens[probe]) is None:
                return self._finish(lower, tokens, self._back(tokens, index), probe, month,
                                    day, month_first=True)
        # A month with no day: "end of January 2027", "beginning of March".
        before = [t.text for t in tokens[max(0, index - 3):index]]
        if "end" in before or "start" in before or "beginning" in before:
            first = index - 1 - before[::-1].index("end" if "end" in before else (
                "start" if "start" in before else "beginning"))
            year_token = tokens[index + 1] if index + 1 < len(tokens) else None
            year = year_number(year_token) if year_token else None
            last = index + (1 if year else 0)
            if "end" in before:
                day = calendar.monthrange(year or self.today.year, month[0])[1]
            else:
                day = 1
            date = make_date(year, month[0], day) if year else self._yearless(month[0], day)
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
        year = year_number(tokens[probe]) if probe < len(tokens) else None
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
            date = make_date(year, month[0], day)
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
            date = make_date(year, month, day)
            return self._span(lower, tokens, first, index, (date,) if date else (),
                              problem=None if date else f"{day} {MONTHS[month - 1]} is not "
                              "a date")
        step = -1 if self.past else 1
        year, month = self.today.year, self.today.month
        for _ in range(60):
            date = make_date(year, month, day)
            if date is not None and (date <= self.today if self.past else date >= self.today) \
                    and (weekday is None or date.weekday() == weekday):
                return self._span(lower, tokens, first, index, (date,), relative=True,
                                  yearless=True)
            month += step
            if month in (0, 13):
                year, month = year + step, 12 if month == 0 else 1
        return None


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
        date = make_date(anchor.year, current.value.month, current.value.day)
        if date is not None and date > anchor:
            date = make_date(anchor.year - 1, current.value.month, current.value.day)
        if date is not None:
            shared[index] = replace(current, values=(date,), relative=False, yearless=False)
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
        year = year_number(tokens[index + 1])
        if month and year and not (index > 0 and day_number(tokens[index - 1])):
            return year, month[0]
    return None


def _in_order(mentions: list[DateMention], tokens: list[Token]) -> list[DateMention]:
    """Two dates of a range read without a year keep their order: 'from halloween to
    christmas' ends the christmas after that halloween; 'left on the 3rd of november and
    came back yesterday' left in the november before."""
    ordered = list(mentions)
    for index in range(len(ordered) - 1):
        first, second = ordered[index], ordered[index + 1]
        if len(first.values) != 1 or len(second.values) != 1 or first.value <= second.value:
            continue
        between = {t.text for t in tokens[first.last_token + 1:second.first_token]}
        if not (between and between <= RANGE_WORDS | {
                "and", "came", "back", "returned", "got", "the", "then", ","}):
            continue  # not one range: "due on the 14th of april ... from today"
        if second.yearless:
            moved = make_date(second.value.year + 1, second.value.month, second.value.day)
            if moved is not None and moved >= first.value:
                ordered[index + 1] = replace(second, values=(moved,))
                continue
        if first.yearless:
            moved = make_date(first.value.year - 1, first.value.month, first.value.day)
            if moved is not None and moved <= second.value:
                ordered[index] = replace(first, values=(moved,))
    return ordered
