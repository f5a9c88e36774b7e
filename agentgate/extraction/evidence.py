"""What the offline reader knows about the values in a message while it reads: each value
seen (`Found`), the word lists that say what the words around a value mean, and small
helpers the reading stages (`mentions`, `qualify`, `assign`) share."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from agentgate.conversation.state import Pending
from agentgate.extraction.followup import shown_as
from agentgate.extraction.lexicon import NO, YES
from agentgate.extraction.message import Message
from agentgate.extraction.numbers import tidy
from agentgate.extraction.profile import InputProfile
from agentgate.extraction.reading import Choice, Proposal
from agentgate.workflow.values import InvalidValue


# Words allowed between an alias and its value: "the rate is about 4".
CONNECTORS = {"is", "of", "at", "to", "=", ":", "be", "should", "will", "would", "was",
               "around", "about", "approx", "approximately", "roughly", "maybe", "set",
               "the", "a", "an", "for", "just", "exactly", "it", "it's", "its", "on", "like",
               "change", "make", "'s", "s", "-", "needs", "need", "must", "amount", "only",
               "say", "are", "were", "we're", "i'm", "in", "by", "with", "me", "my", "our",
               "us", "totally", "total", "altogether", "nearly", "almost", "max", "min",
               "over", "under", "from", "until", "till", "starting", "ending", "than"}


# Words before an option that ask for it even in a question: "can I see the breakdown?"
REQUEST_VERBS = {"see", "show", "get", "add", "include", "including", "count", "with",
                  "without", "want", "also", "plus", "and", "no", "skip", "drop", "remove",
                  "exclude", "excluding", "counting", "display", "give", "need", "like",
                  "wants", "needs", "turn", "switch", "put", "print", "list", "incl", "inc",
                  "only"}


SELF_CORRECTION = {"no", "wait", "sorry", "i", "mean", "meant", "actually", "or", "rather",
                    "correction", "oops", "scratch", "that", "make", "it", "not", "uh", "um",
                    "erm", "hmm"}


PAST_CUES = {"ago", "since", "born", "been", "passed", "elapsed", "old", "did", "came",
              "went"}


WEAK_PAST_CUES = {"started", "began", "was", "were", "got", "had", "survived", "along",
                   "far", "lasted"}


FUTURE_CUES = {"until", "till", "til", "left", "away", "countdown", "will", "next",
                "coming", "before", "due", "go", "remaining", "upcoming"}


DURATION_CUES = {"ago", "old", "been", "left", "away", "countdown", "how", "elapsed",
                  "passed", "remaining"}


PEOPLE_PHRASES = {("just", "me"): 1, ("only", "me"): 1, ("myself",): 1, ("me", "alone"): 1,
                   ("on", "my", "own"): 1, ("solo",): 1, ("alone",): 1, ("just", "myself"): 1,
                   ("the", "two", "of", "us"): 2, ("both", "of", "us"): 2,
                   ("my", "wife", "and", "i"): 2, ("my", "husband", "and", "i"): 2,
                   ("my", "partner", "and", "i"): 2, ("me", "and", "my", "wife"): 2,
                   ("me", "and", "my", "husband"): 2, ("me", "and", "my", "partner"): 2,
                   ("the", "three", "of", "us"): 3, ("the", "four", "of", "us"): 4}


YEAR_PHRASES = {("this", "year"): 0, ("next", "year"): 1, ("last", "year"): -1,
                 ("the", "year", "after", "next"): 2, ("year", "after", "next"): 2,
                 ("current", "year"): 0, ("the", "following", "year"): 1}


@dataclass
class Found:
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
    foreign: bool = False             # a count of something no input is about
    problem: str | None = None
    extra: dict = field(default_factory=dict)


def holder_of(values: dict[str, Any], item: Found) -> str | None:
    """The one input whose stored value is a reading of `item` ("5.1 not 5.01": 5.01 is
    the rate's value, so 5.1 is for the rate), or None."""
    holders = [name for name, value in values.items() if value in item.readings]
    return holders[0] if len(holders) == 1 else None


def bind(item: Found, name: str) -> None:
    """Give `item` to the input `name`, as an alias next to it would."""
    item.bound = name
    item.homes = list(set(item.homes) | {name})


def convert(value: Any, factor: Any) -> Any:
    if factor in (1, None):
        return value
    return tidy(float(Fraction(str(value)) * factor))


def refused_in_unit(profile: InputProfile, item: "Found", factor: Any) -> str | None:
    """Why a number in this input's unit cannot be its value ("“80 years” is 80 years, but
    it must be at most 50"), or None when it can."""
    value = convert(item.readings[0], factor)
    try:
        profile.check(value)
    except InvalidValue as exc:
        return f"“{item.text}” is {shown_as(value, profile.unit)}, but {exc}"
    return None


def stems(word: str) -> list[str]:
    """'nights' → night: the plural of an alias names it too (verb forms do not: "my
    holiday starts in 3 weeks" is not the workflow's start)."""
    stems = []
    for suffix, replacement in (("s", ""), ("es", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stems.append(word[:-len(suffix)] + replacement)
    return stems


def value_end(text: str) -> int:
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


def span_text(message: Message, first: int, last: int) -> str:
    return message.text[message.tokens[first].start:message.tokens[last].end]


def phrases(message: Message, table: dict[tuple[str, ...], Any]):
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


def yes_no(message: Message) -> bool | None:
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


def strip_filler_edges(text: str) -> str:
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


def looks_like_noun(word: str) -> bool:
    return word.isalpha() and len(word) > 2 and word not in ("and", "or", "but", "then",
                                                             "please", "thanks")


def kind_phrase(profile: InputProfile) -> str:
    if profile.unit:
        return f"a number of {profile.unit}"
    return {"integer": "a whole number", "number": "a number", "year": "a year"}.get(
        profile.kind, f"a {profile.kind}")


VALUE_NEGATIONS = {"not", "no", "never", "exclude", "excluding", "except", "apart",
                   "isn't", "isnt", "don't", "dont", "doesn't", "doesnt", "won't", "wont",
                   "without", "nor", "neither", "aren't", "arent", "wasn't",
                   "wasnt", "shan't", "didn't", "didnt", "cannot", "can't", "cant"}


NEGATION_GAP = {"a", "an", "the", "have", "want", "need", "like", "my", "it", "is", "be",
                 "in", "on", "at", "for", "any", "do", "really", "got", "own", "from",
                 "starting", "until", "till", "to", "by"}


ALTERNATIVE_WORDS = {"or", "maybe", "perhaps", "possibly", "either", "i", "think", "not",
                      "sure", "yet", "it's", "its", "could", "be", "might", "so", "s", "it",
                      "if", "the", "weather", "is", "bad", "depending"}


RELATIVE_BEFORE = {"add", "adds", "adding", "plus", "up", "another", "extra", "additional",
                    "by", "increase", "increased", "decrease", "decreased", "raise", "raised",
                    "lower", "cut", "reduce", "reduced", "drop", "dropped", "than", "after",
                    "before", "within", "retire", "retiring", "retirement"}


PERIODS = {"years", "months", "weeks", "days"}


ADDING = {"add", "adds", "adding", "another", "extra", "additional", "plus"}
# "4% plus a 1.5% margin", "base + 2%": one figure made of others.
COMBINING = {"plus", "+", "minus", "margin", "spread", "markup"}
# "2% above base": a figure counted from another one.
COUNTED_FROM = {"above", "below"}
# "2 adults and 3 kids": people counted in groups.
PEOPLE_WORDS = {"adult", "adults", "kid", "kids", "child", "children", "baby", "babies",
                "infant", "infants", "teen", "teens", "teenager", "teenagers", "toddler",
                "toddlers", "people", "persons", "guests", "grown-ups", "seniors"}
# "3% for 5 years then variable", "5% now, rising to 7%": a figure that will change.
CHANGING = {"rises", "rising", "increases", "increasing", "decreases", "decreasing",
            "variable", "floating", "reverts", "resets", "adjusts", "adjustable",
            "thereafter", "afterwards", "tracker", "stepped", "steps"}


BUT_WORDS = {"but", "i", "we", "need", "needs", "instead", "however", "show", "me", "for",
              ",", "so", "please", "negotiated", "got", "it", "down", "to", "mine", "is", "was",
              "ours", "our", "my", "the", "bank", "lender", "offered", "gave", "us",
              "now", "actually", "in", "end", "they", "finally", "agreed", "it's",
              "its", "s", "last", "year", "this", "time", "rate", "a", "better", "deal",
              "of", "at", "want", "borrow", "only", "just"}


def is_negated(message: Message, item: "Found") -> bool:
    """'not 5%', 'no fan', "I don't have a fan oven": the value is what the user does not
    mean. A comma ends the look back: "no, 4%" says 4%."""
    index, steps = item.first - 1, 0
    while index >= 0 and steps < 4:
        token = message.tokens[index]
        if token.kind != "word":
            return False
        if token.text in VALUE_NEGATIONS:
            return True
        if token.text not in NEGATION_GAP:
            return False
        index, steps = index - 1, steps + 1
    return False


def is_relative(message: Message, item: "Found") -> bool:
    """'add 20k', 'up 1%', 'by 2 years', 'more than 5%', 'after 5 years', "I'm 40",
    'fixed for 5 years', '90% of 400k': a change, a bound, an age or a part of something,
    not a value."""
    words = [t.text for t in message.tokens[max(0, item.first - 2):item.first]]
    if words and (words[-1] in RELATIVE_BEFORE or (
            len(words) == 2 and words[0] in ADDING and words[1] in ("a", "an", "the"))):
        return True
    if words[-1:] in (["i'm"], ["im"], ["am"], ["aged"], ["age"]) or words == ["fixed", "for"]:
        return True
    if words[-1:] == ["of"] and len(words) == 2 and words[0] in ("%", "percent"):
        return True
    return False


def period_word_after(message: Message, item: "Found") -> str | None:
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


ORDINAL_IDIOMS = {"thing", "things", "time", "times", "question", "questions", "minute",
                   "try", "attempt", "step", "off", "of", "i", "we", "you", "let's", "lets",
                   "let", "night", "week", "year", "month", "day", "place",
                   "impression", "choice", "name", "person", "hand", "resort", "chance"}


CUES = {"make", "it", "change", "to", "switch", "about", "instead", "rather", "try", "use",
         "want", "go", "with", "the", "a", "an", "for", "just", "only", "then",
         "need", "prefer", "like", "take", "do", "pick", "choose", "chose", "please", "would",
         "i'd", "we'd", "id", "me", "us", "show", "give", "book", "get", "have"}


def after_cue(message: Message, item: "Found") -> bool:
    """'make it the first', 'what about the last one', 'switch to fridays', 'I'd like the
    suite': the option is what the user asks for."""
    words = [t.text for t in message.tokens[max(0, item.first - 3):item.first]]
    return bool(words) and set(words) <= CUES and bool(set(words) & {
        "make", "change", "switch", "about", "instead", "rather", "try", "use", "want",
        "prefer", "like", "take", "pick", "choose", "chose", "book", "get", "have", "need",
        "give", "show"})


def correction_points(message: Message) -> list[int]:
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


def european_dots(found: list[Found]) -> None:
    """'€230.000 at 3,8%': a message with a decimal comma writes thousands with dots."""
    numbers = [f for f in found if f.kind == "number"]
    if not any(re.search(r"\d,\d{1,2}(?!\d)", f.text) and len(f.readings) <= 2
               for f in numbers):
        return
    for item in numbers:
        if len(item.readings) == 2 and re.search(r"\d\.\d{3}(?!\d)", item.text):
            item.readings = (max(item.readings),)


def implausibly_small(profile: InputProfile, item: Found, value: Any) -> bool:
    """'350' for a mortgage whose example is 250,000: 350, or 350 thousand?"""
    if profile.unit != "currency" or item.unit is not None or item.extra.get("scaled") \
            or item.extra.get("spelled") or not isinstance(value, (int, float)):
        return False
    examples = [e for e in profile.spec.examples if isinstance(e, (int, float))]
    return bool(examples) and 0 < value < min(min(examples) / 100, 1000)


def unique_matching(items: list[Found], targets: list[str]):
    """The only way to give each loose number its own fitting input, or None."""
    if not items or len(items) > len(targets) or len(items) > 4 or len(targets) > 8:
        return None  # bounded work: with more, the user is asked
    found = []
    for chosen in itertools.permutations(targets, len(items)):
        if all(name in item.homes for item, name in zip(items, chosen)):
            found.append(list(zip(items, chosen)))
            if len(found) > 1:
                break
    return found[0] if len(found) == 1 else None


def narrow(pending: Pending, proposals: list[Proposal], choices: list[Choice]):
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


def dedupe(proposals: list[Proposal]) -> list[Proposal]:
    seen: dict[str, Proposal] = {}
    for proposal in proposals:
        seen.setdefault(proposal.input, proposal)
    return list(seen.values())

