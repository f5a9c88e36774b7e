"""The offline reader: finds every mention in a message and gives each to an input by
evidence, without any LLM.

Evidence, strongest first: an explicit name (`rate: 4`), an alias next to the value ("the
rate is 4"), a unit or kind that fits one input only ("15 years", "6.5%", a date, an
option word), and last, answering the question that was asked. A value whose unit
contradicts the asked input is never taken for it. When a value has two plausible readings,
or several values have no single clear home, the reading says so and the user is asked.
It is deterministic, so replaying a chat's user messages rebuilds the same state.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from rapidfuzz.distance import DamerauLevenshtein

from agentgate.conversation.state import Pending, State
from agentgate.extraction.dates import DateMention, DateReader, month_of
from agentgate.extraction.lexicon import (FILLER, MEANING_CHANGERS, NEGATIONS, NO, ORDINALS,
                                          UNIT_WORDS, YES)
from agentgate.extraction.message import Message
from agentgate.extraction.numbers import NumberMention, find_numbers, tidy
from agentgate.extraction.options import OptionMention
from agentgate.extraction.profile import InputProfile, WorkflowProfile
from agentgate.extraction.reading import Choice, Proposal, Reading, Refusal, Unplaced
from agentgate.workflow.values import InvalidValue, shown

# Characters of a message the reader looks at: answers are short, and this bounds the work
# one message can cause (a longer one still reaches the internal LLM, up to its own limit).
READ_LIMIT = 2_000
# Words allowed between an alias and its value: "the rate is about 4".
_CONNECTORS = {"is", "of", "at", "to", "=", ":", "be", "should", "will", "would", "was",
               "around", "about", "approx", "approximately", "roughly", "maybe", "set",
               "the", "a", "an", "for", "just", "exactly", "it", "it's", "its", "on", "like",
               "change", "make", "'s", "s", "-", "needs", "need", "must", "amount", "only",
               "say", "are", "were", "we're", "i'm", "in", "by", "with", "me", "my", "our",
               "us", "totally", "total", "altogether", "nearly", "almost", "max", "min",
               "over", "under", "from", "until", "till", "starting", "ending", "than"}
# Words before an option that ask for it even in a question: "can I see the breakdown?"
_REQUEST_VERBS = {"see", "show", "get", "add", "include", "including", "count", "with",
                  "without", "want", "also", "plus", "and", "no", "skip", "drop", "remove",
                  "exclude", "excluding", "counting", "display", "give", "need", "like",
                  "wants", "needs", "turn", "switch", "put", "print", "list", "incl", "inc",
                  "only"}
_SELF_CORRECTION = {"no", "wait", "sorry", "i", "mean", "meant", "actually", "or", "rather",
                    "correction", "oops", "scratch", "that", "make", "it", "not", "uh", "um",
                    "erm", "hmm"}
_PAST_CUES = {"ago", "since", "born", "been", "passed", "elapsed", "old", "did", "came",
              "went"}
_WEAK_PAST_CUES = {"started", "began", "was", "were", "got", "had", "survived", "along",
                   "far", "lasted"}
_FUTURE_CUES = {"until", "till", "til", "left", "away", "countdown", "will", "next",
                "coming", "before", "due", "go", "remaining", "upcoming"}
_DURATION_CUES = {"ago", "old", "been", "left", "away", "countdown", "how", "elapsed",
                  "passed", "remaining"}
_PEOPLE_PHRASES = {("just", "me"): 1, ("only", "me"): 1, ("myself",): 1, ("me", "alone"): 1,
                   ("on", "my", "own"): 1, ("solo",): 1, ("alone",): 1, ("just", "myself"): 1,
                   ("the", "two", "of", "us"): 2, ("both", "of", "us"): 2,
                   ("my", "wife", "and", "i"): 2, ("my", "husband", "and", "i"): 2,
                   ("my", "partner", "and", "i"): 2, ("me", "and", "my", "wife"): 2,
                   ("me", "and", "my", "husband"): 2, ("me", "and", "my", "partner"): 2,
                   ("the", "three", "of", "us"): 3, ("the", "four", "of", "us"): 4}
_YEAR_PHRASES = {("this", "year"): 0, ("next", "year"): 1, ("last", "year"): -1,
                 ("the", "year", "after", "next"): 2, ("year", "after", "next"): 2,
                 ("current", "year"): 0, ("the", "following", "year"): 1}


@dataclass
class _Found:
    """A value seen in the message, and the inputs it could be for."""

    kind: str                         # number, date, option, bool, year
    first: int
    last: int
    text: str
    homes: list[str]
    readings: tuple[Any, ...] = ()    # candidate raw values (numbers, dates, options)
    unit: str | None = None
    unit_word: str | None = None
    relative: bool = False
    fuzzy: str | None = None
    bound: str | None = None          # input named by an alias next to it
    evidence: str | None = None
    foreign: bool = False             # a count of something no input is about
    strong: bool = True
    problem: str | None = None
    extra: dict = field(default_factory=dict)


class OfflineReader:
    """Reads messages for one workflow version; cheap to make (the profile is compiled)."""

    def __init__(self, profile: WorkflowProfile, date_order: str = "ask"):
        self.profile = profile
        self.date_order = date_order
        self._pending_options: list | None = None
        self._alias_spans: list = []
        self._proposing = self._correcting = self._bare = False
        self._state_values: dict = {}
        self._talky = False

    # -- entry point -----------------------------------------------------------------

    def read(self, state: State, text: str, today: dt.date) -> Reading:
        message = Message.of(text[:READ_LIMIT])
        if not message.tokens:
            return Reading(talk="unclear")
        status = state.status
        command = message.command(status)
        if command in ("cancel", "rerun", "confirm", "decline"):
            return Reading(command=command)
        reset = message.reset_span()
        if reset is not None:
            message.take(*reset)
            state = State()
        reading = self._read(state, message, today)
        if reset is not None:
            return Reading(**{**reading.__dict__, "command": "reset"})
        return reading

    def _read(self, state: State, message: Message, today: dt.date) -> Reading:
        self._today, self._message_words = today, set(message.words)
        self._message_tokens = [t.text for t in message.tokens]
        self._state_values = state.values
        self._proposing = message.proposes or message.requests
        self._correcting = bool(_correction_points(message)) or bool(
            {"meant", "mean", "instead", "actually", "oops", "sorry"} & set(message.words))
        self._bare = len([w for w in message.words if w not in FILLER]) <= 1
        proposals: list[Proposal] = []
        refusals: list[Refusal] = []
        choices: list[Choice] = []
        fixed: list[str] = []
        self._named(state, message, today, proposals, refusals, choices, fixed)
        asked = state.asked if state.status == "gathering" else None
        pending = state.pending
        self._pending_options = None
        if pending is not None:
            asked = None
            picked = self._quick_pick(pending, message, today)
            if picked is not None:
                proposals.append(picked)
            elif pending.input:
                # The answer may restate one of the readings ("120 thousand"), or be about
                # something else entirely: a loose number is only taken if it is one of them.
                asked, self._pending_options = pending.input, list(pending.options)
        talk = self._talk(message)
        found = self._mentions(message, today)
        aliases = self._aliases(message)
        self._alias_spans = aliases
        toggles = self._toggles(message, aliases, found)
        self._bind(message, found, aliases)
        found, alternatives, ranges = self._qualify(message, found)
        found = self._corrections(state, message, found)
        named_inputs = {p.input for p in proposals} | {r.input for r in refusals}
        unplaced: list[Unplaced] = []
        dropped = self._assign(state, message, found, asked, named_inputs, proposals,
                               refusals, choices, unplaced)
        if message.is_question and not message.proposes and not message.requests and \
                not proposals:
            # "is breakfast included?" asks; "can I see the breakdown?", "...with
            # breakfast?", "how many workdays?" and "in working days?" order.
            short_question = sum(1 for i, t in enumerate(message.tokens) if message.free(i)
                                 and t.kind == "word" and t.text not in FILLER) == 0
            toggles = [t for t in toggles if t[3] or (short_question and not {
                "is", "are", "does", "do", "included"} & set(message.words))]
        for name, value, text, _ in toggles:
            if name not in named_inputs:
                proposals.append(Proposal(name, value, "alias", text))
        taken_now = {p.input for p in proposals} | {r.input for r in refusals} | {
            c.input for c in choices}
        dropped = self._alternatives(state, message, alternatives, ranges, asked, taken_now,
                                     proposals, refusals, choices, unplaced) or dropped
        dropped = dropped or self._negated_any
        self._implied_today(state, found, proposals, today)
        if asked is not None and not proposals and not refusals and not choices \
                and not unplaced and self._pending_options is None:
            self._answer_asked(state, message, asked, found, talk, proposals, refusals,
                               choices)
        if pending is not None and pending.input:
            proposals, choices = _narrow(pending, proposals, choices)
        residue = self._residue(message)
        values = bool(proposals or refusals or choices or unplaced or fixed)
        strong = any(p.evidence in ("named", "alias", "unit", "order") or (
            p.evidence == "kind" and self.profile.inputs[p.input].kind != "enum")
            for p in proposals) or bool(choices or unplaced)
        inquiry = message.is_question and not message.requests and not any(
            p.evidence == "named" for p in proposals)
        if inquiry and ((not message.proposes and (
                not values or (message.asks_for_help and not strong))) or (
                    not message.proposes and len(proposals) == 1 and all(
                        p.evidence in ("kind", "alias")
                        and self.profile.inputs[p.input].kind == "enum"
                        for p in proposals) and not choices and not unplaced
                    and not message.corrects)):
            # A question back carries no answer ("is 100 the maximum?", "how much is a
            # suite?"); it gets the input's details instead.
            topic = self._topic(aliases, found, asked)
            return Reading(talk="help", topic=topic, refused_fixed=tuple(fixed),
                           sure=True)
        kind = None
        if not values:
            kind = ("help" if message.asks_for_help else talk["kind"]) or "unclear"
        homeless = any(not f.homes and not f.bound and f.unit not in (
            "clock", "minutes", "seconds", "hours") for f in found)
        free_text = [n for n, p in self.profile.inputs.items() if p.kind in ("string", "array")
                     and n not in state.values and n not in {p.input for p in proposals}]
        leftover = any(message.free(i) and t.kind == "word" and t.text not in (
            "please", "thanks", "thank", "you", "ok", "okay")
            for i, t in enumerate(message.tokens))
        sure = not dropped and not homeless and residue == 0 and not (
            free_text and leftover) and not (
            asked is not None and self.profile.inputs[asked].kind in ("string", "array"))
        return Reading(proposals=tuple(_dedupe(proposals)), refusals=tuple(refusals),
                       choices=tuple(choices), unplaced=tuple(unplaced),
                       refused_fixed=tuple(fixed), talk=kind,
                       topic=self._topic(aliases, found, asked) if kind == "help" else None,
                       sure=sure)

    def _implies_today(self, item: "_Found") -> bool:
        """A single date in a question about time until or since it ("how many days till
        our wedding on …", "how long since 1 jan"): the other end is today. Not when the
        message names two dates ("between … and …"), and not for a day and month without a
        year when nothing says whether the last or the next one is meant."""
        words = {text for i, text in enumerate(self._message_tokens)
                 if not item.first <= i <= item.last}  # "3 weeks from today" is one date
        if not words & _DURATION_CUES or words & {"between", "and", "from"}:
            return False
        today = self._today.isoformat()
        if any(r == today for r in item.readings) or not item.readings:
            return False
        if not (all(r < today for r in item.readings) or all(r > today for r in
                                                               item.readings)):
            return False
        return True

    def _implied_today(self, state: State, found: list[_Found], proposals: list[Proposal],
                       today: dt.date) -> None:
        """'how many days since 1 jan 2026?' runs until today; 'until march 14' from today.
        Only for a workflow with two date inputs, the other one not known or given."""
        dates = [p.name for p in self.profile.inputs.values() if p.kind == "date"]
        if len(dates) != 2:
            return
        given = {p.input: p for p in proposals if p.input in dates}
        if len(given) != 1 or not set(self._message_words) & _DURATION_CUES:
            return
        (name, proposal), = given.items()
        other = dates[1] if name == dates[0] else dates[0]
        if other in state.values:
            return
        day, now = str(proposal.value), today.isoformat()
        # The other end is today when that keeps the order: a start in the past, an end
        # in the future ("I started on 14 March 2022", "until my birthday, march 14").
        if (name == dates[0] and day < now) or (name == dates[1] and day > now):
            proposals.append(Proposal(other, now, "kind", "today", "today", relative=True))

    def _quick_pick(self, pending: Pending, message: Message, today: dt.date
                    ) -> Proposal | None:
        """A short answer to 'did you mean A or B?': 'the first', 'june', 'day first', 'the
        bigger one'; or to 'which is 20?': the input's name."""
        words = [w for w in message.words if w not in FILLER or w in ORDINALS]
        if len(words) > 4:
            return None
        if not pending.input:
            names = set()
            probe = Message.of(message.text)
            for first, last, hits in self._aliases(probe):
                names |= hits & set(pending.options)
            rest = [t.text for i, t in enumerate(probe.tokens) if probe.free(i)
                    and t.kind != "sym" and t.text not in FILLER]
            if len(names) != 1 or rest:
                return None
            name = names.pop()
            found = self.read_value(name, pending.text, today)
            if found is None:
                return None
            message.take(0, len(message.tokens) - 1)
            return Proposal(name, found.value, "choice", pending.text, found.note)
        options = list(pending.options)
        profile = self.profile.inputs[pending.input]
        joined = " ".join(words)
        pick = None
        ordinal = next((ORDINALS[w] for w in words if w in ORDINALS and w != "second"
                        or w in ("second",) and len(words) <= 2), None)
        if profile.kind == "date" and ("day" in words or "month" in words):
            order = "dmy" if joined.startswith("day") or "european" in words else (
                "mdy" if joined.startswith("month") or "american" in words else None)
            if order:
                sub = Message.of(pending.text)
                dates = DateReader(today, order).find(sub.lower, sub.tokens, set())
                if len(dates) == 1 and dates[0].values:
                    pick = dates[0].values[0].isoformat()
        if pick is None and ordinal is not None:
            index = ordinal - 1 if ordinal > 0 else len(options) - 1
            if 0 <= index < len(options):
                pick = options[index]
        if pick is None and profile.kind == "date":
            months = {month_of(w)[0] for w in words if month_of(w)}
            hits = [o for o in options if int(str(o)[5:7]) in months]
            if len(hits) == 1 and len(months) == 1:
                pick = hits[0]
        if pick is None and profile.numeric and len(options) >= 2:
            if {"bigger", "larger", "higher", "more"} & set(words):
                pick = max(options)
            elif {"smaller", "lower", "less"} & set(words):
                pick = min(options)
            elif {"thousand", "thousands", "k", "grand"} & set(words) and not any(
                    t.kind == "num" for t in message.tokens):
                hits = [o for o in options if 1000 <= o / max(min(options), 1e-9) < 1e6]
                pick = hits[0] if len(hits) == 1 else None
            elif {"million", "millions", "mil", "mill"} & set(words) and not any(
                    t.kind == "num" for t in message.tokens):
                hits = [o for o in options if o / max(min(options), 1e-9) >= 1e6]
                pick = hits[0] if len(hits) == 1 else None
        if pick is None:
            return None
        message.take(0, len(message.tokens) - 1)
        return Proposal(pending.input, pick, "choice", message.text)

    def read_value(self, name: str, text: str, today: dt.date) -> Proposal | None:
        """`text` read as a value for the input `name`, or None if it is not one."""
        proposals: list[Proposal] = []
        self._value_for(self.profile.inputs[name], text, today, "named", proposals, [], [])
        return proposals[0] if proposals else None

    # -- explicit names: `rate: 4`, `principal = 300k` ---------------------------------

    def _named(self, state, message, today, proposals, refusals, choices, fixed) -> None:
        pattern = self.profile.named
        if pattern is None:
            return
        matches = list(pattern.finditer(message.lower))
        for number, match in enumerate(matches):
            name = self.profile.canonical[_squash(match.group(1))]
            end = matches[number + 1].start() if number + 1 < len(matches) else len(
                message.lower)
            value_text = message.text[match.end():end]
            cut = _value_end(value_text)
            value_text = value_text[:cut].strip().rstrip(".!?")
            span = [i for i, t in enumerate(message.tokens)
                    if t.start >= match.start() and t.end <= match.end() + cut]
            if not value_text:
                continue
            if span:
                message.take(span[0], span[-1])
            if name in self.profile.fixed:
                fixed.append(name)
                continue
            self._value_for(self.profile.inputs[name], value_text, today, "named",
                            proposals, refusals, choices)

    def _value_for(self, profile: InputProfile, text: str, today: dt.date, evidence: str,
                   proposals, refusals, choices) -> None:
        """A value stated for a known input (after its name, or as the whole answer)."""
        sub = Message.of(text)
        found = [f for f in self._mentions(sub, today) if profile.name in f.homes
                 or (f.kind == "number" and profile.kind == "enum")]
        if profile.kind in ("string", "array") or (profile.kind == "enum" and not found):
            self._text_value(profile, text, evidence, proposals, refusals)
            return
        if profile.kind == "boolean":
            value = _yes_no(sub)
            if value is None:
                refusals.append(Refusal(profile.name, "please answer yes or no"))
            else:
                proposals.append(Proposal(profile.name, value, evidence, text))
            return
        if len(found) == 1:
            self._propose(profile, found[0], evidence, proposals, refusals, choices)
            return
        if len(found) > 1:
            refusals.append(Refusal(profile.name, f"“{text}” holds more than one value; "
                                    "please give just one"))
            return
        try:
            value = profile.check(text)
        except InvalidValue as exc:
            refusals.append(Refusal(profile.name, str(exc)))
            return
        proposals.append(Proposal(profile.name, value, evidence, text))

    def _text_value(self, profile: InputProfile, text: str, evidence: str, proposals,
                    refusals) -> None:
        cleaned = _strip_filler_edges(text)
        if profile.options is not None and profile.kind == "enum":
            sub = Message.of(cleaned)
            hits = {m.option for m in profile.options.find(sub.tokens, set())}
            note = None
            if not hits:
                words = [w for w in sub.words if w not in FILLER]
                guesses = {profile.options.prefix(w) or profile.options.fuzzy(w)
                           for w in words} - {None}
                if len(guesses) == 1 and len(words) <= 2:
                    hits, note = guesses, f"read “{cleaned}”"
            if len(hits) == 1:
                proposals.append(Proposal(profile.name, hits.pop(), evidence, text, note))
                return
        try:
            value = profile.check(cleaned)
        except InvalidValue as exc:
            refusals.append(Refusal(profile.name, str(exc)))
            return
        proposals.append(Proposal(profile.name, value, evidence, text))

    # -- finding values --------------------------------------------------------------

    def _mentions(self, message: Message, today: dt.date) -> list[_Found]:
        found: list[_Found] = []
        profile = self.profile
        inputs = profile.inputs.values()
        if profile.has_dates:
            words = set(message.words)
            past = bool(words & _PAST_CUES) or (bool(words & _WEAK_PAST_CUES) and bool(
                words & _DURATION_CUES) and not words & _FUTURE_CUES)
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
                    found.append(_Found("year", index, index + 1, "'" + following.text,
                                        list(years), (2000 + int(following.text),)))
                    message.take(index, index + 1)
            for (first, last), offset in _phrases(message, _YEAR_PHRASES):
                found.append(_Found("year", first, last, _span_text(message, first, last),
                                    list(years), (today.year + offset,), relative=True))
                message.take(first, last)
        people = [p.name for p in inputs if p.unit == "people"]
        if people:
            for (first, last), count in _phrases(message, _PEOPLE_PHRASES):
                found.append(_Found("number", first, last, _span_text(message, first, last),
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
        _european_dots(found)
        for item in found:
            if item.kind == "number":
                item.homes = self._number_homes(item)
        return sorted(found, key=lambda item: item.first)

    def _fuzzy_options(self, message: Message) -> list[_Found]:
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
                item = _Found("option", index, index, token.text, [name], (option,),
                              fuzzy=token.text)
                found.append(item)
                message.take(index, index)
        return found

    def _date_found(self, date: DateMention) -> _Found:
        homes = [p.name for p in self.profile.inputs.values() if p.kind == "date"]
        item = _Found("date", date.first_token, date.last_token, date.text, homes,
                      tuple(d.isoformat() for d in date.values), relative=date.relative,
                      fuzzy=date.fuzzy, problem=date.problem)
        item.extra["yearless"] = date.yearless
        return item

    def _number_found(self, message: Message, number: NumberMention) -> _Found:
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
                foreign = _looks_like_noun(word) and not (
                    following and following[0].text in self.profile.vocabulary)
        item = _Found("number", number.first_token, number.last_token, number.text, [],
                      number.values, unit=unit, unit_word=number.unit_word, foreign=foreign)
        item.extra["fallback"] = number.fallback
        item.extra |= {"scaled": number.scaled, "money": number.money_scale,
                      "ordinal": number.ordinal, "calendar_year": number.calendar_year,
                      "vague": number.vague, "spelled": number.spelled}
        return item

    def _number_homes(self, item: _Found) -> list[str]:
        if item.extra.get("vague"):
            return []
        homes = []
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
            if factor is None or any(profile.fits(_convert(v, factor))
                                     for v in item.readings):
                homes.append(profile.name)
        return homes

    def _option_found(self, option: OptionMention) -> _Found:
        return _Found("option", option.first_token, option.last_token, option.text,
                      [option.input], (option.option,), fuzzy=None)

    # -- talk, aliases and toggles ---------------------------------------------------

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
                    for stem in _stems(key[0]):
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
            negative = any(w in NEGATIONS or w in _NEGATIONS for w in before) or bool(
                pairs & NEGATIONS) or (after[:1] and after[0] in (
                    "no", "off", "false", "elsewhere", "outside")) or after[:2] == [
                "not", "needed"]
            asked_for = bool(set(before[-3:]) & _REQUEST_VERBS) or {"how", "many"} <= set(
                message.words) or bool(set(after[:2]) & {"too", "also", "please", "pls",
                                                         "yes", "no", "as"})
            short = sum(1 for i, t in enumerate(message.tokens) if message.free(i) and
                        t.kind == "word" and t.text not in FILLER and
                        t.text not in self.profile.vocabulary) <= 1
            if not (asked_for or negative or short):
                continue  # "I'll check the breakdown with my bank": a mention, not an order
            toggles.append((booleans[0], not negative,
                            _span_text(message, max(0, first - 1), last), asked_for))
            for index in range(max(0, first - 3), min(len(message.tokens), last + 3)):
                if message.tokens[index].text in NEGATIONS | {"with", "include", "add",
                                                             "show", "too", "also",
                                                             "please", "yes", "no", "off",
                                                             "on"}:
                    message.take(index, index)
        return toggles

    def _bind(self, message: Message, found: list[_Found], aliases) -> None:
        """An alias right before a value (or right after it) names the value's input."""
        for first, last, names in aliases:
            target = None
            probe = last + 1
            while probe < len(message.tokens) and message.tokens[probe].text in _CONNECTORS \
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

    def _qualify(self, message: Message, found: list[_Found]):
        """Values that are not what they seem: negated ("not 5%"), one of two alternatives
        ("6.5 or 7"), a range ("300k-350k"), a rate per month or an income per year ("85k a
        year"), a change relative to something ("add 20k", "up 1%")."""
        self._negated_any = False
        kept: list[_Found] = []
        negated_last: _Found | None = None
        for position, item in enumerate(found):
            chained = negated_last is not None and negated_last.kind == item.kind and all(
                t.text in ("and", "or", ",", "nor") for t in
                message.tokens[negated_last.last + 1:item.first])
            negated_last = item if (chained or _is_negated(message, item)) else None
            if negated_last is not None:
                self._negated_any = True
                # "5.1 not 5.01": the value it is not names the input the other one is for.
                holders = [name for name, value in self._state_values.items()
                           if value in item.readings]
                others = [f for f in found[max(0, position - 1):position + 2]
                          if f is not item and f.kind == item.kind]
                if len(holders) == 1 and len(others) == 1 and not others[0].bound:
                    others[0].bound = holders[0]
                    others[0].homes = list(set(others[0].homes) | {holders[0]})
                continue
            if item.kind == "number" and _is_relative(message, item):
                item.foreign = True
            if item.kind == "number" and item.extra.get("ordinal") and item.last + 1 < len(
                    message.tokens) and message.tokens[item.last + 1].text in ("of", "is"):
                item.foreign = True  # "the 5th of every month": a day, not the 5th Monday
            if item.first > 0 and message.tokens[item.first - 1].text in ("every", "each") \
                    and (item.extra.get("ordinal") or str(item.readings[0]).lower() in
                         ORDINALS):
                # "every 4th saturday", "every second tuesday": a cycle, not a day of the month
                self._negated_any = True
                continue
            kept.append(item)
        # "85k a year", "0.5% a month": the second "number" is the first one's period.
        index = 0
        while index < len(kept) - 1:
            first, second = kept[index], kept[index + 1]
            if first.kind == second.kind == "number" and second.first == first.last + 1 and \
                    second.readings == (1,) and second.unit in _PERIODS and \
                    message.tokens[second.first].text in ("a", "an", "per", "each", "every"):
                if not (first.unit == "percent" and second.unit == "years"):
                    first.foreign = True  # a rate per month, an income per year
                kept.pop(index + 1)
                continue
            index += 1
        for index, item in enumerate(kept[:-1]):  # "90% of 400k": neither is a value
            if item.kind == "number" and item.unit == "percent" and item.last + 1 < len(
                    message.tokens) and message.tokens[item.last + 1].text == "of" and \
                    kept[index + 1].first == item.last + 2:
                item.foreign = kept[index + 1].foreign = True
        for item in kept:
            period = _period_word_after(message, item)
            if period is not None and item.kind == "number" and not (
                    item.unit == "percent" and period == "years"):
                item.foreign = True
        alternatives, ranges = [], []
        index = 0
        while index < len(kept) - 1:
            first, second = kept[index], kept[index + 1]
            between = [t.text for t in message.tokens[first.last + 1:second.first]]
            words = [w for w in between if w not in (",", ".", "'", "’")]
            if first.kind == second.kind and set(words) & {"but", "now", "need", "needs",
                                                          "instead", "however"} and \
                    set(words) <= _BUT_WORDS \
                    and set(first.homes) & set(second.homes) and not first.bound:
                # "they offered 7 but I negotiated 6.5": the value after "but" holds.
                second.homes = [h for h in second.homes if h in first.homes] or second.homes
                kept.pop(index)
                continue
            if first.kind == second.kind and set(words) <= _ALTERNATIVE_WORDS and \
                    set(words) & {"or", "maybe", "perhaps", "possibly"} and not first.bound:
                alternatives.append((first, second))
                kept[index:index + 2] = []
                continue
            if first.kind == second.kind and first.kind in ("number", "option", "year") and \
                    words in (["and"], ["&"], ["and", "the"], ["or", "the"]) and \
                    len(first.homes) == 1 and first.homes == second.homes:
                # "the 2nd and 4th tuesday": two values for one input
                alternatives.append((first, second))
                kept[index:index + 2] = []
                continue
            before = message.tokens[first.first - 1].text if first.first > 0 else ""
            if first.kind == second.kind == "number" and (
                    between in (["-"], ["–"], ["to"], ["till"], ["until"]) or (
                        between == ["and"] and before == "between")):
                ranges.append((first, second))
                kept[index:index + 2] = []
                continue
            index += 1
        return kept, alternatives, ranges

    def _alternatives(self, state, message, alternatives, ranges, asked, taken, proposals,
                      refusals, choices, unplaced) -> bool:
        """Two values offered for one input are asked about; a range gets a refusal."""
        left_out = False
        for first, second in alternatives + ranges:
            homes = [h for h in first.homes if h in second.homes and h not in taken]
            if len(homes) > 1 and asked in homes:
                homes = [asked]
            if len(homes) != 1:
                left_out = True
                continue
            home = homes[0]
            if (first, second) in ranges:
                refusals.append(Refusal(home, f"“{_span_text(message, first.first, second.last)}”"
                                        " is a range; please give one value"))
            else:
                readings = []
                for item in (first, second):
                    temporary: list[Proposal] = []
                    self._propose_found(home, item, "kind", temporary, [], [])
                    readings += [p.value for p in temporary]
                if len(set(map(str, readings))) == 2:
                    choices.append(Choice(home, tuple(readings), _span_text(
                        message, first.first, second.last)))
                else:
                    left_out = True
                    continue
            taken.add(home)
        return left_out

    def _idiom(self, message: Message, item: "_Found") -> bool:
        """An option word used for something else: 'last thing', 'first time', 'at last',
        'a medium oven' (it describes the oven), 'the day before friday', 'last but one'."""
        tokens = message.tokens
        before = tokens[item.first - 1].text if item.first > 0 else ""
        after = tokens[item.last + 1] if item.last + 1 < len(tokens) else None
        if before in ("at", "before", "after", "except") or (
                before == "a" and item.readings[0] in ("second",)):
            return True
        if after is None or after.kind != "word":
            return False
        ordinal = str(item.readings[0]).lower() in ORDINALS
        if ordinal and after.text in _ORDINAL_IDIOMS:
            return True  # "last thing", "first i need to…", "first of all", "second try"
        if after.text == "but":
            return True
        if after.text in FILLER or after.text in UNIT_WORDS:
            return False
        names = self.profile.alias_phrases.get((after.text,)) or self.profile.alias_phrases.get(
            (after.text.rstrip("s"),))
        if names:
            return item.homes[0] not in names  # "medium oven": about the oven
        if after.text in self.profile.vocabulary or message.free(item.last + 1) is False:
            return False
        # "last thing", "second try", "first time": an ordinal before a noun of its own
        return str(item.readings[0]).lower() in ORDINALS and after.text.isalpha() and len(
            after.text) > 2

    def _corrections(self, state: State, message: Message, found: list[_Found]
                     ) -> list[_Found]:
        """'march 3, no wait, march 13' keeps the second; '5.1 not 5.01' gives 5.1 the
        input that holds 5.01."""
        kept = list(found)
        cues = _correction_points(message)
        if cues:
            for index, earlier in enumerate(kept):
                if earlier is None:
                    continue
                later = [f for f in kept[index + 1:] if f is not None and f.kind == earlier.kind
                         and set(f.homes) & set(earlier.homes)
                         and any(earlier.last < cue < f.first for cue in cues)]
                if later and (len(earlier.homes) == 1 or (
                        earlier.bound and earlier.bound == later[0].bound)):
                    kept[index] = None
        kept = [item for item in kept if item is not None]
        for index in range(len(kept) - 1):
            first, second = kept[index], kept[index + 1]
            if first is None or second is None or first.kind != second.kind:
                continue
            between = [t.text for t in message.tokens[first.last + 1:second.first]
                       if t.kind != "sym"]
            joined = " ".join(between)
            if between and set(between) <= _SELF_CORRECTION and set(between) & {
                    "no", "wait", "sorry", "mean", "meant", "actually", "rather",
                    "correction", "oops", "scratch"}:
                second.bound = second.bound or first.bound
                if first.kind == "date" and second.relative and not first.relative and \
                        len(first.readings) == 1 and len(second.readings) == 1:
                    year = int(first.readings[0][:4])
                    moved = f"{year}{second.readings[0][4:]}"
                    try:
                        dt.date.fromisoformat(moved)
                        second.readings, second.relative = (moved,), False
                    except ValueError:
                        pass
                kept[index] = None
                continue
            if ("not" in between or joined in ("instead of", "rather than")) and set(
                    between) <= _SELF_CORRECTION | {"instead", "of", "than", "the", "a", "an",
                                                    "haha", "lol"} \
                    and first.kind in ("number", "option", "date"):
                # "5.1 not 5.01", "85 thousand, not 85 bucks": the second is what it is not.
                holders = [name for name, value in state.values.items()
                           if any(value == r for r in second.readings)]
                if len(holders) == 1:
                    first.bound = holders[0]
                    first.homes = list(set(first.homes) | {holders[0]})
                kept[index + 1] = None
        return [item for item in kept if item is not None]

    # -- giving values to inputs -----------------------------------------------------

    def _assign(self, state, message, found, asked, named, proposals, refusals, choices,
                unplaced) -> bool:
        """Give each value its input; returns True when something was left unread."""
        dropped = False
        taken = set(named)
        gathering = state.status == "gathering"
        loose: list[_Found] = []
        dates: list[_Found] = []
        options: dict[str, list[_Found]] = {}
        talky = self._talky
        other_strong = any(f.kind in ("date", "year") or (f.kind == "number" and f.homes and (
            f.unit is not None or f.extra.get("scaled"))) or f.bound for f in found)
        # Token positions right after / right before a placed value or an alias.
        after_value = {f.last + 1 for f in found if f.homes} | {
            last + 1 for _, last, _ in self._alias_spans}
        before_value = {f.first - 1 for f in found if f.homes} | {
            first - 1 for first, _, _ in self._alias_spans}
        answer_like = len([w for w in message.words if w not in FILLER]) <= 2
        residue = self._residue(message)
        date_problem = any(f.problem for f in found if f.kind == "date")
        for item in sorted(found, key=lambda f: f.bound is None):
            if item.problem:
                home = item.bound or (asked if asked in item.homes else (
                    item.homes[0] if len(item.homes) == 1 else None))
                if home is None and item.kind == "date":
                    home = next((h for h in item.homes if h not in taken), None)
                if home:
                    refusals.append(Refusal(home, item.problem))
                    taken.add(home)
                continue
            if date_problem and item.kind == "date" and not item.bound:
                dropped = True
                continue  # with one date unreadable, the others' places are not clear
            if item.bound and item.bound not in taken:
                self._propose_found(item.bound, item, "alias", proposals, refusals, choices)
                taken.add(item.bound)
            elif item.kind == "option":
                adjacent = item.first in after_value or item.last in before_value
                idiom = self._idiom(message, item)
                if idiom:
                    level = 0
                elif item.fuzzy:
                    level = 2 if adjacent or (item.homes[0] == asked and answer_like) else 0
                elif adjacent or item.homes[0] == asked:
                    level = 2
                elif residue == 0 or _after_cue(message, item) or message.proposes or (
                        message.corrects):
                    level = 1
                elif not talky and (residue <= 1 and gathering or other_strong):
                    level = 1
                else:
                    level = 0
                item.extra["level"] = level
                options.setdefault(item.homes[0], []).append(item)
            elif item.kind == "year":
                if len(item.homes) == 1 and item.homes[0] not in taken:
                    self._propose_found(item.homes[0], item, "kind", proposals, refusals,
                                        choices)
                    taken.add(item.homes[0])
            elif item.kind == "date":
                dates.append(item)
            elif item.kind == "number":
                if item.foreign:
                    dropped = True
                    continue
                if item.extra.get("vague"):
                    home = asked if asked and self.profile.inputs[asked].numeric else None
                    if home:
                        refusals.append(Refusal(home, f"“{item.text}” is not an exact "
                                                "number; how many exactly?"))
                        taken.add(home)
                    continue
                if item.unit is not None or item.extra.get("scaled") or item.extra.get(
                        "ordinal") or (item.extra.get("calendar_year") and item.homes):
                    homes = [h for h in item.homes if h not in taken]
                    if len(homes) > 1 and asked in homes:
                        homes = [asked]
                    if len(homes) > 1 and gathering:
                        missing = [h for h in homes if h not in state.values]
                        homes = missing if len(missing) == 1 else homes
                    if len(homes) == 1:
                        self._propose_found(homes[0], item, "unit", proposals, refusals,
                                            choices)
                        taken.add(homes[0])
                    elif homes:
                        unplaced.append(Unplaced(item.text, tuple(homes)))
                    elif item.unit is not None and item.unit not in ("clock", "minutes",
                                                                     "seconds", "hours"):
                        self._contradiction(item, asked, taken, refusals)
                    continue
                if item.foreign or item.extra.get("calendar_year"):
                    dropped = dropped or item.foreign
                    continue
                loose.append(item)
        for home, items in options.items():
            best = max(i.extra["level"] for i in items)
            strong = [i for i in items if i.extra["level"] == best and best > 0]
            listed = [i for i in items if i.extra["level"] > 0 and any(
                message.tokens[j].text in ("and", "or", "&", ",", "/") for j in
                range(i.last + 1, min(i.last + 2, len(message.tokens))))]
            if listed and best > 0:
                strong = [i for i in items if i.extra["level"] > 0]  # "first and third"
            dropped = dropped or any(i.extra["level"] == 0 for i in items)
            named = {i.readings[0] for i in strong}
            if home in taken or not named:
                continue
            if len(named) > 1:
                choices.append(Choice(home, tuple(sorted(named, key=list(
                    self.profile.inputs[home].spec.enum).index)), " / ".join(
                    i.text for i in strong)))
            else:
                self._propose_found(home, strong[0], "kind", proposals, refusals, choices)
            taken.add(home)
        self._assign_dates(state, dates, asked, taken, proposals, refusals, choices, unplaced)
        self._assign_loose(state, loose, asked, taken, proposals, refusals, choices,
                           unplaced)
        return dropped

    def _contradiction(self, item: _Found, asked, taken, refusals) -> None:
        """A number whose unit fits no input: say so for the input that was asked."""
        if asked is None or asked in taken:
            return
        profile = self.profile.inputs[asked]
        takes, factor = profile.takes_unit(item.unit)
        if takes and factor is None:
            target = profile.unit or "the unit asked for"
            refusals.append(Refusal(asked, f"“{item.text}” can't be turned into an exact "
                                    f"number of {target}; please give it in {target}"))
            taken.add(asked)
        elif takes:
            value = _convert(item.readings[0], factor)
            try:
                profile.check(value)
            except InvalidValue as exc:
                refusals.append(Refusal(asked, f"“{item.text}” is {shown(value)} "
                                        f"{profile.unit or ''}, but {exc}".replace("  ", " ")))
                taken.add(asked)

    def _assign_dates(self, state, dates, asked, taken, proposals, refusals, choices,
                      unplaced) -> None:
        free = [d for d in dates if not d.bound]
        if not free:
            return
        date_inputs = [p.name for p in self.profile.inputs.values()
                       if p.kind == "date" and p.name not in taken]
        if not date_inputs:
            return
        gathering = state.status == "gathering"
        missing = [n for n in date_inputs if n not in state.values] if gathering else []
        recent = [n for n in state.recent if n in date_inputs]
        if len(free) == 1 and self._correcting and len(recent) == 1 and \
                asked not in date_inputs[:0] and (asked is None or recent[0] != asked) and \
                recent[0] in state.values:
            # "oops, I meant 2 jan": the date just given is the one corrected
            self._propose_found(recent[0], free[0], "kind", proposals, refusals, choices)
            taken.add(recent[0])
            return
        if len(free) == 1 and len(missing) == 2 and self._implies_today(free[0]):
            # "how many days until the 9th of feb?": the other end is today.
            today = self._today.isoformat()
            readings = free[0].readings
            past = all(r < today for r in readings)
            role, other = (missing[0], missing[1]) if past else (missing[1], missing[0])
            proposals.append(Proposal(other, today, "kind", "today", "today", relative=True))
            if len(readings) == 1:
                self._propose_found(role, free[0], "kind", proposals, refusals, choices)
            else:
                choices.append(Choice(role, tuple(readings), free[0].text))
            taken.update((role, other))
            return
        if len(free) == 1 and asked in date_inputs:
            plan = [(free[0], asked)]
        elif gathering and len(free) == len(missing):
            plan = list(zip(free, missing))
        elif len(free) == len(date_inputs) and (not gathering or not missing):
            plan = list(zip(free, date_inputs))
        elif len(free) == 1 and len(missing) == 1:
            plan = [(free[0], missing[0])]
        elif len(free) == 1 and len(date_inputs) == 1:
            plan = [(free[0], date_inputs[0])]
        else:
            for item in free:
                unplaced.append(Unplaced(item.text, tuple(date_inputs)))
            return
        evidence = "order" if len(plan) > 1 else ("asked" if plan[0][1] == asked else "kind")
        for item, name in plan:
            self._propose_found(name, item, evidence, proposals, refusals, choices)
            taken.add(name)

    def _assign_loose(self, state, loose, asked, taken, proposals, refusals, choices,
                      unplaced) -> None:
        """Numbers without a unit: the asked input, or a single clear home for each."""
        if not loose:
            return
        distinct: dict[tuple, _Found] = {}
        for item in loose:  # "450000, four hundred fifty thousand": one value
            distinct.setdefault(tuple(item.readings), item)
        loose = list(distinct.values())
        if self._pending_options is not None and asked is not None and len(loose) == 1:
            profile = self.profile.inputs[asked]
            readings = set()
            for raw in loose[0].readings:
                try:
                    readings.add(profile.check(raw))
                except InvalidValue:
                    continue
            if not readings & set(self._pending_options):
                asked = None
        gathering = state.status == "gathering"
        if not gathering and not (self._proposing or self._correcting or self._bare):
            return  # "that's more than my rent of 1500": a remark, not a change
        for item in loose:  # "it's 5.25 now": not a principal of 5.25 dollars
            item.homes = [h for h in item.homes if not (
                self.profile.inputs[h].unit == "currency" and len(item.readings) == 1 and
                _implausibly_small(self.profile.inputs[h], item, item.readings[0]))] or (
                item.homes if asked in item.homes else [])
        recent = [n for n in state.recent if n in loose[0].homes] if len(loose) == 1 else []
        if self._correcting and len(recent) == 1 and (asked is None or asked not in
                                                      loose[0].homes):
            # "oops, I meant 2": the value just given is the one corrected
            self._propose_found(recent[0], loose[0], "kind", proposals, refusals, choices)
            taken.add(recent[0])
            return
        if asked is not None and asked not in taken and len(loose) == 1 and (
                self.profile.inputs[asked].numeric or self.profile.inputs[asked].options):
            item = loose[0]
            profile = self.profile.inputs[asked]
            if profile.options is not None and profile.options.ordinal:
                option = profile.options.ordinal.get(item.readings[0])
                if option is not None and item.readings[0] > 0:
                    proposals.append(Proposal(asked, option, "asked", item.text))
                    taken.add(asked)
                    return
            if profile.numeric:
                self._propose_found(asked, item, "asked", proposals, refusals, choices)
                taken.add(asked)
                return
        targets = [p.name for p in self.profile.inputs.values()
                   if p.numeric and p.name not in taken
                   and (not gathering or p.name not in state.values or p.name == asked)]
        if not gathering:
            targets = [p.name for p in self.profile.inputs.values()
                       if p.numeric and p.name not in taken]
        for item in loose:
            item.homes = [h for h in item.homes if h in targets]
        plan = _unique_matching(loose, targets, asked)
        recent = [n for n in state.recent if n in targets]
        if plan is None and not gathering and len(loose) == 1 and len(recent) == 1 and \
                recent[0] in loose[0].homes and self._proposing:
            plan = [(loose[0], recent[0])]  # "what about 5%?" … "and 4?": the rate again
        if plan is None:
            for item in loose:
                homes = tuple(h for h in item.homes if h in targets)
                if len(homes) == 1 and sum(1 for other in loose if homes[0] in
                                           other.homes) == 1:
                    self._propose_found(homes[0], item, "kind", proposals, refusals,
                                        choices)
                    taken.add(homes[0])
                elif homes:
                    unplaced.append(Unplaced(item.text, homes))
            return
        for item, name in plan:
            evidence = "asked" if name == asked else "order"
            self._propose_found(name, item, evidence, proposals, refusals, choices)
            taken.add(name)

    def _answer_asked(self, state, message, asked, found, talk, proposals, refusals,
                      choices) -> None:
        """A message with no placed value may still answer the question asked."""
        profile = self.profile.inputs[asked]
        leftover = [t for i, t in enumerate(message.tokens) if message.free(i)
                    and t.kind != "sym"]
        if profile.kind == "boolean":
            value = _yes_no(message)
            if value is not None:
                proposals.append(Proposal(asked, value, "asked", message.text))
            return
        if talk["kind"] is not None and not leftover:
            return
        if message.is_question or message.command("gathering"):
            return
        if any(f.kind in ("number", "date") for f in found) and profile.kind not in (
                "string", "array"):
            return  # its values went elsewhere, or did not fit: nothing more to take
        content = [t.text for t in leftover if t.text not in FILLER]
        if profile.kind in ("string", "array"):
            if talk["kind"] is not None and not content:
                return
            self._text_value(profile, message.text, "asked", proposals, refusals)
            return
        if profile.kind == "enum":
            guesses = {profile.options.prefix(w) or profile.options.fuzzy(w)
                       for w in content} - {None}
            if len(guesses) == 1 and len(content) <= 2:
                word = next(w for w in content if (profile.options.prefix(w)
                                                   or profile.options.fuzzy(w)))
                proposals.append(Proposal(asked, guesses.pop(), "asked", word,
                                          note=f"read “{word}”"))
                return
        if not content:
            return
        try:
            value = profile.check(message.text.strip())
        except InvalidValue as exc:
            refusals.append(Refusal(asked, str(exc)))
            return
        proposals.append(Proposal(asked, value, "asked", message.text))

    # -- helpers ---------------------------------------------------------------------

    def _propose_found(self, name: str, item: _Found, evidence: str, proposals, refusals,
                       choices) -> None:
        self._propose(self.profile.inputs[name], item, evidence, proposals, refusals,
                      choices)

    def _propose(self, profile: InputProfile, item: _Found, evidence: str, proposals,
                 refusals, choices) -> None:
        if item.problem:
            refusals.append(Refusal(profile.name, item.problem))
            return
        factor: Any = 1
        note = None
        if item.kind == "number":
            if item.extra.get("ordinal") and profile.options is not None:
                option = profile.options.ordinal.get(item.readings[0])
                if option is not None:
                    proposals.append(Proposal(profile.name, option, evidence, item.text))
                    return
            takes, factor = profile.takes_unit(item.unit)
            if not takes:
                refusals.append(Refusal(profile.name, f"“{item.text}” is not "
                                        f"{_kind_phrase(profile)}"))
                return
            if factor is None:
                target = profile.unit or "the unit asked for"
                refusals.append(Refusal(profile.name, f"“{item.text}” can't be turned into "
                                        f"an exact number of {target}; please give it in "
                                        f"{target}"))
                return
            if factor != 1 and item.unit != profile.unit:
                note = f"from {item.text}"
        readings = item.readings
        if item.kind == "date" and item.extra.get("yearless") and len(readings) == 1:
            readings = (self._in_context_year(profile.name, readings[0]),)
        values, reasons = [], []
        for raw in readings:
            candidate = _convert(raw, factor) if item.kind == "number" else raw
            try:
                checked = profile.check(candidate)
            except InvalidValue as exc:
                if item.kind == "number" and factor != 1 and isinstance(candidate, float) \
                        and profile.kind == "integer":
                    reasons.append(f"{item.text} is {shown(candidate)} {profile.unit}, not a "
                                   f"whole number; please give a whole number of "
                                   f"{profile.unit}")
                else:
                    reasons.append(str(exc))
                continue
            if checked not in values:
                values.append(checked)
        if not values and item.kind == "number":
            for raw in item.extra.get("fallback", ()):
                try:
                    values.append(profile.check(_convert(raw, factor)))
                    note = f"read “{item.text}” as {shown(values[-1])}"
                except InvalidValue:
                    continue
        if not values:
            refusals.append(Refusal(profile.name, reasons[0] if reasons else "not valid"))
            return
        if len(values) == 1 and item.kind == "number" and evidence != "named" and \
                self._pending_options is None and _implausibly_small(
                profile, item, values[0]):
            values += [v for v in (values[0] * 1000, values[0] * 1_000_000)
                       if profile.fits(v)][:1 if values[0] >= 10 else 2]
        if len(values) > 1:
            choices.append(Choice(profile.name, tuple(values), item.text))
            return
        if item.fuzzy:
            note = f"read “{item.text}”"
        if len(item.readings) > 1 and len(values) == 1:
            note = note or f"read “{item.text}” as {shown(values[0])}"
        proposals.append(Proposal(profile.name, values[0], evidence, item.text, note,
                                  relative=item.relative))

    def _in_context_year(self, name: str, iso: str) -> str:
        """A day and month replacing a date in the past keeps that date's year: after
        'from 1 june 2026 to 31 aug 2026', 'and from 1 june to 30 sept?' is still 2026."""
        current = self._state_values.get(name)
        if not isinstance(current, str) or current >= self._today.isoformat():
            return iso
        moved = current[:4] + iso[4:]
        try:
            dt.date.fromisoformat(moved)
        except ValueError:
            return iso
        return moved

    def _residue(self, message: Message) -> int:
        """How many words of the message no mention, filler or workflow word explains."""
        count = 0
        for index, token in enumerate(message.tokens):
            if not message.free(index) or token.kind == "sym":
                continue
            if token.text in FILLER or token.text in self.profile.vocabulary:
                continue
            if token.kind == "num":
                count += 1
                continue
            count += 1
        return count

    def _topic(self, aliases, found, asked) -> str | None:
        for first, last, names in aliases:
            if len(names) == 1:
                return next(iter(names))
        for item in found:
            if len(item.homes) == 1:
                return item.homes[0]
        return asked


# -- small helpers ---------------------------------------------------------------------

def _convert(value: Any, factor: Any) -> Any:
    if factor in (1, None):
        return value
    return tidy(float(Fraction(str(value)) * factor))


def _stems(word: str) -> list[str]:
    """'nights' → night: the plural of an alias names it too (verb forms do not: "my
    holiday starts in 3 weeks" is not the workflow's start)."""
    stems = []
    for suffix, replacement in (("s", ""), ("es", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stems.append(word[:-len(suffix)] + replacement)
    return stems


def _squash(name: str) -> str:
    return "".join(c for c in name.lower() if c not in " _-")


def _value_end(text: str) -> int:
    """Where a named value ends: at a comma, semicolon, line break or ' and '."""
    cut = len(text)
    for mark in (",", ";", "\n", " and ", " & "):
        position = text.find(mark, 1 if mark != "\n" else 0)
        if mark == "," and position > 0 and position + 1 < len(text) and \
                text[position - 1].isdigit() and text[position + 1].isdigit():
            position = text.find(mark, position + 4) if text[position + 1:position + 4] \
                .isdigit() else position
        if 0 < position < cut:
            cut = position
    return cut


def _span_text(message: Message, first: int, last: int) -> str:
    return message.text[message.tokens[first].start:message.tokens[last].end]


def _phrases(message: Message, table: dict[tuple[str, ...], Any]):
    words = [t.text for t in message.tokens]
    longest = max(len(p) for p in table)
    index = 0
    while index < len(words):
        for length in range(longest, 0, -1):
            key = tuple(words[index:index + length])
            if len(key) == length and key in table and all(
                    message.free(i) for i in range(index, index + length)):
                yield (index, index + length - 1), table[key]
                index += length - 1
                break
        index += 1


def _yes_no(message: Message) -> bool | None:
    words = message.words
    if not words:
        return None
    head = words[0]
    two = " ".join(words[:2])
    if two in YES or head in YES:
        return True
    if two in NO or head in NO:
        return False
    return None


def _strip_filler_edges(text: str) -> str:
    cleaned = text.strip().strip(".!?,;:").strip()
    lowered = cleaned.lower()
    for prefix in ("i'd like ", "i would like ", "i want ", "let's say ", "lets say ",
                   "it's ", "its ", "it is ", "make it ", "i think ", "maybe ", "the ",
                   "a ", "an "):
        if lowered.startswith(prefix) and len(cleaned) > len(prefix):
            cleaned, lowered = cleaned[len(prefix):], lowered[len(prefix):]
    for suffix in (" please", " thanks", " thank you", " pls", " one", " i think"):
        if lowered.endswith(suffix) and len(cleaned) > len(suffix):
            cleaned, lowered = cleaned[:-len(suffix)], lowered[:-len(suffix)]
    return cleaned.strip()


def _looks_like_noun(word: str) -> bool:
    return word.isalpha() and len(word) > 2 and word not in ("and", "or", "but", "then",
                                                             "please", "thanks")


def _kind_phrase(profile: InputProfile) -> str:
    if profile.unit:
        return f"a number of {profile.unit}"
    return {"integer": "a whole number", "number": "a number", "year": "a year"}.get(
        profile.kind, f"a {profile.kind}")


_NEGATIONS = {"not", "no", "never", "exclude", "excluding", "except", "apart", "isn't", "isnt", "don't", "dont", "doesn't", "doesnt",
              "won't", "wont", "without", "except", "nor", "neither", "aren't", "arent",
              "wasn't", "wasnt", "shan't", "didn't", "didnt", "cannot", "can't", "cant"}
_NEGATION_GAP = {"a", "an", "the", "have", "want", "need", "like", "my", "it", "is", "be",
                 "in", "on", "at", "for", "any", "do", "really", "got", "own", "from",
                 "starting", "until", "till", "to", "by"}
_ALTERNATIVE_WORDS = {"or", "maybe", "perhaps", "possibly", "either", "i", "think", "not",
                      "sure", "yet", "it's", "its", "could", "be", "might", "so", "s", "it",
                      "if", "the", "weather", "is", "bad", "depending"}
_RELATIVE_BEFORE = {"add", "adds", "adding", "plus", "up", "another", "extra", "additional",
                    "by", "increase", "increased", "decrease", "decreased", "raise", "raised",
                    "lower", "cut", "reduce", "reduced", "drop", "dropped", "than", "after",
                    "before", "within", "retire", "retiring", "retirement"}
_PERIODS = {"years", "months", "weeks", "days"}
_ADDING = {"add", "adds", "adding", "another", "extra", "additional", "plus"}
_BUT_WORDS = {"but", "i", "we", "need", "needs", "instead", "however", "show", "me", "for",
              ",", "so", "please", "negotiated", "got", "it", "down", "to", "mine", "is", "was",
              "ours", "our", "my", "the", "bank", "lender", "offered", "gave", "us", "me",
              "now", "actually", "in", "the", "end", "they", "finally", "agreed", "it's",
              "its", "s", "last", "year", "this", "time", "rate", "a", "better", "deal",
              "of", "at", "for", "need", "needs", "want", "borrow", "only", "just"}


def _is_negated(message: Message, item: "_Found") -> bool:
    """'not 5%', 'no fan', "I don't have a fan oven": the value is what the user does not
    mean. A comma ends the look back: "no, 4%" says 4%."""
    index, steps = item.first - 1, 0
    while index >= 0 and steps < 4:
        token = message.tokens[index]
        if token.kind != "word":
            return False
        if token.text in _NEGATIONS:
            return True
        if token.text not in _NEGATION_GAP:
            return False
        index, steps = index - 1, steps + 1
    return False


def _is_relative(message: Message, item: "_Found") -> bool:
    """'add 20k', 'up 1%', 'by 2 years', 'more than 5%', 'after 5 years', "I'm 40",
    'fixed for 5 years', '90% of 400k': a change, a bound, an age or a part of something,
    not a value."""
    words = [t.text for t in message.tokens[max(0, item.first - 2):item.first]]
    if words and (words[-1] in _RELATIVE_BEFORE or (
            len(words) == 2 and words[0] in _ADDING and words[1] in ("a", "an", "the"))):
        return True
    if words[-1:] in (["i'm"], ["im"], ["am"], ["aged"], ["age"]) or words == ["fixed", "for"]:
        return True
    if words[-1:] == ["of"] and len(words) == 2 and words[0] in ("%", "percent"):
        return True
    return False


def _period_word_after(message: Message, item: "_Found") -> str | None:
    """'1500 per month', '6% monthly', '80k annually': the period a value is counted in."""
    following = [t.text for t in message.tokens[item.last + 1:item.last + 3]]
    single = {"monthly": "months", "annually": "years", "yearly": "years", "weekly": "weeks",
              "daily": "days", "pa": "years", "p.a": "years", "annual": "years"}
    if following[:1] and following[0] in single:
        return single[following[0]]
    if following[:1] and following[0] in ("per", "a", "an", "each", "every") and len(
            following) == 2:
        word = following[1]
        return {"month": "months", "year": "years", "annum": "years", "week": "weeks",
                "day": "days", "night": "nights"}.get(word)
    return None


_ORDINAL_IDIOMS = {"thing", "things", "time", "times", "question", "questions", "minute",
                   "try", "attempt", "step", "off", "of", "i", "we", "you", "let's", "lets",
                   "let", "things", "night", "week", "year", "month", "day", "place",
                   "impression", "choice", "name", "person", "hand", "resort", "chance"}
_CUES = {"make", "it", "change", "to", "switch", "about", "instead", "rather", "try", "use",
         "want", "go", "with", "the", "a", "an", "for", "just", "only", "then", "want",
         "need", "prefer", "like", "take", "do", "pick", "choose", "chose", "please", "would",
         "i'd", "we'd", "id", "me", "us", "show", "give", "book", "get", "have"}


def _after_cue(message: Message, item: "_Found") -> bool:
    """'make it the first', 'what about the last one', 'switch to fridays', 'I'd like the
    suite': the option is what the user asks for."""
    words = [t.text for t in message.tokens[max(0, item.first - 3):item.first]]
    return bool(words) and set(words) <= _CUES and bool(set(words) & {
        "make", "change", "switch", "about", "instead", "rather", "try", "use", "want",
        "prefer", "like", "take", "pick", "choose", "chose", "book", "get", "have", "need",
        "give", "show"})


def _correction_points(message: Message) -> list[int]:
    """Token positions of 'sorry, I mean', 'no wait', 'actually', 'make that'."""
    words = [t.text for t in message.tokens]
    points = []
    for index, word in enumerate(words):
        pair = " ".join(words[index:index + 2])
        if word in ("sorry", "actually", "correction", "oops") or pair in (
                "i mean", "i meant", "no wait", "wait no", "make that", "or rather",
                "scratch that"):
            points.append(index)
    return points


def _european_dots(found: list[_Found]) -> None:
    """'€230.000 at 3,8%': a message with a decimal comma writes thousands with dots."""
    numbers = [f for f in found if f.kind == "number"]
    if not any(re.search(r"\d,\d{1,2}(?!\d)", f.text) and len(f.readings) <= 2
               for f in numbers):
        return
    for item in numbers:
        if len(item.readings) == 2 and re.search(r"\d\.\d{3}(?!\d)", item.text):
            item.readings = (max(item.readings),)


def _implausibly_small(profile: InputProfile, item: _Found, value: Any) -> bool:
    """'350' for a mortgage whose example is 250,000: 350, or 350 thousand?"""
    if profile.unit != "currency" or item.unit is not None or item.extra.get("scaled") \
            or item.extra.get("spelled") or not isinstance(value, (int, float)):
        return False
    examples = [e for e in profile.spec.examples if isinstance(e, (int, float))]
    return bool(examples) and 0 < value < min(min(examples) / 100, 1000)


def _unique_matching(items: list[_Found], targets: list[str], asked: str | None):
    """The only way to give each loose number its own fitting input, or None."""
    if not items or len(items) > len(targets) or len(items) > 4 or len(targets) > 8:
        return None  # bounded work: with more, the user is asked
    found = []
    for chosen in itertools.permutations(targets, len(items)):
        if all(name in item.homes for item, name in zip(items, chosen)):
            found.append(list(zip(items, chosen)))
            if len(found) > 1:
                break
    if len(found) == 1:
        return found[0]
    if len(found) > 1 and len(items) == len(targets):
        # Several fits: in the order the questions are asked, if that fits.
        in_order = list(zip(items, targets))
        if all(name in item.homes for item, name in in_order) and asked == targets[0]:
            return None
    return None


def _narrow(pending: Pending, proposals: list[Proposal], choices: list[Choice]):
    """After 'did you mean A or B?': a restated reading settles it; a new choice about the
    same input keeps only the readings offered before, if that leaves one."""
    kept = []
    for choice in choices:
        common = [o for o in choice.options if o in pending.options]
        if choice.input == pending.input and len(common) == 1:
            proposals = proposals + [Proposal(choice.input, common[0], "choice", choice.text)]
        else:
            kept.append(choice)
    return proposals, kept


def _dedupe(proposals: list[Proposal]) -> list[Proposal]:
    seen: dict[str, Proposal] = {}
    for proposal in proposals:
        seen.setdefault(proposal.input, proposal)
    return list(seen.values())


__all__ = ["OfflineReader", "Pending"]
