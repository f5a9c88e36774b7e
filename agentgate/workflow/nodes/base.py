"""The contract every node type follows."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, ClassVar

from pydantic import BaseModel, ConfigDict

from agentgate.workflow.model import NodeSpec
from agentgate.workflow.runtime import Runtime
from agentgate.workflow.templating import ENVIRONMENT, template_strings

if TYPE_CHECKING:
    from agentgate.workflow.graph import Graph


class NodeParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class NodeContext:
    """What a running node may read and use.

    `nodes` holds the results of finished nodes; `vars` the request's variables;
    `extra` holds names a surrounding node
    adds (a map node's `item` and `index`); `stream` is set only for the node that
    produces the answer, so it can send the answer piece by piece.
    """

    inputs: dict[str, Any]
    fixed: dict[str, Any]
    nodes: dict[str, dict[str, Any]]
    runtime: Runtime = field(default_factory=Runtime)
    extra: dict[str, Any] = field(default_factory=dict)
    stream: Callable[[str], None] | None = None
    secrets: tuple[str, ...] = field(default=(), repr=False)
    vars: dict[str, str] = field(default_factory=dict, repr=False)
    secret_vars: frozenset[str] = frozenset()

    def template_context(self) -> dict[str, Any]:
        return {**self.extra, "inputs": self.inputs, "fixed": self.fixed, "nodes": self.nodes,
                "vars": self.vars}

    def with_stream(self, stream: Callable[[str], None] | None) -> "NodeContext":
        return replace(self, stream=stream)

    def inner(self, **extra: Any) -> "NodeContext":
        """The context of a contained graph: the same values, more names, fresh results."""
        return replace(self, nodes=dict(self.nodes), extra={**self.extra, **extra},
                       stream=None)


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
        self.summary = self.compile(spec.summary) if spec.summary else None
        self.graph: Graph | None = None  # set by the loader for nodes holding a sub-graph

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def title(self) -> str:
        return self.spec.display_title

    def template_sources(self) -> list[str]:
        """Every templated string among the parameters (used to find references)."""
        return template_strings(self.params.model_dump(exclude=self.expression_fields()))

    def expression_fields(self) -> set[str]:
        """Parameters holding bare jinja2 expressions rather than templates."""
        return set()

    def expressions(self) -> list[str]:
        """The expressions among the parameters (strings, or the values of a dict)."""
        dumped = self.params.model_dump()
        return [source for name in sorted(self.expression_fields())
                for source in template_strings(dumped.get(name))]

    def gated(self) -> set[str]:
        """Nodes that run only if this node chooses them (a branch's arms)."""
        return set()

    def skipped_after(self, result: dict[str, Any]) -> set[str]:
        """The gated nodes that must be skipped, given this node's result."""
        return set()

    def subgraph(self) -> tuple[list[dict[str, Any]], str] | None:
        """(node specs, output id) of a contained graph, which the loader checks and builds."""
        return None

    def compile(self, source: str):
        return ENVIRONMENT.from_string(source)

    @property
    def quick(self) -> bool:
        """Whether `run_quick` does the work: quick, synchronous work that the runner does
        at once, without a task of its own."""
        return False

    def run_quick(self, context: NodeContext) -> dict[str, Any]:
        raise NotImplementedError(f"node type {self.type_name!r} is not quick")

    async def run(self, context: NodeContext) -> dict[str, Any]:
        raise NotImplementedError(f"node type {self.type_name!r} does not implement run()")
