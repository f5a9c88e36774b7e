"""The workflow file format, as pydantic models.

Node parameters are checked by each node type's own model (see `nodes/`); here a node is
only its common fields plus whatever parameters its type declares.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agentgate.extraction.units import canonical_unit
from agentgate.workflow.patterns import PatternError, compiled, full_match

InputType = Literal["string", "number", "integer", "boolean", "date", "array"]
NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
IDENT_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QueryInput(Strict):
    """A value gathered from the user in conversation."""

    type: InputType = Field("string", description="Value type; `array` is a list of strings.")
    description: str = Field(..., min_length=1,
                             description="What the value means; shown to the user when asked.")
    question: str | None = Field(None, description="How to ask for it; derived from the "
                                 "description when absent.")
    enum: list[Any] | None = Field(None, min_length=1,
                                   description="The allowed values (for arrays: of each item).")
    default: Any = Field(None, description="Makes the input optional; used when not given.")
    minimum: float | str | None = Field(None, description="Smallest allowed number, or "
                                        "earliest date as YYYY-MM-DD.")
    maximum: float | str | None = Field(None, description="Largest allowed number, or "
                                        "latest date as YYYY-MM-DD.")
    pattern: str | None = Field(None, description="Regular expression a string must match.")
    examples: list[Any] = Field(default_factory=list, description="Example values.")
    unit: str | None = Field(None, description="What the number counts, e.g. `years`, "
                             "`months`, `percent`, `currency`, `kg`, `people`; answers in a "
                             "compatible unit are converted when exact. Inferred from the "
                             "name, description and question when absent.")
    aliases: list[str] = Field(default_factory=list, description="Words that name this "
                               "input in a message, e.g. `rate`, `interest`, `APR`.")

    @property
    def required(self) -> bool:
        return self.default is None

    @model_validator(mode="after")
    def _consistent(self) -> "QueryInput":
        if self.unit is not None:
            if self.type not in ("number", "integer"):
                raise ValueError("`unit` applies only to number and integer inputs")
            self.unit = canonical_unit(self.unit)
        self.aliases = [alias.strip() for alias in self.aliases if alias.strip()]
        if self.pattern is not None:
            if self.type not in ("string", "array"):
                raise ValueError("`pattern` applies only to string and array inputs")
            try:
                compiled(self.pattern)
            except PatternError as exc:
                raise ValueError(str(exc)) from None
        for bound in ("minimum", "maximum"):
            value = getattr(self, bound)
            if value is None:
                continue
            if self.type in ("number", "integer") and not isinstance(value, (int, float)):
                raise ValueError(f"`{bound}` must be a number for {self.type} inputs")
            if self.type == "date":
                try:
                    setattr(self, bound, dt.date.fromisoformat(str(value)).isoformat())
                except ValueError:
                    raise ValueError(f"`{bound}` must be a date written YYYY-MM-DD") from None
            if self.type not in ("number", "integer", "date"):
                raise ValueError(f"`{bound}` applies only to number, integer and date inputs")
        return self


class EnvValue(Strict):
    """A fixed value read from the environment when the workflow loads."""

    env: str = Field(..., pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                     description="Name of the environment variable.")
    default: Any = Field(None, description="Used when the variable is not set.")


class Variable(Strict):
    """A value a request sets in an `X-Agentgate-Var-<name>` header, for that request only."""

    description: str = Field("", description="What the value is; for people setting up "
                             "clients.")
    default: str | None = Field(None, description="Used when the header is absent; without "
                                "one, every request must send the header.")
    secret: bool = Field(False, description="Redacted like fixed values from anything shown "
                         "and from log lines.")
    pattern: str | None = Field(None, description="Regular expression the whole value must "
                                "match.")
    max_length: int = Field(1000, ge=1, le=8000, description="Longest value accepted, in "
                            "characters.")

    @model_validator(mode="after")
    def _pattern(self) -> "Variable":
        if self.pattern is not None:
            try:
                compiled(self.pattern)
            except PatternError as exc:
                raise ValueError(str(exc)) from None
        if self.default is not None and (len(self.default) > self.max_length or (
                self.pattern is not None and not full_match(self.pattern, self.default))):
            raise ValueError("`default` must be a value the variable accepts")
        return self


class NodeSpec(BaseModel):
    """Fields every node has; the node type's parameters are kept as extra fields."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(..., pattern=IDENT_PATTERN, description="Unique name, used in references "
                    "such as `nodes.<id>.text`.")
    type: str = Field(..., description="Node type, e.g. `template`.")
    title: str | None = Field(None, description="Human title shown in the progress block.")
    after: list[str] = Field(default_factory=list,
                             description="Nodes that must finish first, besides references.")
    timeout: float | None = Field(None, gt=0, description="Seconds this node may take; "
                                  "default: the server's node timeout.")
    summary: str | None = Field(None, description="Template of a short public line shown "
                                "when the node finishes; sees `result` besides the usual "
                                "names. Node results are never shown otherwise.")

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    @property
    def display_title(self) -> str:
        return self.title or self.id.replace("_", " ").capitalize()


class WorkflowFile(Strict):
    """One workflow file, as written by its author."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, json_schema_extra={
        "$schema": "https://json-schema.org/draft/2020-12/schema"})

    schema_: str | None = Field(None, alias="$schema", description="Optional link to the "
                                "JSON Schema (`agentgate schema`), for editors.")
    name: str | None = Field(None, pattern=NAME_PATTERN, description="Model name clients "
                             "select; the file name without `.json` when absent.")
    title: str | None = Field(None, description="Human name shown in model pickers.")
    description: str = Field("", description="What the workflow does; shown to users.")
    inputs: dict[str, QueryInput] = Field(default_factory=dict,
                                          description="Values gathered from the user.")
    fixed: dict[str, Any] = Field(default_factory=dict, description="Values set by the author, "
                                  "never shown or changeable by users: a literal, or "
                                  "`{\"env\": NAME, \"default\": ...}`.")
    variables: dict[str, Variable] = Field(default_factory=dict, description="Values each "
                                           "request may set in `X-Agentgate-Var-<name>` "
                                           "headers, read as `vars.<name>`; never stored.")
    nodes: list[NodeSpec] = Field(..., min_length=1, description="The steps of the workflow.")
    output: str = Field(..., description="Id of the node whose result is the answer.")
    confirm: bool = Field(False, description="Show every value and ask before running "
                          "(for workflows with side effects).")

    @model_validator(mode="after")
    def _names(self) -> "WorkflowFile":
        for group in ("inputs", "fixed", "variables"):
            for key in getattr(self, group):
                if not re.match(IDENT_PATTERN, key):
                    raise ValueError(f"{group} name {key!r} must be letters, digits and "
                                     "underscores, not starting with a digit")
                if group == "inputs" and key.startswith("model_"):
                    raise ValueError(f"input name {key!r} may not start with `model_`: "
                                     "the answer the internal LLM fills in reserves it")
        clash = set(self.inputs) & set(self.fixed)
        if clash:
            raise ValueError(f"{', '.join(sorted(clash))} is both a query input and a fixed input")
        seen: dict[str, str] = {}
        for name in self.variables:
            key = name.lower()  # header names are not case-sensitive
            if key in seen:
                raise ValueError(f"variables {seen[key]!r} and {name!r} differ only in case")
            seen[key] = name
        return self
