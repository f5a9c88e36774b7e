"""Units an input may declare, how a stated unit converts to it, and a unit inferred from an
input's words when the author gave none.

A conversion is offered only when it is exact: 36 months are 3 years, 30 months are not a
whole number of years, and "3 lb" is never silently turned into kilograms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

# unit -> (dimension, size in the dimension's base unit)
UNITS: dict[str, tuple[str, Fraction]] = {
    "years": ("calendar", Fraction(12)), "months": ("calendar", Fraction(1)),
    "weeks": ("days", Fraction(7)), "fortnights": ("days", Fraction(14)),
    "days": ("days", Fraction(1)),
    "nights": ("nights", Fraction(1)),
    "hours": ("clock", Fraction(60)), "minutes": ("clock", Fraction(1)),
    "seconds": ("clock", Fraction(1, 60)),
    "percent": ("percent", Fraction(1)),
    "currency": ("currency", Fraction(1)),
    "kg": ("mass", Fraction(1000)), "g": ("mass", Fraction(1)),
    "lb": ("mass-imperial", Fraction(16)), "oz": ("mass-imperial", Fraction(1)),
    "people": ("people", Fraction(1)), "children": ("children", Fraction(1)),
    "km": ("length", Fraction(1000)), "m": ("length", Fraction(1)),
    "cm": ("length", Fraction(1, 100)), "miles": ("length-imperial", Fraction(1)),
    "times": ("times", Fraction(1)),
}
DECLARABLE = sorted(set(UNITS) - {"times", "children", "fortnights"})
# Alternative spellings authors may use in `unit`.
UNIT_SYNONYMS = {"year": "years", "month": "months", "week": "weeks", "day": "days",
                 "night": "nights", "hour": "hours", "minute": "minutes",
                 "second": "seconds", "%": "percent", "percentage": "percent",
                 "money": "currency", "usd": "currency", "eur": "currency",
                 "dollars": "currency", "euros": "currency", "kilograms": "kg",
                 "kilogram": "kg", "grams": "g", "gram": "g", "guests": "people",
                 "persons": "people", "person": "people", "kilometres": "km",
                 "kilometers": "km", "metres": "m", "meters": "m"}
# A stated "week" of nights: a week's stay is seven nights.
_NIGHTS_FROM = {"weeks": Fraction(7), "fortnights": Fraction(14)}


def canonical_unit(name: str | None) -> str | None:
    """The unit an author's `unit` names, or None; raises ValueError for an unknown one."""
    if name is None:
        return None
    key = name.strip().lower()
    key = UNIT_SYNONYMS.get(key, key)
    if key not in UNITS:
        raise ValueError(f"unknown unit {name!r}; known units: {', '.join(DECLARABLE)}")
    return key


@dataclass(frozen=True)
class Conversion:
    """How a stated unit relates to an input's unit."""

    fits: bool               # the stated unit measures what the input measures
    factor: Fraction | None  # multiply the stated number by this (None: no exact conversion)


def conversion(stated: str, target: str | None) -> Conversion:
    """Whether `stated` (a unit read in a message) can be a value of an input in `target`."""
    if stated == "pounds":  # money or weight, as the input needs
        stated = "currency" if target in (None, "currency") else "lb"
    if stated not in UNITS or (target is not None and target not in UNITS):
        return Conversion(False, None)  # a time of day, an unknown word: fits no input
    if target is None:
        return Conversion(stated in ("currency",), Fraction(1) if stated == "currency" else None)
    if stated == target:
        return Conversion(True, Fraction(1))
    if target == "nights" and stated in _NIGHTS_FROM:
        return Conversion(True, _NIGHTS_FROM[stated])
    if target == "nights" and stated == "days":
        return Conversion(True, None)  # a 3-day stay may be 2 or 3 nights: ask
    stated_dimension, stated_size = UNITS[stated]
    target_dimension, target_size = UNITS[target]
    if stated_dimension.split("-")[0] != target_dimension.split("-")[0]:
        return Conversion(False, None)
    if stated_dimension != target_dimension:
        return Conversion(True, None)  # imperial and metric: not exact, ask
    return Conversion(True, stated_size / target_size)


_INFER = [
    ("percent", r"\bpercent|%|\bper cent\b|\bpercentage\b"),
    ("nights", r"\bnights\b"),
    ("years", r"\b(?:in|of|how many) years\b|\byears\b(?! old)"),
    ("months", r"\b(?:in|of|how many) months\b|\bmonths\b"),
    ("weeks", r"\b(?:in|of|how many) weeks\b|\bweeks\b"),
    ("days", r"\b(?:in|of|how many) days\b|\bdays\b"),
    ("hours", r"\bhours\b"),
    ("minutes", r"\bminutes\b"),
    ("kg", r"\bkilo(?:gram)?s?\b|\bkg\b"),
    ("g", r"\bgrams?\b"),
    ("people", r"\b(?:guests|people|persons|travell?ers|adults|attendees)\b"),
    ("currency", r"\b(?:dollars|euros|pounds sterling|usd|eur|gbp|budget|price|cost|salary|"
                 r"income|amount borrowed|loan amount|how much .*(?:borrow|spend|pay|cost|"
                 r"invest|save|lend))\b|[$€£]"),
]
_INFER = [(unit, re.compile(pattern, re.I)) for unit, pattern in _INFER]


def infer_unit(kind: str, words: str) -> str | None:
    """A unit for a number input from its name, description and question, or None."""
    if kind not in ("number", "integer"):
        return None
    for unit, pattern in _INFER:
        if pattern.search(words):
            return unit
    return None
