"""What running nodes may use besides their inputs: the LLM client, the other workflows,
limits, and a counter of the tokens the run spends."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agentgate.errors import NodeFailure
from agentgate.events import Usage
from agentgate.settings import Settings

if TYPE_CHECKING:
    from agentgate.llm import InternalLLM
    from agentgate.workflow.http_client import HttpClient
    from agentgate.workflow.loader import Catalog

MAX_DEPTH = 5  # workflows calling workflows


@dataclass
class Runtime:
    llm: "InternalLLM | None" = None
    catalog: "Catalog | None" = None
    http: "HttpClient | None" = None  # None: each http step opens a session of its own
    node_timeout: float = 60.0
    run_timeout: float = 300.0
    depth: int = 0
    spent: list[Usage] = field(default_factory=list)
    max_steps: int = 10_000        # steps one run may take, in all its maps and sub-runs
    max_map_items: int = 1_000
    max_http_bytes: int = 5 * 1024 * 1024
    max_answer_chars: int = 1_000_000
    steps: list[int] = field(default_factory=lambda: [0])  # shared with nested runtimes
    share_results: bool = False    # node results go out with NodeFinished (redacted)

    def count_step(self) -> None:
        self.steps[0] += 1
        if self.steps[0] > self.max_steps:
            raise NodeFailure(f"the run took more than {self.max_steps:,} steps")

    def add_usage(self, usage: Any) -> None:
        if usage is not None:
            self.spent.append(Usage(usage.prompt_tokens or 0, usage.completion_tokens or 0))

    @property
    def usage(self) -> Usage:
        return Usage(sum(u.prompt_tokens for u in self.spent),
                     sum(u.completion_tokens for u in self.spent))

    def nested(self) -> "Runtime":
        """The runtime for a workflow called by a node: one level deeper, same counter."""
        return dataclasses.replace(self, depth=self.depth + 1)


@dataclass(frozen=True)
class RunLimits:
    """The limits every run of this server gets (AGENTGATE_NODE_TIMEOUT and the others)."""

    node_timeout: float
    run_timeout: float
    max_steps: int
    max_map_items: int
    max_http_bytes: int
    max_answer_chars: int

    @classmethod
    def defaults(cls) -> "RunLimits":
        return cls.from_settings(Settings())

    @classmethod
    def from_settings(cls, settings: Settings) -> "RunLimits":
        return cls(node_timeout=settings.node_timeout, run_timeout=settings.run_timeout,
                   max_steps=settings.max_run_steps, max_map_items=settings.max_map_items,
                   max_http_bytes=settings.max_http_bytes,
                   max_answer_chars=settings.max_answer_chars)

    def runtime(self, llm: "InternalLLM | None" = None, catalog: "Catalog | None" = None,
                http: "HttpClient | None" = None) -> Runtime:
        """A fresh runtime for one run, with these limits."""
        return Runtime(llm=llm, catalog=catalog, http=http, **dataclasses.asdict(self))
