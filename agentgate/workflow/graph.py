"""Checking node lists and turning them into graphs that the runner can execute.

A graph is built for a workflow's `nodes` and, recursively, for every node that contains
a sub-graph (a map node). Each problem is reported with its JSON path and names the
culprit: duplicate ids, unknown types, bad parameters, references to unknown nodes or
undeclared inputs, and cycles.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable

from jinja2 import TemplateSyntaxError
from pydantic import ValidationError

from agentgate.workflow.model import NodeSpec
from agentgate.workflow.nodes import Node, node_types
from agentgate.workflow.suggest import did_you_mean, fields_at
from agentgate.workflow.template_errors import explain, first_syntax_error
from agentgate.workflow.templating import References, expression_references, references

Report = Callable[[str, str], None]


@dataclass
class Graph:
    nodes: dict[str, Node]
    dependencies: dict[str, set[str]]
    output: str
    external: set[str] = field(default_factory=set)  # outer nodes referenced from inside

    @functools.cached_property
    def dependents(self) -> dict[str, list[str]]:
        """For each node, the nodes that depend on it."""
        found: dict[str, list[str]] = {node_id: [] for node_id in self.nodes}
        for node_id, deps in self.dependencies.items():
            for dep in deps:
                found[dep].append(node_id)
        return found


def json_path(location: tuple[Any, ...] | list[Any]) -> str:
    path = "$"
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def pydantic_message(error: dict[str, Any], model: type | None = None,
                     also: tuple[str, ...] = ()) -> str:
    """The error in an author's words; an unknown field gets the closest known one of
    `model` at the error's location (and `also`) as a suggestion."""
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    if error["type"] == "extra_forbidden":
        location = tuple(error["loc"])
        known = [*(fields_at(model, location[:-1]) if model else ()), *also]
        message = "unknown field" + (did_you_mean(location[-1], known) if location else "")
    elif error["type"] == "missing":
        message = "required field is missing"
    return message


