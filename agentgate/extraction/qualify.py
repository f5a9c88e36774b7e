"""Values that are not what they seem (negated, relative, per period, alternatives, ranges,
corrections, option words used as plain English), settled before any value is given to an
input."""

from __future__ import annotations

import datetime as dt

from agentgate.conversation.state import State
from agentgate.extraction.evidence import (ALTERNATIVE_WORDS, BUT_WORDS, CHANGING,
                                           COMBINING, COUNTED_FROM, PEOPLE_WORDS, Found,
                                           ORDINAL_IDIOMS, PERIODS, SELF_CORRECTION, bind,
                                           correction_points, holder_of, is_negated,
                                           is_relative, period_word_after, span_text)
from agentgate.extraction.lexicon import FILLER, ORDINALS, UNIT_WORDS
from agentgate.extraction.message import Message
from agentgate.extraction.reading import Choice, Proposal, Refusal


def _parts_of_one(words: list[str], first: Found, second: Found) -> bool:
    """"4% plus 1.5%", "2 adults and 3 kids": two figures that add up to one."""
    between = set(words[first.last + 1:second.first])
    if between & COMBINING and set(first.homes) & set(second.homes):
        return True
    # People counted in groups: "2 adults and 3 kids", "3 of us plus a baby".
    first_noun, second_noun = _noun(words, first), _noun(words, second)
    return bool(first.homes) and bool(between) and between <= {"and", ",", "&", "with",
                                                               "plus"} and \
        first_noun != second_noun and second_noun in PEOPLE_WORDS and (
            first_noun in PEOPLE_WORDS or words[first.last + 1:first.last + 3] == ["of", "us"])


def _noun(words: list[str], item: Found) -> str:
    """The word a count counts: inside its span ("3 kids") or just after it."""
    if words[item.last].isalpha():
        return words[item.last]
    return words[item.last + 1] if item.last + 1 < len(words) else ""


