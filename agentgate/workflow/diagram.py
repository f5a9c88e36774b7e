"""`agentgate graph NAME`: a workflow's steps as a Mermaid flowchart.

Inputs are drawn as parallelograms feeding the steps that read them, steps as boxes titled
as in the progress block, a `branch`'s arms as labelled edges, a `map`'s sub-graph as a
subgraph, and the step giving the answer with a double border.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentgate.workflow.graph import Graph
from agentgate.workflow.templating import References, expression_references, references

if TYPE_CHECKING:
    from agentgate.workflow.loader import Workflow


def _label(text: str) -> str:
    """Text inside a Mermaid `"…"` label."""
    return (text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;")
            .replace(">", "#gt;"))


def _used(node) -> References:
    used = References()
    for source in [*node.template_sources(), *([node.spec.summary] if node.spec.summary
                                               else [])]:
        used.update(references(source))
    for expression in node.expressions():
        used.update(expression_references(expression))
    return used


def _graph_lines(graph: Graph, prefix: str, indent: str, inputs: set[str]) -> list[str]:
    lines: list[str] = []
    edges: list[str] = []
    for node in graph.nodes.values():
        key = f"{prefix}{node.id}"
        label = _label(node.title) + f"<br/>{node.id} · {node.type_name}"
        if node.graph is not None:
            lines.append(f'{indent}subgraph {key} ["{label}"]')
            lines += _graph_lines(node.graph, f"{key}__", indent + "    ", inputs)
            lines.append(f"{indent}end")
        elif node.id == graph.output:
            lines.append(f'{indent}{key}[["{label}"]]')
        else:
            lines.append(f'{indent}{key}["{label}"]')
        for name in sorted(_used(node).inputs & inputs):
            edges.append(f"{indent}in_{name} --> {key}")
        then, otherwise = (set(getattr(node.params, "then", ())),
                           set(getattr(node.params, "else_", ())))
        for target in sorted(node.gated()):
            arm = "then" if target in then else "else" if target in otherwise else "runs"
            edges.append(f"{indent}{key} -- {arm} --> {prefix}{target}")
        for dependency in sorted(graph.dependencies[node.id]):
            if dependency in graph.nodes and node.id not in graph.nodes[dependency].gated():
                edges.append(f"{indent}{prefix}{dependency} --> {key}")
    return lines + edges


def mermaid(workflow: "Workflow") -> str:
    """The flowchart, as Mermaid source (starting `flowchart TD`)."""
    lines = ["flowchart TD"]
    for name, spec in workflow.inputs.items():
        optional = "" if spec.required else " (optional)"
        lines.append(f'    in_{name}[/"{_label(name + optional)}"/]')
    lines += _graph_lines(workflow.graph, "n_", "    ", set(workflow.inputs))
    return "\n".join(lines) + "\n"
