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
from dataclasses import replace

from agentgate.conversation.state import Pending, State
from agentgate.extraction.assign import Assigner
from agentgate.extraction.dates import DateReader, month_of
from agentgate.extraction.evidence import (correction_points, dedupe, narrow,
                                           strip_filler_edges, value_end, yes_no)
from agentgate.extraction.lexicon import FILLER, ORDINALS
from agentgate.extraction.mentions import MentionFinder
from agentgate.extraction.message import Message
from agentgate.extraction.profile import InputProfile, WorkflowProfile
from agentgate.extraction.qualify import Qualifier
from agentgate.extraction.reading import Choice, Proposal, Reading, Refusal, Unplaced
from agentgate.workflow.values import InvalidValue


# Characters of a message the reader looks at: answers are short, and this bounds the work
# one message can cause (a longer one still reaches the internal LLM, up to its own limit).
READ_LIMIT = 2_000


class OfflineReader(MentionFinder, Qualifier, Assigner):
    """Reads messages for one workflow version; cheap to make (the profile is compiled)."""

    def __init__(self, profile: WorkflowProfile, date_order: str = "ask"):
        self.profile = profile
        self.date_order = date_order
        self._pending_options: list | None = None
        self._alias_spans: list = []
        self._proposing = self._correcting = self._bare = False
        self._state_values: dict = {}
        self._talky = False

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
            return replace(reading, command="reset")
        return reading

    def _read(self, state: State, message: Message, today: dt.date) -> Reading:
        self._today = today
        self._state_values = state.values
        self._proposing = message.proposes or message.requests
        self._correcting = bool(correction_points(message)) or bool(
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
        self._implied_today(state, message, proposals, today)
        if asked is not None and not proposals and not refusals and not choices \
                and not unplaced and self._pending_options is None:
            self._answer_asked(state, message, asked, found, talk, proposals, refusals,
                               choices)
        if pending is not None and pending.input:
            proposals, choices = narrow(pending, proposals, choices)
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
        return Reading(proposals=tuple(dedupe(proposals)), refusals=tuple(refusals),
                       choices=tuple(choices), unplaced=tuple(unplaced),
                       refused_fixed=tuple(fixed), talk=kind,
                       topic=self._topic(aliases, found, asked) if kind == "help" else None,
                       sure=sure)

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

    def _named(self, state, message, today, proposals, refusals, choices, fixed) -> None:
        labels = list(self.profile.names_in(message.lower))
        for number, (match, name) in enumerate(labels):
            end = labels[number + 1][0].start() if number + 1 < len(labels) else len(
                message.lower)
            value_text = message.text[match.end():end]
            cut = value_end(value_text)
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
            value = yes_no(sub)
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
        self._checked(profile, text, text, evidence, proposals, refusals)

    @staticmethod
    def _checked(profile: InputProfile, raw: str, text: str, evidence: str, proposals,
                 refusals) -> None:
        """Validate `raw` for the input: a proposal when it passes, a refusal with the reason
        when it does not."""
        try:
            value = profile.check(raw)
        except InvalidValue as exc:
            refusals.append(Refusal(profile.name, str(exc)))
            return
        proposals.append(Proposal(profile.name, value, evidence, text))

    def _text_value(self, profile: InputProfile, text: str, evidence: str, proposals,
                    refusals) -> None:
        cleaned = strip_filler_edges(text)
        if profile.options is not None and profile.kind == "enum":
            sub = Message.of(cleaned)
            hits = {m.option for m in profile.options.find(sub.tokens, set())}
            note = None
            if not hits:
                guess = profile.options.guess([w for w in sub.words if w not in FILLER])
                if guess is not None:
                    hits, note = {guess[0]}, f"read “{cleaned}”"
            if len(hits) == 1:
                proposals.append(Proposal(profile.name, hits.pop(), evidence, text, note))
                return
        self._checked(profile, cleaned, text, evidence, proposals, refusals)

    def _residue(self, message: Message) -> int:
        """How many words of the message no mention, filler or workflow word explains."""
        count = 0
        for index, token in enumerate(message.tokens):
            if not message.free(index) or token.kind == "sym":
                continue
            if token.text not in FILLER and token.text not in self.profile.vocabulary:
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


__all__ = ["OfflineReader", "Pending", "READ_LIMIT"]
