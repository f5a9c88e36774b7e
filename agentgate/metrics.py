"""Prometheus metrics, served at `/metrics`.

Each application has its own registry (tests and embedders may build several). Labels are
workflow names, node ids, outcomes, error codes and fixed failure reasons: never values,
messages, keys or anything a user typed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge,
                               Histogram, generate_latest)
from prometheus_client.process_collector import ProcessCollector

from agentgate.errors import LLMUnavailable

if TYPE_CHECKING:
    from agentgate.llm import InternalLLM

_SECONDS = (0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        metric: dict[str, Any] = {"registry": self.registry}
        self.turns = Counter(
            "agentgate_turns", "Chat turns by workflow and outcome: asked (a question or "
            "notice), answered (the workflow ran), failed (a step failed), unavailable "
            "(needs an internal LLM), task (a client background task), error, cancelled.",
            ["workflow", "outcome"], **metric)
        self.runs = Counter("agentgate_runs", "Workflow runs by outcome (ok or failed).",
                            ["workflow", "outcome"], **metric)
        self.run_seconds = Histogram("agentgate_run_seconds", "Duration of workflow runs.",
                                     ["workflow"], buckets=_SECONDS, **metric)
        self.node_seconds = Histogram("agentgate_node_seconds", "Duration of finished "
                                      "steps.", ["workflow", "node"], buckets=_SECONDS,
                                      **metric)
        self.node_failures = Counter("agentgate_node_failures", "Steps that failed.",
                                     ["workflow", "node"], **metric)
        self.llm_calls = Counter(
            "agentgate_llm_calls", "Calls to the internal LLM: purpose extraction (reading a "
            "message, retries included) or step (an llm step), outcome ok or failed.",
            ["purpose", "outcome"], **metric)
        self.llm_failures = Counter("agentgate_llm_failures", "Failed message readings by "
                                    "the internal LLM, by reason.", ["reason"], **metric)
        self.llm_tokens = Counter("agentgate_llm_tokens", "Tokens the internal LLM reported "
                                  "spending, by kind (prompt or completion).", ["kind"],
                                  **metric)
        self.errors = Counter("agentgate_errors", "Error responses by HTTP status and error "
                              "code (a failure after a stream started is a turn with "
                              "outcome error).",
                              ["status", "code"], **metric)
        self.open_streams = Gauge("agentgate_open_streams", "Streamed responses being "
                                  "sent right now.", **metric)

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def instrument(self, llm: "InternalLLM") -> None:
        """Counts the internal LLM's structured calls and their failures."""
        structured = llm.structured

        async def counted(response_model, messages, deadline):
            try:
                answer = await structured(response_model, messages, deadline)
            except LLMUnavailable as error:
                self.llm_calls.labels("extraction", "failed").inc()
                self.llm_failures.labels(error.reason).inc()
                raise
            self.llm_calls.labels("extraction", "ok").inc()
            return answer

        llm.structured = counted
