"""Reading workflow files into runnable `Workflow`s, or into problems that name the culprit.

Every problem names the file, the JSON path (`$.nodes[1].template`) and what is wrong. A
broken file never stops the others from loading.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from pydantic import ValidationError

from agentgate.errors import AgentgateError
from agentgate.extraction.profile import WorkflowProfile
from agentgate.workflow.model import (NAME_PATTERN, EnvValue, QueryInput, Variable,
                                      WorkflowFile)
from agentgate.workflow.graph import Graph, GraphBuilder, json_path, pydantic_message
from agentgate.workflow.template_errors import excerpt
from agentgate.workflow.nodes import Node
from agentgate.workflow.values import InvalidValue, coerce

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}"


class WorkflowInvalid(AgentgateError):
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
    graph: Graph = field(repr=False)
    source: Path
    created: int
    confirm: bool = False
    profile: WorkflowProfile = field(default=None, repr=False)
    variables: dict[str, Variable] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.profile is None:
            texts = [self.title, self.description]
            self.profile = WorkflowProfile(self.inputs, list(self.fixed), texts)

    @functools.cached_property
    def extraction_model(self):
        """The internal LLM's response model for this workflow version (built on first use)."""
        from agentgate.extraction.schema import extraction_model
        return extraction_model(self)

    @property
    def nodes(self) -> dict[str, Node]:
        return self.graph.nodes

    @property
    def dependencies(self) -> dict[str, set[str]]:
        return self.graph.dependencies

    @property
    def output(self) -> str:
        return self.graph.output

    def value_of(self, name: str, values: dict[str, Any]) -> Any:
        """The stored value of an input, or its default in stored form (None if neither)."""
        if name in values:
            return values[name]
        spec = self.inputs[name]
        return None if spec.default is None else coerce(spec, spec.default)

    def secrets(self) -> list[str]:
        """Fixed values as text (also those inside objects and lists), for redaction from
        anything shown to users."""
        found: list[str] = []

        def collect(value: Any) -> None:
            if isinstance(value, dict):
                for item in value.values():
                    collect(item)
            elif isinstance(value, list):
                for item in value:
                    collect(item)
            elif value is not None and not isinstance(value, bool) and len(str(value)) >= 3:
                found.append(str(value))

        collect(self.fixed)
        return found


# What one workflow file may hold. Beyond these, the file is refused with a problem that
# says which limit it broke, so no file can make loading slow or crash the loader.
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_NESTING = 64
MAX_NODES = 2_000          # in all, sub-graphs of `map` nodes included
MAX_STRING = 100_000       # characters of any one string (a template, a prompt)


def load_file(path: Path, env: Mapping[str, str] | None = None) -> Workflow:
    """Load and check one file; raises WorkflowInvalid listing every problem found.

    Nothing in a file can raise anything else: an unexpected error while checking it is
    logged and reported as a problem of that file."""
    file = str(path)
    try:
        return _load(path, os.environ if env is None else env)
    except WorkflowInvalid:
        raise
    except RecursionError:
        raise WorkflowInvalid([Problem(file, "$", "nested too deeply to check")]) from None
    except Exception as exc:  # a bug: the file still gets a problem, the others load
        log.exception("unexpected error while loading %s", file)
        raise WorkflowInvalid([Problem(file, "$", "could not be checked "
                                       f"({type(exc).__name__}); see the server log")]) from None


