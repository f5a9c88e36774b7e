""""Did you mean …" for names an author mistyped: nodes, inputs, fields and node types."""

from __future__ import annotations

import difflib
import types
from typing import Any, Iterable, Union, get_args, get_origin

from pydantic import BaseModel


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """` (did you mean 'x'?)` when one known name is close to `name`, else ``."""
    close = difflib.get_close_matches(str(name), sorted(set(known)), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _unwrap(annotation: Any) -> Any:
    """`X | None` and `Optional[X]` as `X` (the first non-None member of a union)."""
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        return members[0] if members else annotation
    return annotation


def _field_names(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def fields_at(model: type[BaseModel], location: tuple[Any, ...]) -> list[str]:
    """The field names of the object at `location` (a pydantic error location without its
    last part) inside `model`; empty when that object is not a model."""
    current: Any = model
    for part in location:
        current = _unwrap(current)
        origin = get_origin(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            match = [f for n, f in current.model_fields.items() if part in (n, f.alias)]
            if not match:
                return []
            current = match[0].annotation
        elif origin is dict:
            current = get_args(current)[1]
        elif origin in (list, tuple):
            current = get_args(current)[0]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return _field_names(current)
    return []
