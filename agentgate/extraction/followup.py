"""Wording of the replies while inputs are gathered, from the jinja2 templates in `prompts/`.

Templates receive values as data, never as template source, and render in a sandbox.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from agentgate.workflow.loader import Workflow
from agentgate.workflow.model import QueryInput
from agentgate.workflow.values import describe, shown

TEMPLATES = ("intro", "ask", "invalid", "accepted", "fixed_refused", "finished", "failed",
             "llm_unavailable", "extract_system", "extract_user")


class PromptsMissing(RuntimeError):
    """The prompts folder lacks a template the service needs."""


def question_for(name: str, spec: QueryInput) -> str:
    if spec.question:
        return spec.question
    description = spec.description.rstrip(". ")
    return f"What is the {description[:1].lower()}{description[1:]}?"


class Phrases:
    def __init__(self, folder: str | Path):
        self.env = ImmutableSandboxedEnvironment(loader=FileSystemLoader(str(folder)),
                                                 undefined=StrictUndefined,
                                                 trim_blocks=True, lstrip_blocks=True)
        self.env.filters["shown"] = shown
        missing = [name for name in TEMPLATES if not (Path(folder) / f"{name}.md.j2").is_file()]
        if missing:
            raise PromptsMissing(f"prompt templates missing from {folder}: "
                                 + ", ".join(f"{name}.md.j2" for name in missing))

    def render(self, name: str, **context: Any) -> str:
        return self.env.get_template(f"{name}.md.j2").render(**context).strip()

    def describe_input(self, name: str, spec: QueryInput) -> dict[str, Any]:
        return {"name": name, "question": question_for(name, spec), "hint": describe(spec),
                "description": spec.description, "type": spec.type,
                "examples": [shown(example) for example in spec.examples],
                "default": None if spec.required else shown(spec.default)}

    def workflow_context(self, workflow: Workflow) -> dict[str, Any]:
        return {"title": workflow.title, "description": workflow.description,
                "inputs": [self.describe_input(n, s) for n, s in workflow.inputs.items()]}
