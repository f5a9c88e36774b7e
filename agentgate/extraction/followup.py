"""Wording of the replies while inputs are gathered, from the jinja2 templates in `prompts/`.

`decide` says *what* to say as reply values (`conversation.machine`); this module says it in
words. Templates receive values as data, never as template source, and render in a sandbox.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from agentgate.conversation import machine as m
from agentgate.errors import AgentgateError
from agentgate.workflow.model import QueryInput
from agentgate.workflow.values import describe, shown

TEMPLATES = ("intro", "ask", "invalid", "accepted", "changed", "choice", "help", "talk",
             "confirm", "cancelled", "fixed_refused", "finished", "failed",
             "llm_unavailable", "extract_system", "extract_user")
CONTEXTS_KEPT = 1024
_SINGULAR = {"years": "year", "months": "month", "weeks": "week", "days": "day",
             "nights": "night", "hours": "hour", "minutes": "minute", "people": "person"}


class PromptsMissing(AgentgateError, RuntimeError):
    """The prompts folder lacks a template the service needs."""


def question_for(name: str, spec: QueryInput) -> str:
    if spec.question:
        return spec.question
    description = spec.description.rstrip(". ")
    return f"What is the {description[:1].lower()}{description[1:]}?"


def shown_as(value: Any, unit: str | None = None, kind: str | None = None) -> str:
    """A stored value as a user reads it back, with its unit: '6.5%', '30 years',
    '300,000', 'Tuesday 8 December 2026'."""
    if kind == "date" and isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return value
        return f"{day:%A} {day.day} {day:%B %Y}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return shown(value)
    if kind == "year":
        return str(value)
    text = f"{value:,}" if isinstance(value, int) else f"{value:,.10g}" if abs(
        value) >= 1000 else f"{value:.10g}"
    if unit == "percent":
        return text + "%"
    if unit in (None, "currency"):
        return text
    if unit in _SINGULAR:
        return f"{text} {_SINGULAR[unit] if value == 1 else unit}"
    return f"{text} {unit}"


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
        self._contexts: dict[int, tuple[Any, dict[str, Any]]] = {}
        # Compiled once, now: no user's turn compiles one or checks its file again.
        self._templates = {name: self.env.get_template(f"{name}.md.j2") for name in TEMPLATES}

    def render(self, name: str, **context: Any) -> str:
        return self._templates[name].render(**context).strip()

    def describe_input(self, name: str, spec: QueryInput, workflow=None) -> dict[str, Any]:
        profile = workflow.profile.inputs.get(name) if workflow is not None else None
        unit, kind = (profile.unit, profile.kind) if profile else (None, None)
        return {"name": name, "question": question_for(name, spec), "hint": describe(spec),
                "description": spec.description, "type": spec.type,
                "options": [shown(o) for o in spec.enum or []],
                "examples": [shown(example) for example in spec.examples],
                "default": None if spec.required else shown_as(spec.default, unit, kind),
                "required": spec.required}

    def workflow_context(self, workflow) -> dict[str, Any]:
        """The workflow as templates see it (made once per loaded workflow)."""
        kept = self._contexts.get(id(workflow))
        if kept is not None and kept[0] is workflow:
            return kept[1]
        context = {"title": workflow.title, "description": workflow.description,
                   "inputs": [self.describe_input(n, s, workflow)
                              for n, s in workflow.inputs.items()]}
        if len(self._contexts) >= CONTEXTS_KEPT:  # workflows reloaded many times over
            self._contexts.clear()
        self._contexts[id(workflow)] = (workflow, context)
        return context

    def value(self, workflow, name: str, value: Any) -> str:
        profile = workflow.profile.inputs.get(name)
        return shown_as(value, profile.unit if profile else None,
                        profile.kind if profile else None)

    def _every_value(self, workflow, state) -> list[tuple[str, str]]:
        """Each input with the value a run uses (a default where none was given), shown."""
        return [(name, self.value(workflow, name, workflow.value_of(name, state.values)))
                for name in workflow.inputs]

    def say(self, replies: tuple, workflow, state) -> str:
        """The replies of a decision, in words."""
        context = self.workflow_context(workflow)
        parts = []
        for reply in replies:
            parts.append(self._one(reply, workflow, state, context))
        return "\n\n".join(part for part in parts if part)

    def _one(self, reply, workflow, state, context) -> str:
        describe_input = self.describe_input
        if isinstance(reply, m.Intro):
            return self.render("intro", workflow=context)
        if isinstance(reply, m.Accepted):
            return self.render("accepted", values=[
                (name, self.value(workflow, name, value), note)
                for name, value, note in reply.items])
        if isinstance(reply, m.Changed):
            return self.render("changed", values=[
                (name, self.value(workflow, name, old), self.value(workflow, name, new), note)
                for name, old, new, note in reply.items])
        if isinstance(reply, m.Invalid):
            return self.render("invalid", reason=reply.reason.rstrip("."), input=describe_input(
                reply.input, workflow.inputs[reply.input], workflow))
        if isinstance(reply, m.FixedRefused):
            return self.render("fixed_refused", names=list(reply.names))
        if isinstance(reply, m.Ask):
            return self.render("ask", first=reply.first, workflow=context, input=describe_input(
                reply.input, workflow.inputs[reply.input], workflow))
        if isinstance(reply, m.AskChoice):
            pending = reply.pending
            if pending.input:
                options = [self.value(workflow, pending.input, o) for o in pending.options]
                return self.render("choice", text=pending.text, options=options,
                                   input=describe_input(pending.input,
                                                       workflow.inputs[pending.input],
                                                       workflow), which=False,
                                   several=False)
            return self.render("choice", text=pending.text, which=True, input=None,
                               several=pending.several,
                               options=[describe_input(n, workflow.inputs[n], workflow)
                                        for n in pending.options])
        if isinstance(reply, m.Help):
            name = reply.input if reply.input in workflow.inputs else None
            return self.render("help", workflow=context, input=describe_input(
                name, workflow.inputs[name], workflow) if name else None)
        if isinstance(reply, m.TalkBack):
            return self.render("talk", kind=reply.kind)
        if isinstance(reply, (m.Confirm, m.WhatToChange)):
            return self.render("confirm", workflow=context, values=self._every_value(
                workflow, state), declined=isinstance(reply, m.WhatToChange))
        if isinstance(reply, m.AfterRun):
            return self.render("finished", workflow=context, values=self._every_value(
                workflow, state), failed=reply.failed)
        if isinstance(reply, m.Cancelled):
            first = workflow.profile.first_required()
            return self.render("cancelled", workflow=context, input=describe_input(
                first, workflow.inputs[first], workflow) if first else None)
        if isinstance(reply, m.LLMQuestion):
            return reply.text
        if isinstance(reply, m.Unavailable):
            return self.render("llm_unavailable", reason=reply.reason)
        raise TypeError(f"no wording for {reply!r}")
