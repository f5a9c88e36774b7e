"""What a workflow asks for and needs, for people and clients that have not read its file:
its query inputs (never its fixed values), its steps, and whether it needs the internal LLM.

`/v1/models`, `agentgate describe` and the start-up log all read it from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

from agentgate.workflow.graph import Graph
from agentgate.workflow.values import describe, shown

if TYPE_CHECKING:
    from agentgate.workflow.loader import Catalog, Workflow

LLM_NOTE = ("Not available on this server: it needs an internal LLM, and "
            "AGENTGATE_LLM_BASE_URL is not set.")


def input_entries(workflow: "Workflow") -> list[dict[str, Any]]:
    """Each query input: name, type, description, required, enum, minimum, maximum,
    default, unit and examples (null or empty when not set)."""
    entries = []
    for name, spec in workflow.inputs.items():
        profile = workflow.profile.inputs.get(name)
        entries.append({
            "name": name, "type": spec.type, "description": spec.description,
            "required": spec.required, "enum": spec.enum, "minimum": _plain(spec.minimum),
            "maximum": _plain(spec.maximum), "default": spec.default,
            "unit": profile.unit if profile is not None else spec.unit,
            "examples": list(spec.examples), "accepts": describe(spec)})
    return entries


def _plain(bound: Any) -> Any:
    """A bound as written: 1, not 1.0."""
    return int(bound) if isinstance(bound, float) and bound.is_integer() else bound


def all_nodes(graph: Graph) -> Iterator[Any]:
    """Every node of the graph, those inside `map` sub-graphs included."""
    for node in graph.nodes.values():
        yield node
        if node.graph is not None:
            yield from all_nodes(node.graph)


def needs_internal_llm(workflow: "Workflow", catalog: "Catalog | None" = None,
                       seen: frozenset[str] = frozenset()) -> bool:
    """True when a step uses the server's internal LLM: an `llm` step without its own
    `base_url`, here or in a workflow it calls."""
    for node in all_nodes(workflow.graph):
        if node.type_name == "llm" and not getattr(node.params, "base_url", None):
            return True
        called = getattr(node.params, "workflow", None) if node.type_name == "workflow" \
            else None
        if called and catalog is not None and called not in seen | {workflow.name}:
            target = catalog.get(called)
            if target is not None and needs_internal_llm(target, catalog,
                                                         seen | {workflow.name}):
                return True
    return False


def count(number: int, noun: str) -> str:
    """'1 input', '2 inputs'."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def model_details(workflow: "Workflow", catalog: "Catalog | None" = None) -> dict[str, Any]:
    """The `agentgate` object of a `/v1/models` entry."""
    return {"steps": len(workflow.nodes),
            "needs_internal_llm": needs_internal_llm(workflow, catalog),
            "inputs": input_entries(workflow)}


def text(workflow: "Workflow", catalog: "Catalog | None" = None,
         llm_configured: bool = True) -> str:
    """`agentgate describe NAME`: the workflow for a person at a terminal."""
    lines = [f"{workflow.name}: {workflow.title}"]
    if workflow.description:
        lines.append(workflow.description)
    if needs_internal_llm(workflow, catalog) and not llm_configured:
        lines.append(LLM_NOTE)
    required = sum(spec.required for spec in workflow.inputs.values())
    lines += ["", f"Inputs ({required} required, {len(workflow.inputs) - required} "
              "optional):"]
    for entry in input_entries(workflow):
        state = "required" if entry["required"] else f"optional, default {shown(entry['default'])}"
        lines.append(f"  {entry['name']} ({entry['type']}, {state})")
        lines.append(f"      {entry['description']}; {entry['accepts']}")
    lines += ["", f"Steps ({len(workflow.nodes)}; the answer comes from "
              f"`{workflow.output}`):"]
    for node in workflow.nodes.values():
        after = sorted(workflow.dependencies[node.id])
        waits = f", after {', '.join(after)}" if after else ""
        lines.append(f"  {node.id} ({node.type_name}{waits}): {node.title}")
    return "\n".join(lines)
