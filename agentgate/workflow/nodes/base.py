"""The contract every node type follows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from agentgate.workflow.model import NodeSpec
from agentgate.workflow.templating import ENVIRONMENT, template_strings


class NodeParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class NodeContext:
    """What a running node may read: the values and the results of finished nodes."""
    inputs: dict[str, Any]
    fixed: dict[str, Any]
    nodes: dict[str, dict[str, Any]]

    def template_context(self) -> dict[str, Any]:
        return {"inputs": self.inputs, "fixed": self.fixed, "nodes": self.nodes}


class Node:
    """A step of a workflow. Subclasses set `type_name` and `Params`, and implement `run`.

    `run` returns the node's result as a dict; other nodes read it as `nodes.<id>.<key>`,
    and a node whose result has `text` can be the workflow's output.
    """

    type_name: ClassVar[str]
    Params: ClassVar[type[NodeParams]] = NodeParams

    def __init__(self, spec: NodeSpec, params: NodeParams):
        self.spec = spec
        self.params = params

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def title(self) -> str:
        return self.spec.display_title

    def template_sources(self) -> list[str]:
        """Every templated string among the parameters (used to find references)."""
        return template_strings(self.params.model_dump())

    def compile(self, source: str):
        return ENVIRONMENT.from_string(source)

    async def run(self, context: NodeContext) -> dict[str, Any]:
        raise NotImplementedError(f"node type {self.type_name!r} does not implement run()")
