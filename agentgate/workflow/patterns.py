"""Author patterns (`pattern` on an input), matched in time linear in the answer's length.

Patterns run with RE2, which has no backtracking: `(a+)+b` against a long answer costs as
little as any other pattern. The price is that backreferences and lookaround are not
available; a pattern that needs them is refused when the workflow loads.
"""

from __future__ import annotations

import functools

import re2

from agentgate.errors import AgentgateError

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False
MAX_PATTERN = 1_000


class PatternError(AgentgateError, ValueError):
    """A pattern RE2 cannot run; the message says why, for the workflow's author."""


@functools.lru_cache(maxsize=512)
def compiled(pattern: str):
    if len(pattern) > MAX_PATTERN:
        raise PatternError(f"`pattern` is longer than {MAX_PATTERN} characters")
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise PatternError(f"`pattern` is not a regular expression agentgate can check in "
                           f"linear time ({detail}); backreferences and lookaround are not "
                           "supported") from None


def full_match(pattern: str, value: str) -> bool:
    return compiled(pattern).fullmatch(value) is not None
