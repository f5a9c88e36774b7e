"""Dates said relative to today or to another date: "tomorrow", "next tuesday", "in 3
weeks", "christmas", "3 weeks before christmas", "the 10th to the 24th of october"."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import replace

from agentgate.extraction.lexicon import (HOLIDAYS, ONES, ORDINALS, TENS,
                                          WEEKDAY_ABBREVIATIONS, WEEKDAYS)
from agentgate.extraction.date_parts import (RANGE_WORDS, DateMention, day_number,
                                             make_date, month_of, weekday_of, year_number)
from agentgate.extraction.numbers import Token


class RelativeDates:
    """The relative forms `dates.DateReader` reads (it holds `today` and `past`)."""

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
            if start < 2 or tokens[start - 1].text not in RANGE_WORDS:
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
            date = make_date(mention.value.year, mention.value.month, day)
            if date is None or date > mention.value:
                continue
            last = first if replace_at is None else previous.last_token
            shared = self._span(lower, tokens, first, last, (date,), mention.relative,
                                yearless=mention.yearless)
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
        start = tokens[first].start
        return replace(mention, start=start, text=lower[start:mention.end], values=(date,),
                       first_token=first)

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
                    date = make_date(date.year - 1, date.month, date.day)
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
                year = year_number(tokens[last + 1]) if last + 1 < len(tokens) else None
                if year:
                    last += 1
                date = make_date(year, month, day) if year else self._yearless(month, day)
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
                (day_number(following[0]) and following[1].kind == "word"
                 and month_of(following[1].text)) or
                (following[0].kind == "word" and month_of(following[0].text)
                 and day_number(following[1]))):
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
