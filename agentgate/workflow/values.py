"""Turning what a user typed into a valid input value, or a reason it is not one.

Stored values are JSON-compatible (dates as `YYYY-MM-DD`); `for_template` gives templates
real `datetime.date` objects.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Any

from agentgate.errors import AgentgateError
from agentgate.extraction.dates import DateReader
from agentgate.extraction.numbers import MAX_DIGITS, find_numbers, tidy, tokenize
from agentgate.workflow.model import QueryInput
from agentgate.workflow.patterns import full_match


class InvalidValue(AgentgateError, ValueError):
    """A value the input cannot take; the message says why, for the user."""


_TRUE = {"yes", "y", "true", "t", "1", "on", "yeah", "yep", "sure", "ok"}
_FALSE = {"no", "n", "false", "f", "0", "off", "nope"}


def coerce(spec: QueryInput, raw: Any) -> Any:
    """Return the stored form of `raw` for `spec`, or raise InvalidValue with the reason."""
    if isinstance(raw, str):
        raw = raw.strip()
        if not raw:
            raise InvalidValue("the answer was empty")
    value = _PARSERS[spec.type](raw)
    if spec.type == "array":
        value = [_check_enum(spec, item) for item in value]
        for item in value:
            _check_pattern(spec, item)
        return value
    if spec.type == "string":
        value = _check_enum(spec, value)
        _check_pattern(spec, value)
        return value
    if spec.enum is not None and value not in [_PARSERS[spec.type](e) for e in spec.enum]:
        raise InvalidValue(f"it must be one of {_listing(spec.enum)}")
    _check_range(spec, value)
    return value


def for_template(spec: QueryInput, stored: Any) -> Any:
    if spec.type == "date" and isinstance(stored, str):
        return dt.date.fromisoformat(stored)
    return stored


def describe(spec: QueryInput) -> str:
    """A short hint of what is accepted, e.g. 'a whole number from 1 to 50'."""
    if spec.enum is not None:
        text = "one of " + _listing(spec.enum)
        return ("any of " + _listing(spec.enum) + ", separated by commas"
                if spec.type == "array" else text)
    text = {"string": "text", "number": "a number", "integer": "a whole number",
            "boolean": "yes or no", "date": "a date such as 2026-03-14",
            "array": "a list separated by commas"}[spec.type]
    low, high = spec.minimum, spec.maximum
    if low is not None and high is not None:
        text += f" from {_fmt(low)} to {_fmt(high)}"
    elif low is not None:
        text += f", at least {_fmt(low)}" if spec.type != "date" else f", not before {low}"
    elif high is not None:
        text += f", at most {_fmt(high)}" if spec.type != "date" else f", not after {high}"
    return text


def shown(value: Any) -> str:
    """A stored value as a user reads it back."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return _fmt(value) if isinstance(value, (int, float)) else str(value)


def _listing(options: list[Any]) -> str:
    return ", ".join(f"`{shown(option)}`" for option in options)


def _fmt(number: Any) -> str:
    if isinstance(number, float) and number.is_integer():
        return f"{int(number):,}" if abs(number) >= 10_000 else str(int(number))
    if isinstance(number, int) and abs(number) >= 10_000:
        return f"{number:,}"
    return str(number)


def _parse_number(raw: Any) -> float | int:
    if isinstance(raw, bool):
        raise InvalidValue("it must be a number")
    if isinstance(raw, (int, float)):
        if isinstance(raw, int) and abs(raw) >= 10 ** MAX_DIGITS:
            raise InvalidValue("that number is too large")
        number = float(raw)
        if not math.isfinite(number):
            raise InvalidValue("it must be a finite number")
        return tidy(number)
    text = str(raw)
    lower = text.lower()
    found = find_numbers(lower, tokenize(lower), set())
    if not found:
        if re.search(r"\d{%d,}" % (MAX_DIGITS + 1), text):
            raise InvalidValue("that number is too large")
        raise InvalidValue(f"{text!r} is not a number")
    if len(found) > 1:
        raise InvalidValue(f"{text!r} holds more than one number; please give just one")
    number = found[0]
    if number.vague:
        raise InvalidValue(f"{text!r} is not an exact number")
    # A value given as data (the command line, the internal LLM, a file) reads "6.875" as
    # a decimal; a chat answer with two readings is asked about by the reader instead.
    return number.value


def _parse_integer(raw: Any) -> int:
    number = _parse_number(raw)
    if isinstance(number, float):
        raise InvalidValue("it must be a whole number")
    return number


def _parse_boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    word = re.split(r"[\s,.!]+", text, maxsplit=1)[0] if text else text
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise InvalidValue("please answer yes or no")


def _parse_date(raw: Any) -> str:
    if isinstance(raw, dt.date):
        return raw.isoformat()
    text = str(raw).strip()
    lower = text.lower()
    found = DateReader(dt.date.today()).find(lower, tokenize(lower), set())
    if len(found) == 1 and found[0].problem:
        raise InvalidValue(found[0].problem)
    if len(found) == 1 and len(found[0].values) == 1:
        return found[0].value.isoformat()
    if len(found) == 1 and found[0].ambiguous:
        readings = " or ".join(f"{d:%-d %B %Y}" for d in found[0].values)
        raise InvalidValue(f"{text!r} could be {readings}; please write it as YYYY-MM-DD")
    if len(found) > 1:
        raise InvalidValue(f"{text!r} holds more than one date; please give just one")
    raise InvalidValue(f"{text!r} is not a date I can read; please use YYYY-MM-DD")


def _parse_string(raw: Any) -> str:
    if isinstance(raw, (dict, list)):
        raise InvalidValue("it must be text")
    return str(raw).strip()


def _parse_array(raw: Any) -> list[str]:
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):
            try:
                raw = json.loads(text)
            except json.JSONDecodeError:
                pass
    if isinstance(raw, str):
        items = re.split(r"[,;\n]|\band\b", raw)
    elif isinstance(raw, list):
        items = [_parse_string(item) for item in raw]
    else:
        raise InvalidValue("it must be a list")
    items = [item.strip() for item in items if item and item.strip()]
    if not items:
        raise InvalidValue("the list was empty")
    return items


def _check_enum(spec: QueryInput, value: str) -> str:
    if spec.enum is None:
        return value
    options = [str(option) for option in spec.enum]
    lowered = value.lower()
    exact = [option for option in options if option.lower() == lowered]
    if exact:
        return exact[0]
    starts = [option for option in options if option.lower().startswith(lowered)]
    if len(starts) == 1 and len(lowered) >= 2:
        return starts[0]
    raise InvalidValue(f"{value!r} is not one of {_listing(spec.enum)}")


def _check_pattern(spec: QueryInput, value: str) -> None:
    if spec.pattern is not None and not full_match(spec.pattern, value):
        raise InvalidValue(f"{value!r} does not have the expected form")


def _check_range(spec: QueryInput, value: Any) -> None:
    low, high = spec.minimum, spec.maximum
    if low is not None and value < low:
        raise InvalidValue(f"it must be at least {_fmt(low)}" if spec.type != "date"
                           else f"it must not be before {low}")
    if high is not None and value > high:
        raise InvalidValue(f"it must be at most {_fmt(high)}" if spec.type != "date"
                           else f"it must not be after {high}")


_PARSERS = {"string": _parse_string, "number": _parse_number, "integer": _parse_integer,
            "boolean": _parse_boolean, "date": _parse_date, "array": _parse_array}
