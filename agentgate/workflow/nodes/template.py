"""`template`: renders jinja2 text from the inputs and earlier nodes' results."""

from __future__ import annotations

import asyncio
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
        # A template with a loop may work for a while: it renders in a worker thread (its
        # budget stops it at the step's time limit), so other turns keep moving.
        self._loops = "{%" in params.template and " for " in params.template

    @property
    def quick(self) -> bool:
        return not self._loops

    def run_quick(self, context: NodeContext) -> dict[str, Any]:
        return {"text": self._template.render(context.template_context()).strip()}

    async def run(self, context: NodeContext) -> dict[str, Any]:
        if not self._loops:
            return self.run_quick(context)
        text = await asyncio.to_thread(self._template.render, context.template_context())
        return {"text": text.strip()}
