"""What running nodes may use besides their inputs: the LLM client, the other workflows,
limits, and a counter of the tokens the run spends."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agentgate.events import Usage

if TYPE_CHECKING:
    from agentgate.llm import InternalLLM
    from agentgate.workflow.loader import Catalog

MAX_DEPTH = 5  # workflows calling workflows


@dataclass
class Runtime:
    llm: "InternalLLM | None" = None
    catalog: "Catalog | None" = None
    node_timeout: float = 60.0
    run_timeout: float = 300.0
    depth: int = 0
    spent: list[Usage] = field(default_factory=list)

    def add_usage(self, usage: Any) -> None:
        if usage is not None:
            self.spent.append(Usage(usage.prompt_tokens or 0, usage.completion_tokens or 0))

    @property
    def usage(self) -> Usage:
        return Usage(sum(u.prompt_tokens for u in self.spent),
                     sum(u.completion_tokens for u in self.spent))

    def nested(self) -> "Runtime":
        """The runtime for a workflow called by a node: one level deeper, same counter."""
        return Runtime(self.llm, self.catalog, self.node_timeout, self.run_timeout,
                       self.depth + 1, self.spent)