class GraphBuilder:
    def __init__(self, report: Report, inputs: set[str], fixed: set[str],
                 variables: set[str] = frozenset()):
        self.report, self.inputs, self.fixed = report, inputs, fixed
        self.variables = variables

    def build(self, specs: list[Any], output: str, where: str,
              outer: frozenset[str] = frozenset()) -> Graph | None:
        """The graph of `specs`, or None after reporting what is wrong with it."""
        problems: list[tuple[str, str]] = []

        def problem(path: str, message: str) -> None:
            problems.append((path, message))
            self.report(path, message)

        nodes, positions, broken = self._make_nodes(specs, where, outer, problem)
        ids = set(nodes)
        dependencies, external = self._dependencies(nodes, positions, where, ids, outer,
                                                     broken, problem)
        if output not in nodes and output not in broken:
            problem(where.rsplit(".", 1)[0] + ".output",
                    f"names no node: {output!r}{did_you_mean(output, nodes)} "
                    f"(nodes: {', '.join(nodes)})")
        if not problems:
            self._check_cycles(dependencies, where, problem)
        if problems:
            return None
        return Graph(nodes, dependencies, output, external)

    def _make_nodes(self, specs: list[Any], where: str, outer: frozenset[str], problem: Report
                    ) -> tuple[dict[str, Node], dict[str, int], frozenset[str]]:
        """The nodes that could be made, their positions in `specs`, and the ids of those
        that could not (references to those are not reported again)."""
        made: dict[str, Node] = {}
        positions: dict[str, int] = {}
        broken: set[str] = set()
        types = node_types()
        here = frozenset(raw.id if isinstance(raw, NodeSpec) else str(raw.get("id"))
                         for raw in specs if isinstance(raw, (NodeSpec, dict)))
        for index, raw in enumerate(specs):
            path = f"{where}[{index}]"
            try:
                spec = raw if isinstance(raw, NodeSpec) else NodeSpec.model_validate(raw)
            except ValidationError as exc:
                for err in exc.errors():
                    problem(f"{path}{json_path(err['loc'])[1:]}", pydantic_message(err))
                continue
            if spec.id in made or spec.id in outer:
                problem(f"{path}.id", f"duplicate node id {spec.id!r}")
                continue
            broken.add(spec.id)  # until it is made
            node_type = types.get(spec.type)
            if node_type is None:
                problem(f"{path}.type", f"unknown node type {spec.type!r}"
                        f"{did_you_mean(spec.type, types)} "
                        f"(known: {', '.join(sorted(types))})")
                continue
            try:
                params = node_type.Params.model_validate(spec.params)
            except ValidationError as exc:
                common = tuple(f.alias or n for n, f in NodeSpec.model_fields.items())
                for err in exc.errors():
                    problem(f"{path}{json_path(err['loc'])[1:]}",
                            pydantic_message(err, node_type.Params, common))
                continue
            try:
                node = node_type(spec, params)
            except TemplateSyntaxError as exc:
                problem(*_template_problem(path, node_type, spec, params, exc))
                continue
            except RecursionError:
                problem(path, f"node {spec.id!r}: a template nested too deeply to read")
                continue
            sub = node.subgraph()
            if sub is not None:
                node.graph = self.build(sub[0], sub[1], f"{path}.nodes", outer | here)
                if node.graph is None:
                    continue
            broken.discard(spec.id)
            made[spec.id] = node
            positions[spec.id] = index
        return made, positions, frozenset(broken)

    def _dependencies(self, nodes: dict[str, Node], positions: dict[str, int], where: str,
                      ids: set[str], outer: frozenset[str], broken: frozenset[str],
                      problem: Report):
        """Each node's dependencies, and the outer nodes the graph reads. Names of nodes
        that could not be made (`broken`) were reported already and are not again."""
        dependencies: dict[str, set[str]] = {node_id: set() for node_id in nodes}
        external: set[str] = set()
        for node in nodes.values():
            path = f"{where}[{positions[node.id]}]"
            used = References()
            try:
                sources = node.template_sources()
                if node.spec.summary:
                    sources.append(node.spec.summary)
                for source in sources:
                    used.update(references(source))
                for expression in node.expressions():
                    used.update(expression_references(expression))
            except TemplateSyntaxError as exc:
                problem(*_template_problem(path, type(node), node.spec, node.params, exc))
                continue
            except RecursionError:
                problem(path, f"node {node.id!r}: a template nested too deeply to read")
                continue
            if node.graph is not None:
                used.nodes |= node.graph.external
            for name in sorted(used.nodes - ids - outer - broken):
                problem(path, f"node {node.id!r} references unknown node {name!r}"
                        f"{did_you_mean(name, ids | outer)}")
            for name in sorted(used.inputs - self.inputs):
                problem(path, f"node {node.id!r} references undeclared input {name!r}"
                        + (f" (it is a fixed input: write `fixed.{name}`)"
                           if name in self.fixed else did_you_mean(name, self.inputs)))
            for name in sorted(used.fixed - self.fixed):
                problem(path, f"node {node.id!r} references undeclared fixed input {name!r}"
                        + (f" (it is a query input: write `inputs.{name}`)"
                           if name in self.inputs else did_you_mean(name, self.fixed)))
            for name in sorted(used.vars - self.variables):
                problem(path, f"node {node.id!r} references undeclared variable {name!r}"
                        f"{did_you_mean(name, self.variables)}")
            for name in node.spec.after:
                if name not in ids and name not in broken:
                    problem(f"{path}.after", f"node {node.id!r} waits for unknown node "
                            f"{name!r}{did_you_mean(name, ids)}")
            if node.id in used.nodes or node.id in node.spec.after:
                problem(path, f"node {node.id!r} depends on itself")
            for name in sorted(node.gated() - ids - broken):
                problem(path, f"node {node.id!r} chooses unknown node {name!r}"
                        f"{did_you_mean(name, ids)}")
            external |= (used.nodes & outer) - ids
            dependencies[node.id] |= (used.nodes | set(node.spec.after)) & ids - {node.id}
            for gated in node.gated() & ids:
                dependencies[gated].add(node.id)
        return dependencies, external

    def _check_cycles(self, dependencies: dict[str, set[str]], where: str,
                      problem: Report) -> None:
        """Depth-first search with an explicit stack: a chain of any length is checked in
        time linear in its size, without recursion."""
        state: dict[str, int] = {}  # 1: on the current path, 2: done
        for root in dependencies:
            if root in state:
                continue
            path: list[str] = [root]
            pending: list[list[str]] = [sorted(dependencies[root], reverse=True)]
            state[root] = 1
            while path:
                if not pending[-1]:
                    state[path.pop()] = 2
                    pending.pop()
                    continue
                dep = pending[-1].pop()
                if state.get(dep) == 1:
                    cycle = path[path.index(dep):] + [dep]
                    problem(where, "nodes form a cycle: " + " -> ".join(cycle))
                    return
                if dep not in state:
                    state[dep] = 1
                    path.append(dep)
                    pending.append(sorted(dependencies[dep], reverse=True))


def _template_problem(path: str, node_type: type[Node], spec: NodeSpec, params: Any,
                      error: TemplateSyntaxError) -> tuple[str, str]:
    """(JSON path of the field, message) for a template of this node that does not parse:
    which field, line and column, the source line with a caret, a hint."""
    bare = node_type.__new__(node_type)  # only to ask which fields hold expressions
    bare.spec, bare.params = spec, params
    expression_fields = bare.expression_fields()
    fields = {name: value for name, value in params.model_dump(by_alias=True).items()
              if name != "nodes"}  # a map's sub-graph is checked on its own
    fields["summary"] = spec.summary
    for name, value in fields.items():
        if value is None:
            continue
        found = first_syntax_error(value, name in expression_fields, name)
        if found is not None:
            where, source, located = found
            return f"{path}.{where}", f"node {spec.id!r}: " + explain(
                source, located, where, name in expression_fields)
    return path, f"node {spec.id!r}: template error on line {error.lineno}: {error.message}"
