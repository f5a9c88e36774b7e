"""Finding the values in a message: dates, years, people, numbers with what surrounds them,
option words (misspelt ones too), talk, input names and aliases, and boolean inputs named
on their own ("with breakfast")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rapidfuzz.distance import DamerauLevenshtein

from agentgate.extraction.dates import DateMention, DateReader
from agentgate.extraction.evidence import (CONNECTORS, DURATION_CUES, FUTURE_CUES, Found,
                                           PAST_CUES, PEOPLE_PHRASES, REQUEST_VERBS,
                                           VALUE_NEGATIONS, WEAK_PAST_CUES, YEAR_PHRASES,
                                           convert, european_dots, looks_like_noun,
                                           refused_in_unit,
                                           phrases, span_text, stems)
from agentgate.extraction.lexicon import (FILLER, MEANING_CHANGERS, NEGATIONS, NO,
                                          UNIT_WORDS, YES)
from agentgate.extraction.message import Message
from agentgate.extraction.numbers import NumberMention, find_numbers
from agentgate.extraction.options import OptionMention


class MentionFinder:
    """A stage of `OfflineReader` (see `offline.py`): it uses the reader's profile and the
    state the reader keeps while it reads one message."""

    def _mentions(self, message: Message, today: dt.date) -> list[Found]:
        found: list[Found] = []
        profile = self.profile
        inputs = profile.inputs.values()
        if profile.has_dates:
            words = set(message.words)
            past = bool(words & PAST_CUES) or (bool(words & WEAK_PAST_CUES) and bool(
                words & DURATION_CUES) and not words & FUTURE_CUES)
            reader = DateReader(today, self.date_order, past=past)
            for date in reader.find(message.lower, message.tokens, message.taken):
                found.append(self._date_found(date))
                message.take(date.first_token, date.last_token)
        years = [p.name for p in inputs if p.kind == "year"]
        if years:
            for index, token in enumerate(message.tokens[:-1]):
                following = message.tokens[index + 1]
                if token.text in ("'", "’") and following.kind == "num" and len(
                        following.text) == 2 and following.text.isdigit() and \
                        following.start == token.end and message.free(index + 1):
                    found.append(Found("year", index, index + 1, "'" + following.text,
                                        list(years), (2000 + int(following.text),)))
                    message.take(index, index + 1)
            for (first, last), offset in phrases(message, YEAR_PHRASES):
                found.append(Found("year", first, last, span_text(message, first, last),
                                    list(years), (today.year + offset,), relative=True))
                message.take(first, last)
        people = [p.name for p in inputs if p.unit == "people"]
        if people:
            for (first, last), count in phrases(message, PEOPLE_PHRASES):
                found.append(Found("number", first, last, span_text(message, first, last),
                                    [], (count,), unit="people", unit_word="people"))
                message.take(first, last)
        for number in find_numbers(message.lower, message.tokens, message.taken):
            found.append(self._number_found(message, number))
            message.take(number.first_token, number.last_token)
        for matcher in (p.options for p in inputs if p.options is not None):
            for option in matcher.find(message.tokens, message.taken):
                found.append(self._option_found(option))
        for item in found:
            if item.kind == "option":
                message.take(item.first, item.last)
        found += self._fuzzy_options(message)
        european_dots(found)
        for item in found:
            if item.kind == "number":
                item.homes, unfit = self._number_homes(item)
                if not item.homes and item.unit is not None and len(unfit) == 1:
                    self._out_of_range(item, unfit[0])
        return sorted(found, key=lambda item: item.first)

    def _out_of_range(self, item: Found, name: str) -> None:
        """A number in a unit only one input takes, outside that input's range ("80 years"
        for a loan of at most 50): that input's refusal, with the reason."""
        profile = self.profile.inputs[name]
        factor = profile.takes_unit(item.unit)[1]
        reason = refused_in_unit(profile, item, factor) if factor is not None else None
        if reason is not None:
            item.homes, item.problem = [name], reason

    def _fuzzy_options(self, message: Message) -> list[Found]:
        """Misspelt options ('wensday', 'chiken'): a word no other reading explains that is
        one or two edits from exactly one option."""
        found = []
        matchers = [p.options for p in self.profile.inputs.values() if p.options is not None]
        if not matchers:
            return found
        for index, token in enumerate(message.tokens):
            if not message.free(index) or token.kind != "word" or len(token.text) < 3 or \
                    token.text in FILLER or token.text in self.profile.vocabulary:
                continue
            hits = {(m.input, m.fuzzy(token.text)) for m in matchers} - {
                (m.input, None) for m in matchers}
            if len(hits) == 1:
                name, option = hits.pop()
                item = Found("option", index, index, token.text, [name], (option,),
                              fuzzy=token.text)
                found.append(item)
                message.take(index, index)
        return found

    def _date_found(self, date: DateMention) -> Found:
        homes = [p.name for p in self.profile.inputs.values() if p.kind == "date"]
        item = Found("date", date.first_token, date.last_token, date.text, homes,
                      tuple(d.isoformat() for d in date.values), relative=date.relative,
                      fuzzy=date.fuzzy, problem=date.problem)
        item.extra["yearless"] = date.yearless
        return item

    def _number_found(self, message: Message, number: NumberMention) -> Found:
        unit = number.unit
        foreign = False
        before = [t.text for t in message.tokens[max(0, number.first_token - 2):
                                                 number.first_token]]
        if unit is None and (before[-1:] == ["we're"] or before == ["we", "are"]) and any(
                p.unit == "people" for p in self.profile.inputs.values()):
            unit = "people"
        following_free = message.free(number.last_token + 1)
        if number.next_word and not number.ordinal and unit not in ("clock",) and \
                following_free:
            word = number.next_word
            if word in MEANING_CHANGERS:
                foreign = True
            elif unit in (None, "currency") and word not in FILLER and \
                    word not in self.profile.vocabulary and word not in UNIT_WORDS and \
                    not any(word in alias for p in self.profile.inputs.values()
                            for alias in p.aliases):
                # "2 kids", "a $425,000 home": a count or price of something else; but "75
                # grand personal loan" still names the loan.
                following = message.tokens[number.last_token + 2:number.last_token + 3]
                foreign = looks_like_noun(word) and not (
                    following and following[0].text in self.profile.vocabulary)
        item = Found("number", number.first_token, number.last_token, number.text, [],
                      number.values, unit=unit, unit_word=number.unit_word, foreign=foreign)
        item.extra["fallback"] = number.fallback
        item.extra |= {"scaled": number.scaled, "money": number.money_scale,
                      "ordinal": number.ordinal, "calendar_year": number.calendar_year,
                      "vague": number.vague, "spelled": number.spelled}
        return item

    def _number_homes(self, item: Found) -> tuple[list[str], list[str]]:
        """(inputs the number can be for, inputs whose unit it has but whose range it misses)."""
        if item.extra.get("vague"):
            return [], []
        homes, unfit = [], []
        for profile in self.profile.inputs.values():
            if item.extra.get("ordinal"):
                if profile.options is not None and profile.options.ordinal and any(
                        v in profile.options.ordinal for v in item.readings):
                    homes.append(profile.name)
                continue
            if profile.kind == "year":
                if item.unit is None and not item.extra.get("scaled") and any(
                        isinstance(v, int) and profile.fits(v) for v in item.readings):
                    homes.append(profile.name)
                continue
            if item.extra.get("calendar_year"):
                continue
            takes, factor = profile.takes_unit(item.unit)
            if not takes:
                continue
            if item.extra.get("scaled") and profile.unit not in (None, "currency"):
                continue
            if item.extra.get("money") and profile.unit not in (None, "currency"):
                continue
            if factor is None or any(profile.fits(convert(v, factor))
                                     for v in item.readings):
                homes.append(profile.name)
            else:
                unfit.append(profile.name)
        return homes, unfit

    def _option_found(self, option: OptionMention) -> Found:
        return Found("option", option.first_token, option.last_token, option.text,
                      [option.input], (option.option,), fuzzy=None)

    def _talk(self, message: Message) -> dict[str, Any]:
        kind = None
        self._talky = False
        greeting = message.greeting()
        if greeting is not None:
            message.take(*greeting)
            kind = "greeting"
        for span in message.thanks():
            if all(message.tokens[i].kind == "word" for i in range(span[0], span[1] + 1)):
                message.take(*span)
                kind = kind or "thanks"
        for span in message.waits():
            message.take(*span)
            kind = "wait"
        self._talky = kind is not None
        return {"kind": kind}

    def _aliases(self, message: Message) -> list[tuple[int, int, set[str]]]:
        spans = []
        # Hyphens do not separate words here: "year-by-year" is "year by year".
        positions = [i for i, t in enumerate(message.tokens) if t.text != "-"]
        words = [message.tokens[i].text for i in positions]
        for length in range(self.profile.longest_alias, 0, -1):
            for offset in range(0, len(words) - length + 1):
                start, end = positions[offset], positions[offset + length - 1]
                span = range(start, end + 1)
                if any(not message.free(i) for i in span):
                    continue
                key = tuple(words[offset:offset + length])
                names = self.profile.alias_phrases.get(key)
                if names is None and length == 1:
                    for stem in stems(key[0]):
                        names = {n for n in self.profile.alias_phrases.get((stem,), ())
                                 if self.profile.inputs[n].kind != "date"} or None
                        if names:  # "rooms" names the room; "starts" is a verb
                            break
                if names:
                    spans.append((start, end, set(names)))
                    message.take(start, end)
        for index, token in enumerate(message.tokens):  # misspelt: "brekfast"
            if not message.free(index) or token.kind != "word" or len(token.text) < 5 or \
                    token.text in FILLER or token.text in self.profile.vocabulary:
                continue
            hits = set()
            for alias, names in self.profile.alias_phrases.items():
                if len(alias) == 1 and len(alias[0]) >= 5 and not token.text.startswith(
                        alias[0]):  # "starts" is a verb, not a slip for "start"
                    limit = 1 if len(alias[0]) < 8 else 2
                    if DamerauLevenshtein.distance(token.text, alias[0],
                                                   score_cutoff=limit) <= limit:
                        hits |= {n for n in names if self.profile.inputs[n].kind != "date"}
            if len(hits) == 1:
                spans.append((index, index, hits))
                message.take(index, index)
        return sorted(spans)

    def _toggles(self, message: Message, aliases, found) -> list[tuple[str, bool, str]]:
        """Boolean inputs named in the message: 'with breakfast' → yes, 'no schedule' → no."""
        toggles = []
        for first, last, names in aliases:
            booleans = [n for n in names if self.profile.inputs[n].kind == "boolean"]
            if len(booleans) != 1:
                continue
            before = [t.text for t in message.tokens[max(0, first - 5):first]]
            if "but" in before:
                before = before[len(before) - before[::-1].index("but"):]
            pairs = {" ".join(before[i:i + 2]) for i in range(len(before) - 1)}
            after = [t.text for t in message.tokens[last + 1:last + 3]]
            if after[:1] == [":"] and not set(after[1:2]) & (YES | NO):
                continue  # "Amortization: 30 yrs" labels another value
            negative = any(w in NEGATIONS or w in VALUE_NEGATIONS for w in before) or bool(
                pairs & NEGATIONS) or (after[:1] and after[0] in (
                    "no", "off", "false", "elsewhere", "outside")) or after[:2] == [
                "not", "needed"]
            asked_for = bool(set(before[-3:]) & REQUEST_VERBS) or {"how", "many"} <= set(
                message.words) or bool(set(after[:2]) & {"too", "also", "please", "pls",
                                                         "yes", "no", "as"})
            short = sum(1 for i, t in enumerate(message.tokens) if message.free(i) and
                        t.kind == "word" and t.text not in FILLER and
                        t.text not in self.profile.vocabulary) <= 1
            if not (asked_for or negative or short):
                continue  # "I'll check the breakdown with my bank": a mention, not an order
            toggles.append((booleans[0], not negative,
                            span_text(message, max(0, first - 1), last), asked_for))
            for index in range(max(0, first - 3), min(len(message.tokens), last + 3)):
                if message.tokens[index].text in NEGATIONS | {"with", "include", "add",
                                                             "show", "too", "also",
                                                             "please", "yes", "no", "off",
                                                             "on"}:
                    message.take(index, index)
        return toggles

    def _bind(self, message: Message, found: list[Found], aliases) -> None:
        """An alias right before a value (or right after it) names the value's input."""
        for first, last, names in aliases:
            target = None
            probe = last + 1
            while probe < len(message.tokens) and message.tokens[probe].text in CONNECTORS \
                    and probe - last <= 4:
                probe += 1
            target = next((f for f in found if last < f.first <= probe <= f.last
                           or f.first == probe), None)
            if target is None or not (set(target.homes) & names):
                target = next((f for f in found if f.last in (first - 1, first - 2)
                               and (f.last == first - 1 or message.tokens[first - 1].text
                                    in ("-", "of", "for", "a", "the"))), None)
            if target is None or target.bound is not None:
                continue
            homes = [n for n in target.homes if n in names]
            if len(homes) == 1:
                target.bound = homes[0]
                target.extra["alias_word"] = " ".join(
                    t.text for t in message.tokens[first:last + 1])

