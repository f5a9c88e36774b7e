"""`workflow`: runs another workflow (by name) with inputs given here; its answer becomes
this node's `text`. The inputs are checked like a user's answers."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from agentgate.errors import NodeFailure
from agentgate.workflow.nodes.base import Node, NodeContext, NodeParams
from agentgate.workflow.runtime import MAX_DEPTH
from agentgate.workflow.templating import compile_expression


class WorkflowParams(NodeParams):
    workflow: str = Field(..., description="Name of the workflow to run.")
    inputs: dict[str, str] = Field(default_factory=dict, description="Its inputs: each value "
                                   "is a jinja2 expression, e.g. `inputs.city` or `'Paris'`.")


class WorkflowNode(Node):
    type_name = "workflow"
    Params = WorkflowParams

    def __init__(self, spec, params: WorkflowParams):
        super().__init__(spec, params)
        self._inputs = {name: compile_expression(source)
                        for name, source in params.inputs.items()}

    def expression_fields(self) -> set[str]:
        return {"inputs"}

    async def run(self, context: NodeContext) -> dict[str, Any]:
        from agentgate.workflow.runner import run_to_answer  # runner imports node types
        from agentgate.workflow.values import InvalidValue, coerce

        runtime = context.runtime
        target = runtime.catalog.get(self.params.workflow) if runtime.catalog else None
        if target is None:
            raise NodeFailure(f"there is no workflow named {self.params.workflow!r}")
        if runtime.depth >= MAX_DEPTH:
            raise NodeFailure(f"workflows call each other more than {MAX_DEPTH} deep")
        scope = context.template_context()
        values: dict[str, Any] = {}
        for name, expression in self._inputs.items():
            if name not in target.inputs:
                raise NodeFailure(f"workflow {target.name!r} has no input {name!r}")
            try:
                values[name] = coerce(target.inputs[name], expression(**scope))
            except InvalidValue as exc:
                raise NodeFailure(f"input {name!r} for {target.name!r}: {exc}") from None
        missing = [n for n, spec in target.inputs.items() if spec.required and n not in values]
        if missing:
            raise NodeFailure(f"workflow {target.name!r} also needs {', '.join(missing)}")
        # The called workflow sees the variables of this request that it declares too.
        unset = [n for n, spec in target.variables.items()
                 if spec.default is None and n not in context.vars]
        if unset:
            raise NodeFailure(f"workflow {target.name!r} needs the variable "
                              f"{', '.join(unset)}, which this request does not set")
        return {"text": await run_to_answer(target, values, runtime.nested(), context.vars)}
