"""The structured answer asked of the internal LLM, built from a workflow's query inputs.

Every value field is required but nullable (small local models answer `{}` to optional
fields). The JSON Schema tells the model each input's type, allowed values and range, but
pydantic accepts any JSON value: the deterministic check in `workflow.values` decides, and
its reason goes back to the user, instead of instructor re-asking the model.
"""

from __future__ import annotations

import warnings
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from agentgate.workflow.loader import Workflow
from agentgate.workflow.model import QueryInput
from agentgate.workflow.values import describe

ACTIONS = ("none", "start_over", "run_again")
_JSON_TYPES = {"string": "string", "number": "number", "integer": "integer",
               "boolean": "boolean", "date": "string", "array": "array"}


def value_schema(spec: QueryInput) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": _JSON_TYPES[spec.type]}
    if spec.type == "date":
        schema["format"] = "date"
    target = schema
    if spec.type == "array":
        target = schema["items"] = {"type": "string"}
    if spec.enum is not None:
        target["enum"] = list(spec.enum)
    if spec.type in ("number", "integer"):
        if spec.minimum is not None:
            schema["minimum"] = spec.minimum
        if spec.maximum is not None:
            schema["maximum"] = spec.maximum
    if spec.pattern is not None:
        target["pattern"] = spec.pattern
    return schema


def field_description(spec: QueryInput) -> str:
    text = f"{spec.description} ({describe(spec)}"
    if spec.type == "date":
        text += ", written YYYY-MM-DD"
    if spec.examples:
        text += "; e.g. " + ", ".join(str(example) for example in spec.examples)
    return text + "). null when the message does not state it."


def _loose_field(schema: dict[str, Any], description: str) -> tuple[Any, Any]:
    """A field of any JSON value whose published schema is `schema` or null."""
    return (Any, Field(..., description=description, json_schema_extra={
        "anyOf": [schema, {"type": "null"}]}))


def extraction_model(workflow: Workflow) -> type[BaseModel]:
    """`{values: {<input>: ... | null}, reply: str | null, action: ...}` for this workflow."""
    config = ConfigDict(extra="ignore")
    fields = {name: _loose_field(value_schema(spec), field_description(spec))
              for name, spec in workflow.inputs.items()}
    with warnings.catch_warnings():  # an input named `json` or `copy` is a field like any
        warnings.filterwarnings("ignore", message=".*shadows an attribute", category=UserWarning)
        values = create_model("Values", __config__=config, **fields)
    return create_model(
        "Extraction", __config__=config,
        values=(values, Field(..., description="Each input stated in the user's message, "
                              "or null.")),
        reply=_loose_field({"type": "string"}, "A short, friendly reply in the user's "
                           "language asking for every required input that is still "
                           "missing; null when none is missing."),
        action=_loose_field({"type": "string", "enum": list(ACTIONS)}, "start_over when the "
                            "user wants to begin again or cancel; run_again when they ask to "
                            "run the workflow again unchanged; otherwise none."),
    )