def _load(path: Path, env: Mapping[str, str]) -> Workflow:
    file = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise WorkflowInvalid([Problem(file, "$", f"the file is {size:,} bytes; a "
                                           f"workflow file may be at most "
                                           f"{MAX_FILE_BYTES:,}")])
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkflowInvalid([Problem(file, "$", f"cannot read the file: {exc}")]) from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WorkflowInvalid([Problem(file, "$", json_syntax_message(text, exc))]) from None
    except RecursionError:
        raise WorkflowInvalid([Problem(file, "$", f"not valid JSON here: nested deeper than "
                                       f"{MAX_NESTING} levels")]) from None
    except ValueError as exc:  # e.g. an integer literal of thousands of digits
        raise WorkflowInvalid([Problem(file, "$", f"not valid JSON here: {exc}")]) from None
    if not isinstance(raw, dict):
        raise WorkflowInvalid([Problem(file, "$", "a workflow file must hold a JSON object")])
    limit = _over_limits(raw)
    if limit is not None:
        raise WorkflowInvalid([Problem(file, limit[0], limit[1])])
    try:
        spec = WorkflowFile.model_validate(raw)
    except ValidationError as exc:
        raise WorkflowInvalid([Problem(file, json_path(err["loc"]),
                                       pydantic_message(err, WorkflowFile))
                               for err in exc.errors()]) from None
    return _Checker(file, spec, env).build(path)


def json_syntax_message(text: str, error: json.JSONDecodeError) -> str:
    """The JSON error with its line and column, that line with a caret, and a hint for the
    two usual slips: a missing comma and a comma after the last item."""
    lines = text.splitlines() or [""]
    line = lines[error.lineno - 1] if error.lineno <= len(lines) else ""
    message = (f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})\n"
               + excerpt(line, error.colno))
    before = text[:error.pos].rstrip()
    if error.msg.startswith("Expecting ',' delimiter") and not line[:error.colno - 1].strip():
        message += f"\nhint: is a comma missing at the end of line {error.lineno - 1}?"
    elif before.endswith(",") and error.msg.startswith(("Expecting property name",
                                                         "Expecting value")):
        message += "\nhint: JSON allows no comma after the last item of an object or list"
    return message


def _over_limits(raw: Any) -> tuple[str, str] | None:
    """(JSON path, problem) for the first limit `raw` breaks, walking it without recursion."""
    stack: list[tuple[Any, str, int]] = [(raw, "$", 0)]
    nodes = 0
    while stack:
        value, where, depth = stack.pop()
        if depth > MAX_NESTING:
            return where, f"nested deeper than {MAX_NESTING} levels"
        if isinstance(value, dict):
            if isinstance(value.get("nodes"), list):
                nodes += len(value["nodes"])
                if nodes > MAX_NODES:
                    return f"{where}.nodes", f"more than {MAX_NODES:,} nodes in all"
            stack.extend((item, f"{where}.{key}", depth + 1) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value))
        elif isinstance(value, str) and len(value) > MAX_STRING:
            return where, f"a string of {len(value):,} characters; at most {MAX_STRING:,}"
        elif isinstance(value, int) and not isinstance(value, bool) and \
                abs(value) > 10 ** 18:
            return where, "a number too large to use"
    return None


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
        builder = GraphBuilder(self.problem, set(spec.inputs), set(spec.fixed),
                               set(spec.variables))
        graph = builder.build(spec.nodes, spec.output, "$.nodes")
        if self.problems or graph is None:
            raise WorkflowInvalid(self.problems)
        name = spec.name or path.stem
        if not re.match(NAME_PATTERN, name):
            raise WorkflowInvalid([Problem(self.file, "$.name", f"the file name {name!r} is not "
                                           "a valid model name; set `name` (lowercase letters, "
                                           "digits, '.', '_' and '-')")])
        return Workflow(name=name, title=spec.title or name.replace("-", " ").title(),
                        description=spec.description, inputs=dict(spec.inputs), fixed=fixed,
                        graph=graph, source=path, created=int(path.stat().st_mtime),
                        confirm=spec.confirm, variables=dict(spec.variables))

    def _check_defaults(self) -> None:
        """A default must be a valid answer; each enum option must at least be of the type."""
        for name, query in self.spec.inputs.items():
            type_only = query.model_copy(update={"enum": None, "minimum": None,
                                                 "maximum": None, "pattern": None})
            checks = [("default", query, query.default)]
            checks += [(f"enum[{i}]", type_only, option)
                       for i, option in enumerate(query.enum or [])]
            for key, spec, value in checks:
                if value is None:
                    continue
                try:
                    coerce(spec, value)
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
                                     pydantic_message(err))
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


