"""`json`: takes data (an expression's value, or text parsed as JSON), selects part of it
with a JSON path and keeps only the fields asked for."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field, model_validator

from agentgate.errors import NodeFailure
from agentgate.workflow import jsonpath
from agentgate.workflow.nodes.base import Node, NodeContext, NodeParams
from agentgate.workflow.templating import compile_expression


class JsonParams(NodeParams):
    value: str | None = Field(None, description="A jinja2 expression whose value is the data, "
                              "e.g. `nodes.search.json`.")
    text: str | None = Field(None, description="Template whose result is parsed as JSON "
                             "(instead of `value`).")
    select: str | None = Field(None, description="JSON path of the part to keep, e.g. "
                               "`$.results[0]` or `items[*].name`.")
    pick: list[str] | None = Field(None, description="Fields to keep from an object (or from "
                                   "each object of a list).")

    @model_validator(mode="after")
    def _one_source(self) -> "JsonParams":
        if (self.value is None) == (self.text is None):
            raise ValueError("give exactly one of `value` or `text`")
        return self


def pick_fields(data: Any, fields: list[str]) -> Any:
    if isinstance(data, list):
        return [pick_fields(item, fields) for item in data]
    if not isinstance(data, dict):
        raise NodeFailure("`pick` needs an object or a list of objects")
    return {name: data.get(name) for name in fields}


def as_text(data: Any) -> str:
    return data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, indent=2,
                                                          default=str)


class JsonNode(Node):
    type_name = "json"
    Params = JsonParams

    def __init__(self, spec, params: JsonParams):
        super().__init__(spec, params)
        self._value = compile_expression(params.value) if params.value else None
        self._text = self.compile(params.text) if params.text is not None else None

    def expression_fields(self) -> set[str]:
        return {"value"}

    async def run(self, context: NodeContext) -> dict[str, Any]:
        scope = context.template_context()
        if self._value is not None:
            data = self._value(**scope)
        else:
            raw = self._text.render(scope)
            try:
                data = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise NodeFailure(f"the text is not valid JSON: {exc.msg} (line {exc.lineno})") \
                    from None
        if self.params.select:
            data = jsonpath.select(data, self.params.select)
        if self.params.pick:
            data = pick_fields(data, self.params.pick)
        return {"json": data, "text": as_text(data)}