class Qualifier:
    """A stage of `OfflineReader` (see `offline.py`): it uses the reader's profile and the
    state the reader keeps while it reads one message."""

    def _qualify(self, message: Message, found: list[Found]):
        """Values that are not what they seem: negated ("not 5%"), one of two alternatives
        ("6.5 or 7"), a range ("300k-350k"), a rate per month or an income per year ("85k a
        year"), a change relative to something ("add 20k", "up 1%")."""
        self._negated_any = False
        kept: list[Found] = []
        negated_last: Found | None = None
        for position, item in enumerate(found):
            chained = negated_last is not None and negated_last.kind == item.kind and all(
                t.text in ("and", "or", ",", "nor") for t in
                message.tokens[negated_last.last + 1:item.first])
            negated_last = item if (chained or is_negated(message, item)) else None
            if negated_last is not None:
                self._negated_any = True
                # "5.1 not 5.01": the value it is not names the input the other one is for.
                holder = holder_of(self._state_values, item)
                others = [f for f in found[max(0, position - 1):position + 2]
                          if f is not item and f.kind == item.kind]
                if holder is not None and len(others) == 1 and not others[0].bound:
                    bind(others[0], holder)
                continue
            if item.kind == "number" and is_relative(message, item):
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
                    second.readings == (1,) and second.unit in PERIODS and \
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
            period = period_word_after(message, item)
            if period is not None and item.kind == "number" and not (
                    item.unit == "percent" and period == "years"):
                item.foreign = True
        kept = self._composite(message, kept)
        alternatives, ranges = [], []
        index = 0
        while index < len(kept) - 1:
            first, second = kept[index], kept[index + 1]
            between = [t.text for t in message.tokens[first.last + 1:second.first]]
            words = [w for w in between if w not in (",", ".", "'", "’")]
            if first.kind == second.kind and set(words) & {"but", "now", "need", "needs",
                                                          "instead", "however"} and \
                    set(words) <= BUT_WORDS \
                    and set(first.homes) & set(second.homes) and not first.bound:
                # "they offered 7 but I negotiated 6.5": the value after "but" holds.
                second.homes = [h for h in second.homes if h in first.homes] or second.homes
                kept.pop(index)
                continue
            if first.kind == second.kind and set(words) <= ALTERNATIVE_WORDS and \
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

    def _composite(self, message: Message, kept: list[Found]) -> list[Found]:
        """Figures that are not one value: made of two ("4% plus a 1.5% margin"), counted
        from another figure ("2% above base", "prime + 2%"), or changing over time ("3% for
        5 years then variable"). Each is refused, so the user is asked for the one figure
        to use; a period the figure holds for ("for 5 years") is no value either."""
        words = [t.text for t in message.tokens]
        result: list[Found] = []
        index = 0
        while index < len(kept):
            item = kept[index]
            if item.kind != "number" or item.problem:
                result.append(item)
                index += 1
                continue
            last = item.last
            following = kept[index + 1] if index + 1 < len(kept) else None
            if following is not None and following.kind == "number" and \
                    _parts_of_one(words, item, following):
                item.homes = [h for h in item.homes if h in following.homes] or item.homes
                last = following.last
                if last + 1 < len(words) and words[last + 1].isalpha() and \
                        words[last + 1] not in FILLER:
                    last += 1  # "… plus a 1.5% margin", "… and 3 kids": quote the noun too
                index += 1  # the second figure is part of this one
            before, after = words[max(0, item.first - 2):item.first], words[last + 1:last + 3]
            # "2% above base", "2% plus the bank's margin"; "prime plus 2%"
            counted_from = len(after) == 2 and after[0] in COMBINING | COUNTED_FROM and \
                not after[1][:1].isdigit()
            added_to = len(before) == 2 and before[1] in COMBINING and \
                before[0] not in FILLER and not before[0][:1].isdigit()
            changing = set(words[last + 1:]) & CHANGING
            if last != item.last or counted_from or added_to:
                start = item.first - 2 if added_to else item.first
                end = last + 2 if counted_from else last
                item.problem = (f"“{span_text(message, start, end)}” is worked out from "
                                "more than one figure; please give the one figure to use")
            elif changing and words[item.first - 1:item.first] == ["for"] and \
                    item.unit in PERIODS:
                index += 1
                continue  # "for 5 years then variable": how long a figure holds
            elif changing and item.unit not in PERIODS:
                item.problem = (f"“{span_text(message, item.first, item.last)}” changes over "
                                "time; please give the one figure to use")
            result.append(item)
            index += 1
        return result

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
                written = span_text(message, first.first, second.last)
                refusals.append(Refusal(home, f"“{written}”"
                                        " is a range; please give one value"))
            else:
                readings = []
                for item in (first, second):
                    temporary: list[Proposal] = []
                    self._propose_found(home, item, "kind", temporary, [], [])
                    readings += [p.value for p in temporary]
                if len(set(map(str, readings))) == 2:
                    choices.append(Choice(home, tuple(readings), span_text(
                        message, first.first, second.last)))
                else:
                    left_out = True
                    continue
            taken.add(home)
        return left_out

    def _idiom(self, message: Message, item: "Found") -> bool:
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
        if ordinal and after.text in ORDINAL_IDIOMS:
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

    def _corrections(self, state: State, message: Message, found: list[Found]
                     ) -> list[Found]:
        """'march 3, no wait, march 13' keeps the second; '5.1 not 5.01' gives 5.1 the
        input that holds 5.01."""
        kept = list(found)
        cues = correction_points(message)
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
            if between and set(between) <= SELF_CORRECTION and set(between) & {
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
                    between) <= SELF_CORRECTION | {"instead", "of", "than", "the", "a", "an",
                                                    "haha", "lol"} \
                    and first.kind in ("number", "option", "date"):
                # "5.1 not 5.01", "85 thousand, not 85 bucks": the second is what it is not.
                holder = holder_of(state.values, second)
                if holder is not None:
                    bind(first, holder)
                kept[index + 1] = None
        return [item for item in kept if item is not None]

