"""Template syntax errors an author can act on: where (field, line, column), the source line
with a caret under the spot, and a hint for the usual mistakes.

jinja2 reports only a line number. The column is found by lexing the source again and
noting where each token starts, then parsing with that token stream: the token the parser
stopped at is where the error is.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from jinja2 import TemplateSyntaxError
from jinja2.lexer import TokenStream
from jinja2.parser import Parser

from agentgate.workflow.templating import ENVIRONMENT

_NEWLINES = re.compile(r"\r\n|\r|\n")
_LEXER_AT = re.compile(r"^unexpected char (.*) at (\d+)$")
_UNCLOSED = re.compile(r"^Unexpected end of template\..*needs to be closed is '(\w+)'", re.S)
_MISNESTED = re.compile(r"^Encountered unknown tag '(\w+)'\..*needs to be closed is '(\w+)'",
                        re.S)
_EXCERPT_WIDTH = 72
# Tags that open a block which must be closed by `end<tag>`.
_BLOCK_TAGS = frozenset({"for", "if", "macro", "call", "filter", "with", "block",
                         "autoescape", "trans", "raw"})


def excerpt(line: str, column: int, indent: str = "    ") -> str:
    """`line` (cut to a window around `column` when long) and a caret under `column`
    (1-based), each on its own indented line."""
    start = 0
    if len(line) > _EXCERPT_WIDTH:
        start = max(0, min(column - 1 - _EXCERPT_WIDTH // 2, len(line) - _EXCERPT_WIDTH))
    shown = line[start:start + _EXCERPT_WIDTH]
    before = "…" if start > 0 else ""
    after = "…" if start + _EXCERPT_WIDTH < len(line) else ""
    pad = "".join(c if c == "\t" else " " for c in line[start:column - 1])
    return f"{indent}{before}{shown}{after}\n{indent}{' ' * len(before)}{pad}^"


_LEXER_FAILED = -1  # key in `positions`: where the lexer stopped, when it did


def _positioned_tokens(source: str, positions: dict[int, int],
                       state: str | None = None) -> Iterator[Any]:
    """The template's tokens, as the parser reads them; `positions` maps each token's id
    to its offset in `source`."""
    lexer = ENVIRONMENT.lexer
    at = [0]
    cursor = 0

    def raw() -> Iterator[tuple[int, str, str]]:
        nonlocal cursor
        try:
            for lineno, kind, value in lexer.tokeniter(source, None, state=state):
                found = source.find(value, cursor) if value else -1
                if found >= 0:
                    at[0], cursor = found, found + len(value)
                yield lineno, kind, value
        except TemplateSyntaxError:
            rest = source[cursor:]
            positions[_LEXER_FAILED] = cursor + len(rest) - len(rest.lstrip())
            raise

    for token in lexer.wrap(raw()):
        positions[id(token)] = at[0]
        yield token


def _stop(source: str, expression: bool) -> int | None:
    """The offset in `source` of the token where parsing it fails."""
    positions: dict[int, int] = {}
    state = "variable" if expression else None
    parser = Parser(ENVIRONMENT, source, state=state)
    parser.stream = TokenStream(_positioned_tokens(source, positions, state), None, None)
    try:
        if expression:
            parser.parse_expression()
            if not parser.stream.eos:
                raise TemplateSyntaxError("chunk after expression", 1)
        else:
            parser.parse()
    except TemplateSyntaxError:
        if _LEXER_FAILED in positions:
            return positions[_LEXER_FAILED]
        current = parser.stream.current
        return len(source) if current.type == "eof" else positions.get(id(current))
    except Exception:  # noqa: BLE001 - a lexer error leaves no token to point at
        return None
    return None


def _unclosed_tag(source: str) -> int | None:
    """The offset of the innermost block tag left open, e.g. an `{% if %}` without
    `{% endif %}`."""
    opened: list[tuple[str, int]] = []
    positions: dict[int, int] = {}
    previous = None
    try:
        for token in _positioned_tokens(source, positions):
            if previous is not None and previous.type == "block_begin" and \
                    token.type == "name":
                if token.value in _BLOCK_TAGS:
                    opened.append((token.value, positions[id(previous)]))
                elif token.value.startswith("end") and opened and \
                        opened[-1][0] == token.value[3:]:
                    opened.pop()
            previous = token
    except TemplateSyntaxError:
        return None
    return opened[-1][1] if opened else None


def locate(source: str, error: TemplateSyntaxError,
           expression: bool = False) -> tuple[int, int]:
    """(line, column), both 1-based, of a syntax error in `source`."""
    text = "\n".join(_NEWLINES.split(source))
    offset = None
    lexer_offset = _LEXER_AT.search(error.message or "")
    if lexer_offset:
        offset = min(int(lexer_offset.group(2)), len(text))
    elif "needs to be closed" in (error.message or ""):
        offset = _unclosed_tag(text)
    if offset is None:
        offset = _stop(text, expression)
    if offset is None:
        return max(1, error.lineno or 1), 1
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _reworded(message: str) -> str:
    """jinja2's long messages about blocks, in a line that says what to do."""
    unclosed = _UNCLOSED.match(message)
    if unclosed:
        tag = unclosed.group(1)
        return f"`{{% {tag} %}}` is never closed: add `{{% end{tag} %}}`"
    stray = _LEXER_AT.match(message)
    if stray:
        char = stray.group(1)
        return "a quoted string is never closed" if char in ("\"'\"", "'\"'") \
            else f"unexpected character {char}"
    misnested = _MISNESTED.match(message)
    if misnested:
        found, tag = misnested.groups()
        return (f"`{{% {found} %}}` comes while `{{% {tag} %}}` is still open: close it "
                f"first with `{{% end{tag} %}}`")
    return message


def _hint(source: str, field: str, expression: bool) -> str:
    stripped = source.strip()
    if expression and stripped[:2] in ("{{", "{%"):
        inner = stripped[2:-2].strip() if stripped[-2:] in ("}}", "%}") else "…"
        return (f"hint: `{field}` is a bare jinja2 expression, not a template; write it "
                f"without `{{{{ }}}}`: `{inner}`")
    if not expression and stripped.count("{{") != stripped.count("}}"):
        return "hint: every `{{` needs a matching `}}`"
    return ""


def explain(source: str, error: TemplateSyntaxError, field: str,
            expression: bool = False) -> str:
    """A problem message for a syntax error in the template (or expression) `source` of
    `field`: the error with its line and column, the source line and a caret, a hint."""
    line, column = locate(source, error, expression)
    lines = _NEWLINES.split(source)
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    message = _reworded(error.message or "syntax error")
    kind = "expression" if expression else "template"
    parts = [f"{kind} error in `{field}` at line {line}, column {column}: {message}",
             excerpt(text, column)]
    hint = _hint(source, field, expression)
    if hint:
        parts.append(hint)
    return "\n".join(parts)


def first_syntax_error(value: Any, expression: bool, where: str = ""
                       ) -> tuple[str, str, TemplateSyntaxError] | None:
    """(sub-path, source, error) of the first string inside `value` that does not parse."""
    if isinstance(value, str):
        try:
            if expression:
                ENVIRONMENT.compile_expression(value)
            else:
                ENVIRONMENT.parse(value)
        except TemplateSyntaxError as error:
            return where, value, error
        return None
    items = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else ()
    for key, item in items:
        sub = f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}"
        found = first_syntax_error(item, expression, sub)
        if found is not None:
            return found
    return None
