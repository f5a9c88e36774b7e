"""Row 7: the runner's own cost, running a 200-node template DAG against rendering the same
200 templates directly, one after another, in the same process."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from pathlib import Path

from agentgate.workflow.loader import load_file
from agentgate.workflow.runner import run_workflow
from agentgate.workflow.templating import BUDGET, Budget, ENVIRONMENT
from harness import Row

NODES, WIDTH, REPEATS = 200, 10, 60


def dag_workflow(folder: Path) -> Path:
    """Layers of WIDTH nodes; each node reads one node of the layer before it."""
    nodes = []
    for index in range(NODES):
        source = "{{ inputs.start + %d }}" % index if index < WIDTH else \
            "{{ nodes.n%d.text | int + 1 }}" % (index - WIDTH)
        nodes.append({"id": f"n{index}", "type": "template", "template": source})
    path = folder / "bench-dag.json"
    path.write_text(json.dumps({"name": "bench-dag", "description": "Many small steps.",
                                "inputs": {"start": {"type": "integer", "description": "First number"}},
                                "nodes": nodes,
                                "output": f"n{NODES - 1}"}))
    return path


def render_directly(sources: list[str], start: int) -> str:
    templates = [ENVIRONMENT.from_string(source) for source in sources]
    BUDGET.set(Budget(time.monotonic() + 60, 60))
    results: dict[str, dict] = {}
    started = time.perf_counter()
    for index, template in enumerate(templates):
        results[f"n{index}"] = {"text": template.render(
            {"inputs": {"start": start}, "fixed": {}, "nodes": results}).strip()}
    return results[f"n{NODES - 1}"]["text"], time.perf_counter() - started


async def through_runner(workflow, start: int) -> tuple[str, float]:
    answer = []
    started = time.perf_counter()
    async for event in run_workflow(workflow, {"start": start}):
        if hasattr(event, "text") and type(event).__name__ == "AnswerDelta":
            answer.append(event.text)
    return "".join(answer), time.perf_counter() - started


def runner_rows(folder: Path) -> list[Row]:
    workflow = load_file(dag_workflow(folder))
    sources = [node.params.template for node in workflow.graph.nodes.values()]
    ours, direct = [], []
    for repeat in range(REPEATS):
        answer, seconds = asyncio.run(through_runner(workflow, repeat))
        expected, direct_seconds = render_directly(sources, repeat)
        assert answer == expected, (answer, expected)
        ours.append(seconds)
        direct.append(direct_seconds)
    ratio = statistics.median(ours) / statistics.median(direct)
    return [Row(f"7. {NODES}-node template DAG", f"{statistics.median(ours) * 1e3:.2f} ms",
                f"rendering directly {statistics.median(direct) * 1e3:.2f} ms",
                f"{ratio:.2f}×", "≤ 2×", ratio <= 2.0)]