class Catalog:
    """The workflows loaded from some files and folders, kept up to date by `refresh`.

    A file that stops loading keeps its last good version serving; its problems are listed
    in `problems` and logged. A removed file is dropped.
    """

    def __init__(self, paths: list[Path] = (), env: Mapping[str, str] | None = None,
                 quiet: bool = False):
        self.paths = [Path(p) for p in paths]
        self.env = env
        self.quiet = quiet  # problems only listed, not logged (for `agentgate validate`)
        self.workflows: dict[str, Workflow] = {}
        self.problems: list[Problem] = []
        self._good: dict[Path, Workflow] = {}
        self._failed: dict[Path, list[Problem]] = {}
        self._stamps: dict[Path, tuple[int, int]] = {}
        self._loaded = False

    def get(self, name: str) -> Workflow | None:
        return self.workflows.get(name)

    def _files(self) -> tuple[list[Path], list[Problem]]:
        files, missing = [], []
        for path in self.paths:
            if path.is_dir():
                files.extend(sorted(path.glob("*.json")))
            elif path.exists():
                files.append(path)
            else:
                missing.append(Problem(str(path), "$", "no such file or folder"))
        return files, missing

    def refresh(self) -> bool:
        """Reload what changed on disk; True when anything did."""
        files, missing = self._files()
        stamps = {}
        for file in files:
            try:
                stat = file.stat()
            except OSError:
                continue
            stamps[file] = (stat.st_mtime_ns, stat.st_size)
        if self._loaded and stamps == self._stamps:
            return False
        initial, self._loaded = not self._loaded, True
        changed = [f for f in stamps if self._stamps.get(f) != stamps[f]]
        for gone in set(self._stamps) - set(stamps):
            self._good.pop(gone, None)
            self._failed.pop(gone, None)
            log.info("workflow file removed: %s", gone)
        for file in changed:
            try:
                self._good[file] = load_file(file, self.env)
                self._failed.pop(file, None)
                if file in self._stamps:
                    log.info("workflow reloaded: %s", file)
                elif not initial:
                    log.info("workflow added: %s", file)
            except WorkflowInvalid as exc:
                self._failed[file] = exc.problems
                kept = " (its last good version keeps serving)" if file in self._good else ""
                for problem in exc.problems if not self.quiet else ():
                    log.error("workflow not loaded%s: %s", kept, problem)
            except Exception:  # never let one file stop the others, or the next reload
                log.exception("unexpected error while loading %s", file)
                self._failed[file] = [Problem(str(file), "$", "could not be checked; see "
                                              "the server log")]
        self._stamps = stamps
        self._rebuild(missing)
        return True

    def _rebuild(self, missing: list[Problem]) -> None:
        workflows: dict[str, Workflow] = {}
        problems = list(missing)
        for file in sorted(set(self._good) | set(self._failed)):
            problems.extend(self._failed.get(file, []))
            workflow = self._good.get(file)
            if workflow is None:
                continue
            if workflow.name in workflows:
                other = workflows[workflow.name].source
                problem = Problem(str(file), "$.name", f"workflow name {workflow.name!r} is "
                                  f"already used by {other}; this file is not served")
                problems.append(problem)
                if not self.quiet:
                    log.error("workflow not loaded: %s", problem)
                continue
            workflows[workflow.name] = workflow
        self.workflows, self.problems = workflows, problems


def load_paths(paths: list[Path], env: Mapping[str, str] | None = None,
               quiet: bool = False) -> Catalog:
    """Load every `*.json` file in the given files and folders, skipping broken ones."""
    catalog = Catalog(paths, env, quiet)
    catalog.refresh()
    return catalog
