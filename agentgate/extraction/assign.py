"""Giving each value its input by evidence: an alias, a unit or kind that fits one input, the
question asked. Two readings become a question back, and so does a value with no clear
home."""

from __future__ import annotations

import datetime as dt
from typing import Any

from agentgate.conversation.state import State
from agentgate.extraction.evidence import (DURATION_CUES, Found, after_cue, convert,
                                           implausibly_small, kind_phrase, refused_in_unit,
                                           unique_matching, yes_no)
from agentgate.extraction.lexicon import FILLER
from agentgate.extraction.message import Message
from agentgate.extraction.profile import InputProfile
from agentgate.extraction.reading import Choice, Proposal, Refusal, Unplaced
from agentgate.workflow.values import InvalidValue, shown


class Assigner:
    """A stage of `OfflineReader` (see `offline.py`): it uses the reader's profile and the
    state the reader keeps while it reads one message."""

    def _assign(self, state, message, found, asked, named, proposals, refusals, choices,
                unplaced) -> bool:
        """Give each value its input; returns True when something was left unread."""
        dropped = False
        taken = set(named)
        gathering = state.status == "gathering"
        loose: list[Found] = []
        dates: list[Found] = []
        options: dict[str, list[Found]] = {}
        by_kind: dict[str, Found] = {}  # inputs given a value by its unit or kind alone
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
                elif residue == 0 or after_cue(message, item) or message.proposes or (
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
                        by_kind[homes[0]] = item
                    elif len(item.homes) == 1 and item.homes[0] in by_kind and \
                            item.extra.get("calendar_year"):
                        # "born in 1990, … of 2027": two years for one input and nothing
                        # to say which: asked, not guessed.
                        self._ask_which(item.homes[0], by_kind.pop(item.homes[0]), item,
                                        proposals, choices)
                    elif homes:
                        unplaced.append(Unplaced(item.text, tuple(homes)))
                    elif item.unit is not None and item.unit not in ("clock", "minutes",
                                                                     "seconds", "hours"):
                        self._contradiction(item, asked, taken, refusals)
                    continue
                if item.extra.get("calendar_year"):
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
        self._assign_dates(state, message, dates, asked, taken, proposals, refusals, choices,
                           unplaced)
        self._assign_loose(state, loose, asked, taken, proposals, refusals, choices,
                           unplaced)
        return dropped

    def _contradiction(self, item: Found, asked, taken, refusals) -> None:
        """A number whose unit fits no input: say so for the input that was asked."""
        if asked is None or asked in taken:
            return
        profile = self.profile.inputs[asked]
        takes, factor = profile.takes_unit(item.unit)
        if takes and factor is None:
            refusals.append(_inexact(profile, item))
            taken.add(asked)
        elif takes:
            reason = refused_in_unit(profile, item, factor)
            if reason is not None:
                refusals.append(Refusal(asked, reason))
                taken.add(asked)

    def _assign_dates(self, state, message, dates, asked, taken, proposals, refusals,
                      choices, unplaced) -> None:
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
                (asked is None or recent[0] != asked) and recent[0] in state.values:
            # "oops, I meant 2 jan": the date just given is the one corrected
            self._propose_found(recent[0], free[0], "kind", proposals, refusals, choices)
            taken.add(recent[0])
            return
        if len(free) == 1 and len(missing) == 2 and self._implies_today(message, free[0]):
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
        distinct: dict[tuple, Found] = {}
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
                implausibly_small(self.profile.inputs[h], item, item.readings[0]))] or (
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
        for item in loose:
            item.homes = [h for h in item.homes if h in targets]
        plan = unique_matching(loose, targets)
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
            value = yes_no(message)
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
            guess = profile.options.guess(content)
            if guess is not None:
                option, word = guess
                proposals.append(Proposal(asked, option, "asked", word, note=f"read “{word}”"))
                return
        if not content:
            return
        self._checked(profile, message.text.strip(), message.text, "asked", proposals,
                      refusals)

    @staticmethod
    def _ask_which(name: str, first: Found, second: Found, proposals, choices) -> None:
        taken = next((p for p in proposals if p.input == name), None)
        if taken is None or taken.value == second.readings[0]:
            return
        proposals.remove(taken)
        choices.append(Choice(name, (taken.value, second.readings[0]),
                              f"{first.text} / {second.text}"))

    def _propose_found(self, name: str, item: Found, evidence: str, proposals, refusals,
                       choices) -> None:
        self._propose(self.profile.inputs[name], item, evidence, proposals, refusals,
                      choices)

    def _propose(self, profile: InputProfile, item: Found, evidence: str, proposals,
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
                                        f"{kind_phrase(profile)}"))
                return
            if factor is None:
                refusals.append(_inexact(profile, item))
                return
            if factor != 1 and item.unit != profile.unit:
                note = f"from {item.text}"
        readings = item.readings
        if item.kind == "date" and item.extra.get("yearless") and len(readings) == 1:
            readings = (self._in_context_year(profile.name, readings[0]),)
        values, reasons = [], []
        for raw in readings:
            candidate = convert(raw, factor) if item.kind == "number" else raw
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
                    values.append(profile.check(convert(raw, factor)))
                    note = f"read “{item.text}” as {shown(values[-1])}"
                except InvalidValue:
                    continue
        if not values:
            refusals.append(Refusal(profile.name, reasons[0] if reasons else "not valid"))
            return
        if len(values) == 1 and item.kind == "number" and evidence != "named" and \
                self._pending_options is None and implausibly_small(
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

    def _implies_today(self, message: Message, item: Found) -> bool:
        """A single date in a question about time until or since it ("how many days till
        our wedding on …", "how long since 1 jan"): the other end is today. Not when the
        message names two dates ("between … and …"), and not for a day and month without a
        year when nothing says whether the last or the next one is meant."""
        words = {token.text for i, token in enumerate(message.tokens)
                 if not item.first <= i <= item.last}  # "3 weeks from today" is one date
        if not words & DURATION_CUES or words & {"between", "and", "from"}:
            return False
        today = self._today.isoformat()
        if any(r == today for r in item.readings) or not item.readings:
            return False
        return all(r < today for r in item.readings) or all(r > today for r in
                                                            item.readings)

    def _implied_today(self, state: State, message: Message, proposals: list[Proposal],
                       today: dt.date) -> None:
        """'how many days since 1 jan 2026?' runs until today; 'until march 14' from today.
        Only for a workflow with two date inputs, the other one not known or given."""
        dates = [p.name for p in self.profile.inputs.values() if p.kind == "date"]
        if len(dates) != 2:
            return
        given = {p.input: p for p in proposals if p.input in dates}
        if len(given) != 1 or not set(message.words) & DURATION_CUES:
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


def _inexact(profile: InputProfile, item: Found) -> Refusal:
    """A number whose unit has no exact conversion to the input's ("3 lb" for kg)."""
    target = profile.unit or "the unit asked for"
    return Refusal(profile.name, f"“{item.text}” can't be turned into an exact number of "
                   f"{target}; please give it in {target}")
