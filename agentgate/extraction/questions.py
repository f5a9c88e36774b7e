"""The question for an input that has no `question` of its own, built from its description
so that it reads as English whatever form the description takes:

    "Total budget in US dollars"          What is the total budget in US dollars?
    "Decimal places" (a number)           How many decimal places?
    "Number of guests"                    How many guests?
    "Cities to visit"                     What are the cities to visit?
    "Whether to add breakfast"            Should I add breakfast?
    "Whether you want breakfast"          Please say whether you want breakfast.
    "How comfortable the trip should be"  Please say how comfortable the trip should be.
    "A city"                              Please give a city.
"""

from __future__ import annotations

import re

from agentgate.workflow.model import QueryInput

_DETERMINERS = frozenset({"a", "an", "any", "some", "your", "my", "this", "that", "each",
                          "every", "one"})
_QUESTION_WORDS = frozenset({"how", "when", "where", "which", "what", "who", "whom", "whose",
                             "why", "if", "whether"})
# Where the head of a noun phrase ends: punctuation, or a preposition or relative word.
_HEAD_END = re.compile(r"[,;:(]|\s(?:to|of|for|in|on|at|from|with|by|per|that|which|who|"
                       r"and|or|as|before|after)\b", re.I)
_NOT_PLURAL = ("ss", "us", "is", "ics")


def _lower_first(text: str) -> str:
    """'Total budget' → 'total budget'; an acronym ('URL of…', 'US…') stays as it is."""
    first = text.split(None, 1)[0] if text.split() else ""
    if len(first) > 1 and first.isupper():
        return text
    return text[:1].lower() + text[1:]


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _is_plural(phrase: str) -> bool:
    """Whether the phrase's head ('decimal places', 'guests staying') is a plural noun."""
    head = _HEAD_END.split(phrase, maxsplit=1)[0].lower().split()
    return any(len(word) > 3 and word.endswith("s") and not word.endswith(_NOT_PLURAL)
               for word in head)


def question_for(name: str, spec: QueryInput) -> str:
    if spec.question:
        return spec.question
    text = spec.description.strip()
    if text.endswith("?"):
        return text
    # An aside after a semicolon or in brackets explains; it is not part of what is asked.
    phrase = re.split(r"\s*[;(]", text.rstrip(". "), maxsplit=1)[0].rstrip(" ,") or name
    words = phrase.split()
    first = words[0].lower()
    rest = phrase[len(words[0]):].strip()
    if first == "whether" and rest.lower().startswith("to "):
        return f"Should I {_lower_first(rest[3:])}?"
    if first in _QUESTION_WORDS:
        return f"Please say {_lower_first(phrase)}."
    if first in _DETERMINERS:
        return f"Please give {_lower_first(phrase)}."
    if first == "number" and rest.lower().startswith("of ") and len(rest) > 3:
        return f"How many {_lower_first(rest[3:])}?"
    if _is_plural(phrase) and spec.type in ("number", "integer"):
        return f"How many {_lower_first(phrase)}?"
    return f"What {'are' if _is_plural(phrase) else 'is'} the {_lower_first(phrase)}?"
