"""Request-scoped variables: `X-Agentgate-Var-<name>` headers, for Chat Completions and the
Responses API alike.

Only the variables a workflow declares are taken, each checked against its declaration;
a header naming another one is refused, so a misspelt name is not silently ignored.
Values go to this request's run only: they are never stored, and error messages never
repeat them.
"""

from __future__ import annotations

from typing import Mapping

from multidict import CIMultiDictProxy

from agentgate.errors import InvalidRequest
from agentgate.workflow.loader import Workflow
from agentgate.workflow.patterns import full_match

PREFIX = "X-Agentgate-Var-"


def header_for(name: str) -> str:
    return PREFIX + name


def _key(name: str) -> str:
    """Header names are not case-sensitive, and `-` stands for `_` in them."""
    return name.lower().replace("-", "_")


def from_headers(headers: CIMultiDictProxy[str] | Mapping[str, str],
                 workflow: Workflow) -> dict[str, str]:
    """The request's values of the workflow's variables (defaults left to the runner).

    Raises InvalidRequest for an undeclared variable, a required one that is missing, and a
    value its declaration does not accept."""
    declared = {_key(name): name for name in workflow.variables}
    given: dict[str, str] = {}
    named = {h.lower(): h for h in headers.keys() if h.lower().startswith(PREFIX.lower())}
    for header in named.values():
        name = declared.get(_key(header[len(PREFIX):]))
        if name is None:
            known = ", ".join(header_for(n) for n in workflow.variables) or "none"
            raise InvalidRequest(f"The header {header[:100]} names no variable of the workflow "
                                 f"`{workflow.name}` (it declares: {known}).",
                                 param=header[:100], code="unknown_variable")
        values = headers.getall(header) if hasattr(headers, "getall") else [headers[header]]
        if len(values) > 1 or name in given:
            raise InvalidRequest(f"The variable {name} is set more than once.",
                                 param=header_for(name), code="invalid_value")
        given[name] = _checked(workflow, name, values[0])
    for name, spec in workflow.variables.items():
        if spec.default is None and name not in given:
            raise InvalidRequest(f"The workflow `{workflow.name}` needs the header "
                                 f"{header_for(name)}: {spec.description or name}.",
                                 param=header_for(name), code="missing_required_parameter")
    return given


def _checked(workflow: Workflow, name: str, value: str) -> str:
    spec = workflow.variables[name]
    value = value.strip()
    if len(value) > spec.max_length:
        raise InvalidRequest(f"The variable {name} is longer than {spec.max_length} "
                             "characters.", param=header_for(name), code="invalid_value")
    if spec.pattern is not None and not full_match(spec.pattern, value):
        raise InvalidRequest(f"The variable {name} does not have the form the workflow "
                             "expects.", param=header_for(name), code="invalid_value")
    return value
