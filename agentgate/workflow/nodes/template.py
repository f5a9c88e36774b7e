"""`template`: renders jinja2 text from the inputs and earlier nodes' results."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from agentgate.workflow.nodes.base import Node, NodeContext, NodeParams


class TemplateParams(NodeParams):
    template: str = Field(..., description="jinja2 text; the result is `nodes.<id>.text`.")


class TemplateNode(Node):
    type_name = "template"
    Params = TemplateParams

    def __init__(self, spec, params: TemplateParams):
        super().__init__(spec, params)
        self._template = self.compile(params.template)

    async def run(self, context: NodeContext) -> dict[str, Any]:
        return {"text": self._template.render(context.template_context()).strip()}
