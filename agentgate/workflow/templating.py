"""Node parameters as jinja2 templates, rendered in a sandbox with StrictUndefined.

User values only ever enter as data in the context, never as template source. `references`
reads a template's AST to find which `nodes.*`, `inputs.*`, `fixed.*` and `vars.*` names it uses, so
the loader can order nodes and report unknown names before anything runs.
"""

from __future__ import annotations

import calendar
import contextvars
import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, safe_range

from agentgate.errors import AgentgateError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def nth_weekday(year: int, month: int, weekday: str | int, n: int) -> dt.date | None:
    """The n-th given weekday of a month (n=-1 for the last); None when it does not exist."""
    if n == 0:
        return None
    index = _weekday_index(weekday)
    days = [day for day in range(1, calendar.monthrange(year, month)[1] + 1)
            if dt.date(year, month, day).weekday() == index]
    try:
        return dt.date(year, month, days[n - 1 if n > 0 else n])
    except IndexError:
        return None


def _weekday_index(weekday: str | int) -> int:
    """0 for Monday; accepts 'Monday', 'mon' or 0-6."""
    if not isinstance(weekday, str):
        return int(weekday) % 7
    name = weekday.strip().lower()
    matches = [i for i, day in enumerate(WEEKDAYS) if len(name) >= 2 and day.startswith(name)]
    if len(matches) != 1:
        raise ValueError(f"{weekday!r} is not a day of the week")
    return matches[0]


def add_days(day: dt.date, count: int) -> dt.date:
    return day + dt.timedelta(days=int(count))


def days_between(start: dt.date, end: dt.date) -> int:
    return (end - start).days


def number(value: float, decimals: int = 2) -> str:
    """1234567.891 -> '1,234,567.89'."""
    return f"{value:,.{decimals}f}"


def date_format(day: dt.date, fmt: str = "%A %d %B %Y") -> str:
    return day.strftime(fmt)


MAX_STEPS = 5_000_000       # attribute reads, calls, operators and loop turns per step
MAX_SIZE = 1_000_000        # characters or items one operation may build
MAX_EXPONENT = 10_000


class TemplateTooCostly(AgentgateError):
    """A template did more work than a step may, or built something too large."""


@dataclass
class Budget:
    """What one step's templates may still spend: operations, and time until `deadline`
    (a `time.monotonic()` value)."""

    deadline: float
    limit: float
    steps: int = MAX_STEPS

    def spend(self, count: int = 1) -> None:
        self.steps -= count
        if self.steps < 0:
            raise TemplateTooCostly("a template did more work than a step may "
                                    f"({MAX_STEPS:,} operations)")
        if self.steps % 1024 < count and time.monotonic() > self.deadline:
            raise TimeoutError(f"it took longer than {self.limit:g} s")


BUDGET: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("agentgate_budget",
                                                                      default=None)


def _spend(count: int = 1) -> None:
    budget = BUDGET.get()
    if budget is not None:
        budget.spend(count)


class _Range:
    """`range` for templates: each turn of a loop over it is paid for."""

    def __init__(self, *args: int):
        self._range = safe_range(*args)

    def __iter__(self):
        for value in self._range:
            _spend()
            yield value

    def __len__(self) -> int:
        return len(self._range)


class LimitedEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, with a budget: a template cannot run longer than its step's time limit,
    nor build a string or list of millions of items, whatever it loops over."""

    intercepted_binops = frozenset({"*", "**", "+"})

    def call_binop(self, context, operator, left, right):
        _spend()
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > MAX_EXPONENT \
                and isinstance(left, (int, float)) and abs(left) > 1:
            raise TemplateTooCostly("a power too large to compute")
        if operator == "*":
            for sized, count in ((left, right), (right, left)):
                if isinstance(sized, (str, list, tuple)) and isinstance(count, int) and \
                        len(sized) * count > MAX_SIZE:
                    raise TemplateTooCostly("a repetition too large to build")
        result = super().call_binop(context, operator, left, right)
        if isinstance(result, (str, list, tuple)):
            _spend(len(result) // 64)
            if len(result) > MAX_SIZE:
                raise TemplateTooCostly("a string or list too large to build")
        return result

    def getattr(self, obj, attribute):
        """`a.b` on a dict reads its key `b` first: a node named `values` or an input named
        `items` is reached as `nodes.values` and `inputs.items`, not as the dict method."""
        _spend()
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)

    def getitem(self, obj, argument):
        _spend()
        return super().getitem(obj, argument)

    def call(self, __context, __obj, *args, **kwargs):
        _spend()
        return super().call(__context, __obj, *args, **kwargs)


def make_environment() -> ImmutableSandboxedEnvironment:
    env = LimitedEnvironment(undefined=StrictUndefined, autoescape=False,
                             keep_trailing_newline=False)
    env.globals["range"] = _Range
    env.globals.update(nth_weekday=nth_weekday, add_days=add_days, days_between=days_between,
                       month_name=lambda month: calendar.month_name[int(month)],
                       today=dt.date.today, WEEKDAYS=WEEKDAYS)
    env.filters.update(number=number, date=date_format)
    return env


ENVIRONMENT = make_environment()


@dataclass
class References:
    nodes: set[str] = field(default_factory=set)
    inputs: set[str] = field(default_factory=set)
    fixed: set[str] = field(default_factory=set)
    vars: set[str] = field(default_factory=set)

    def update(self, other: "References") -> None:
        self.nodes |= other.nodes
        self.inputs |= other.inputs
        self.fixed |= other.fixed
        self.vars |= other.vars


def references(source: str) -> References:
    """Names used as `nodes.x`, `nodes['x']`, `inputs.x`, `fixed.x` and `vars.x` in a
    template.

    Raises jinja2.TemplateSyntaxError for a template that does not parse.
    """
    found = References()
    for node in ENVIRONMENT.parse(source).find_all((nodes.Getattr, nodes.Getitem)):
        if not isinstance(node.node, nodes.Name):
            continue
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            name = node.arg.value
        else:
            continue
        group = getattr(found, node.node.name, None) if node.node.name in (
            "nodes", "inputs", "fixed", "vars") else None
        if group is not None:
            group.add(name)
    return found


def template_strings(value: Any) -> list[str]:
    """Every string inside a parameter value (strings, lists, dicts), in order."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in template_strings(item)]
    if isinstance(value, dict):
        return [s for item in value.values() for s in template_strings(item)]
    return []


def render(source: str, context: dict[str, Any]) -> str:
    return ENVIRONMENT.from_string(source).render(context)


def expression_references(expression: str) -> References:
    """Like `references`, for a bare jinja2 expression such as `nodes.search.json.items`."""
    return references("{{ " + expression + " }}")


def compile_expression(expression: str):
    """A callable taking the context and returning the expression's value (not text).

    Raises jinja2.TemplateSyntaxError for an expression that does not parse.
    """
    return ENVIRONMENT.compile_expression(expression, undefined_to_none=False)


__all__ = ["ENVIRONMENT", "References", "TemplateSyntaxError", "compile_expression",
           "expression_references", "references", "render", "template_strings"]
