"""What users type, turned into valid input values or a reason."""

from __future__ import annotations

import datetime as dt

import pytest

from agentgate.workflow.model import QueryInput
from agentgate.workflow.values import InvalidValue, coerce, describe, for_template


def spec(**fields) -> QueryInput:
    return QueryInput(description="x", **fields)


@pytest.mark.parametrize("raw, value", [
    ("250000", 250000), ("250,000", 250000), ("$250k", 250000), ("1.2 million", 1200000),
    ("about 6.5%", 6.5), ("30 years", 30), ("-3", -3), (".5", 0.5), (7, 7), (2.5, 2.5)])
def test_numbers(raw, value):
    assert coerce(spec(type="number"), raw) == value


@pytest.mark.parametrize("raw, reason", [
    ("between 5 and 6", "more than one number"), ("lots", "not a number"),
    ("", "empty"), (True, "must be a number"), ("inf", "not a number")])
def test_numbers_rejected(raw, reason):
    with pytest.raises(InvalidValue, match=reason):
        coerce(spec(type="number"), raw)


def test_ranges_and_integers():
    years = spec(type="integer", minimum=1, maximum=50)
    assert coerce(years, "30") == 30
    with pytest.raises(InvalidValue, match="at most 50"):
        coerce(years, "51")
    with pytest.raises(InvalidValue, match="at least 1"):
        coerce(years, "0")
    with pytest.raises(InvalidValue, match="whole number"):
        coerce(years, "2.5")
    assert describe(years) == "a whole number from 1 to 50"


@pytest.mark.parametrize("raw, value", [("yes", True), ("Yes please", True), ("n", False),
                                        ("no thanks", False), (False, False)])
def test_booleans(raw, value):
    assert coerce(spec(type="boolean"), raw) is value


def test_boolean_rejected():
    with pytest.raises(InvalidValue, match="yes or no"):
        coerce(spec(type="boolean"), "perhaps")


@pytest.mark.parametrize("raw", ["2026-03-05", "2026/03/05", "5 March 2026", "March 5th, 2026",
                                 "Mar 5 2026", "05.03.2026"])
def test_dates(raw):
    assert coerce(spec(type="date"), raw) == "2026-03-05"


def test_date_range_and_template_form():
    day = spec(type="date", minimum="2000-01-01", maximum="2099-12-31")
    with pytest.raises(InvalidValue, match="not be before 2000-01-01"):
        coerce(day, "1999-12-31")
    assert coerce(day, "today") == dt.date.today().isoformat()
    assert for_template(day, "2026-03-05") == dt.date(2026, 3, 5)
    with pytest.raises(InvalidValue, match="YYYY-MM-DD"):
        coerce(day, "the day after the party")


def test_enums_match_case_and_prefix_only():
    # Finding an option inside a sentence is the reader's work, with its evidence rules
    # ("hi, first time here" is not the option `first`); a value given as data is exact.
    size = spec(enum=["Small", "Medium", "Large"])
    assert coerce(size, "small") == "Small"
    assert coerce(size, "med") == "Medium"
    with pytest.raises(InvalidValue):
        coerce(size, "the large one please")
    with pytest.raises(InvalidValue, match="not one of `Small`, `Medium`, `Large`"):
        coerce(size, "huge")
    with pytest.raises(InvalidValue):
        coerce(size, "small or large")


def test_arrays_and_patterns():
    tags = spec(type="array", enum=["red", "green", "blue"])
    assert coerce(tags, "Red, green and BLUE") == ["red", "green", "blue"]
    assert coerce(tags, '["red"]') == ["red"]
    with pytest.raises(InvalidValue):
        coerce(tags, "red, pink")
    code = spec(pattern=r"[A-Z]{3}")
    assert coerce(code, "EUR") == "EUR"
    with pytest.raises(InvalidValue, match="expected form"):
        coerce(code, "euro")


@pytest.mark.parametrize("raw, outcome", [
    ("-$5", -5), ("1,234.5", 1234.5), ("1,5", 1.5), ("5, 6", "more than one number"),
    ("1e400", "not a number"), ("1" * 30, "too large"), ("6.875", 6.875),
    ("please", "yes or no")])
def test_number_edge_cases(raw, outcome):
    kind = "boolean" if raw == "please" else "number"
    if isinstance(outcome, str):
        with pytest.raises(InvalidValue, match=outcome):
            coerce(spec(type=kind), raw)
    else:
        assert coerce(spec(type=kind), raw) == outcome


def test_date_bounds_must_be_dates():
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        spec(type="date", minimum="next year")
    assert spec(type="date", minimum="2026-01-05").minimum == "2026-01-05"


def test_an_authors_pattern_runs_in_linear_time():
    # With a backtracking engine this answer would take longer than the universe has left.
    with pytest.raises(InvalidValue, match="expected form"):
        coerce(spec(pattern="(a+)+b"), "a" * 5000 + "c")


def test_a_pattern_that_needs_backtracking_is_refused_when_loaded():
    from pydantic import ValidationError
    with pytest.raises(ValidationError, match="backreferences and lookaround"):
        spec(pattern=r"(a)\1")


def test_a_huge_exponent_is_not_computed():
    with pytest.raises(InvalidValue, match="not a number"):
        coerce(spec(type="number"), "1e9999999")
