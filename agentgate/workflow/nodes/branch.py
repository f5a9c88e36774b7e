"""`branch`: chooses which nodes run. The nodes in `then` run when `condition` is true,
those in `else` when it is false; the others are skipped, and so is every node that
depends only on skipped nodes."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from agentgate.workflow.nodes.base import Node, NodeContext, NodeParams
from agentgate.workflow.templating import compile_expression


class BranchParams(NodeParams):
    condition: str = Field(..., description="A jinja2 expression, e.g. "
                           "`inputs.budget > 1000`; true runs `then`, false runs `else`.")
    then: list[str] = Field(default_factory=list, description="Nodes run when true.")
    else_: list[str] = Field(default_factory=list, alias="else",
                             description="Nodes run when false.")


class BranchNode(Node):
    type_name = "branch"
    Params = BranchParams

    def __init__(self, spec, params: BranchParams):
        super().__init__(spec, params)
        self._condition = compile_expression(params.condition)

    def expression_fields(self) -> set[str]:
        return {"condition"}

    def template_sources(self) -> list[str]:
        return []

    def gated(self) -> set[str]:
        return set(self.params.then) | set(self.params.else_)

    quick = True

    def run_quick(self, context: NodeContext) -> dict[str, Any]:
        chosen = bool(self._condition(**context.template_context()))
        return {"value": chosen, "branch": "then" if chosen else "else",
                "text": "then" if chosen else "else"}

    async def run(self, context: NodeContext) -> dict[str, Any]:
        return self.run_quick(context)

    def skipped_after(self, result: dict[str, Any]) -> set[str]:
        taken = set(self.params.then if result["value"] else self.params.else_)
        return self.gated() - taken
