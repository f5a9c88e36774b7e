"""Reading workflow files into runnable `Workflow`s, or into problems that name the culprit.

Every problem names the file, the JSON path (`$.nodes[1].template`) and what is wrong. A
broken file never stops the others from loading.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from jinja2 import TemplateSyntaxError
from pydantic import ValidationError

from agentgate.workflow.model import NAME_PATTERN, EnvValue, QueryInput, WorkflowFile
from agentgate.workflow.nodes import NODE_TYPES, Node
from agentgate.workflow.templating import References, references
from agentgate.workflow.values import InvalidValue, coerce

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}"


class WorkflowInvalid(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


@dataclass
class Workflow:
    """A checked workflow, ready to run."""

    name: str
    title: str
    description: str
    inputs: dict[str, QueryInput]
    fixed: dict[str, Any] = field(repr=False)
    nodes: dict[str, Node]
    dependencies: dict[str, set[str]]
    output: str
    source: Path
    created: int

    def value_of(self, name: str, values: dict[str, Any]) -> Any:
        """The stored value of an input, or its default in stored form (None if neither)."""
        if name in values:
            return values[name]
        spec = self.inputs[name]
        return None if spec.default is None else coerce(spec, spec.default)

    def secrets(self) -> list[str]:
        """Fixed values as text, for redaction from anything shown to users."""
        return [str(value) for value in self.fixed.values()
                if value is not None and len(str(value)) >= 3]


def json_path(location: tuple[Any, ...] | list[Any]) -> str:
    path = "$"
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def load_file(path: Path, env: Mapping[str, str] | None = None) -> Workflow:
    """Load and check one file; raises WorkflowInvalid listing every problem found."""
    env = os.environ if env is None else env
    file = str(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkflowInvalid([Problem(file, "$", f"cannot read the file: {exc}")]) from None
    except json.JSONDecodeError as exc:
        raise WorkflowInvalid([Problem(file, "$", f"not valid JSON: {exc.msg} "
                                       f"(line {exc.lineno}, column {exc.colno})")]) from None
    if not isinstance(raw, dict):
        raise WorkflowInvalid([Problem(file, "$", "a workflow file must hold a JSON object")])
    try:
        spec = WorkflowFile.model_validate(raw)
    except ValidationError as exc:
        raise WorkflowInvalid([Problem(file, json_path(err["loc"]), _pydantic_message(err))
                               for err in exc.errors()]) from None
    return _Checker(file, spec, env).build(path)


def _pydantic_message(error: dict[str, Any]) -> str:
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    if error["type"] == "extra_forbidden":
        message = "unknown field"
    elif error["type"] == "missing":
        message = "required field is missing"
    return message


class _Checker:
    def __init__(self, file: str, spec: WorkflowFile, env: Mapping[str, str]):
        self.file, self.spec, self.env = file, spec, env
        self.problems: list[Problem] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.file, path, message))

    def build(self, path: Path) -> Workflow:
        spec = self.spec
        self._check_defaults()
        fixed = self._resolve_fixed()
        nodes = self._make_nodes()
        dependencies = self._dependencies(nodes)
        if spec.output not in nodes and not any(p.path.startswith("$.nodes") for p in self.problems):
            self.problem("$.output", f"names no node: {spec.output!r} (nodes: {', '.join(nodes)})")
        if not self.problems:
            self._check_cycles(dependencies)
        if self.problems:
            raise WorkflowInvalid(self.problems)
        name = spec.name or path.stem
        if not re.match(NAME_PATTERN, name):
            raise WorkflowInvalid([Problem(self.file, "$.name", f"the file name {name!r} is not "
                                           "a valid model name; set `name` (lowercase letters, "
                                           "digits, '.', '_' and '-')")])
        return Workflow(name=name, title=spec.title or name.replace("-", " ").title(),
                        description=spec.description, inputs=dict(spec.inputs), fixed=fixed,
                        nodes=nodes, dependencies=dependencies, output=spec.output, source=path,
                        created=int(path.stat().st_mtime))

    def _check_defaults(self) -> None:
        for name, query in self.spec.inputs.items():
            for key, value in (("default", query.default), *(
                    (f"enum[{i}]", option) for i, option in enumerate(query.enum or []))):
                if value is None:
                    continue
                probe = query.model_copy(update={"enum": None, "minimum": None,
                                                 "maximum": None, "pattern": None})
                if key == "default":
                    probe = query
                try:
                    coerce(probe, value)
                except InvalidValue as exc:
                    self.problem(f"$.inputs.{name}.{key}", f"not a valid {query.type}: {exc}")

    def _resolve_fixed(self) -> dict[str, Any]:
        resolved: dict[str, Any] = {}
        for name, value in self.spec.fixed.items():
            if isinstance(value, dict) and "env" in value:
                try:
                    source = EnvValue.model_validate(value)
                except ValidationError as exc:
                    for err in exc.errors():
                        self.problem(json_path(("fixed", name, *err["loc"])),
                                     _pydantic_message(err))
                    continue
                if source.env in self.env:
                    resolved[name] = self.env[source.env]
                elif source.default is not None:
                    resolved[name] = source.default
                else:
                    self.problem(f"$.fixed.{name}", f"environment variable {source.env} is "
                                 "not set and no default is given")
            else:
                resolved[name] = value
        return resolved

    def _make_nodes(self) -> dict[str, Node]:
        made: dict[str, Node] = {}
        for index, spec in enumerate(self.spec.nodes):
            where = f"$.nodes[{index}]"
            if spec.id in made:
                self.problem(f"{where}.id", f"duplicate node id {spec.id!r}")
                continue
            node_type = NODE_TYPES.get(spec.type)
            if node_type is None:
                self.problem(f"{where}.type", f"unknown node type {spec.type!r} "
                             f"(known: {', '.join(sorted(NODE_TYPES))})")
                continue
            try:
                params = node_type.Params.model_validate(spec.params)
                made[spec.id] = node_type(spec, params)
            except ValidationError as exc:
                for err in exc.errors():
                    self.problem(json_path(("nodes", index, *err["loc"])), _pydantic_message(err))
            except TemplateSyntaxError as exc:
                self.problem(where, f"node {spec.id!r}: template error on line {exc.lineno}: "
                             f"{exc.message}")
        return made

    def _dependencies(self, nodes: dict[str, Node]) -> dict[str, set[str]]:
        ids = {spec.id for spec in self.spec.nodes}
        dependencies: dict[str, set[str]] = {}
        for index, spec in enumerate(self.spec.nodes):
            node = nodes.get(spec.id)
            if node is None or node.spec is not spec:
                continue
            where = f"$.nodes[{index}]"
            used = References()
            for source in node.template_sources():
                used.update(references(source))
            for name in sorted(used.nodes - ids):
                self.problem(where, f"node {spec.id!r} references unknown node {name!r}")
            for name in sorted(used.inputs - set(self.spec.inputs)):
                self.problem(where, f"node {spec.id!r} references undeclared input {name!r}")
            for name in sorted(used.fixed - set(self.spec.fixed)):
                self.problem(where, f"node {spec.id!r} references undeclared fixed input {name!r}")
            for name in spec.after:
                if name not in ids:
                    self.problem(f"{where}.after", f"node {spec.id!r} waits for unknown node {name!r}")
            if spec.id in used.nodes or spec.id in spec.after:
                self.problem(where, f"node {spec.id!r} depends on itself")
            dependencies[spec.id] = (used.nodes | set(spec.after)) & ids - {spec.id}
        return dependencies

    def _check_cycles(self, dependencies: dict[str, set[str]]) -> None:
        state: dict[str, int] = {}
        stack: list[str] = []

        def visit(node: str) -> list[str] | None:
            state[node] = 1
            stack.append(node)
            for dep in sorted(dependencies[node]):
                if state.get(dep) == 1:
                    return stack[stack.index(dep):] + [dep]
                if dep not in state and (cycle := visit(dep)):
                    return cycle
            stack.pop()
            state[node] = 2
            return None

        for node in dependencies:
            if node not in state and (cycle := visit(node)):
                self.problem("$.nodes", "nodes form a cycle: " + " -> ".join(cycle))
                return


@dataclass
class Catalog:
    """The workflows loaded from a folder, and the problems of the files that did not load."""

    workflows: dict[str, Workflow] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def get(self, name: str) -> Workflow | None:
        return self.workflows.get(name)


def load_paths(paths: list[Path], env: Mapping[str, str] | None = None) -> Catalog:
    """Load every `*.json` file in the given files and folders, skipping broken ones."""
    catalog = Catalog()
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.glob("*.json")))
        elif path.exists():
            files.append(path)
        else:
            catalog.problems.append(Problem(str(path), "$", "no such file or folder"))
    for file in files:
        try:
            workflow = load_file(file, env)
        except WorkflowInvalid as exc:
            catalog.problems.extend(exc.problems)
            continue
        if workflow.name in catalog.workflows:
            other = catalog.workflows[workflow.name].source
            catalog.problems.append(Problem(str(file), "$.name", f"workflow name "
                                            f"{workflow.name!r} is already used by {other}"))
            continue
        catalog.workflows[workflow.name] = workflow
    for problem in catalog.problems:
        log.error("workflow skipped: %s", problem)
    return catalog
