"""`agentgate run NAME key=value …`: one run of a workflow in the terminal.

Another renderer of the runner's events: progress lines go to stderr as nodes start and
finish, the answer to stdout, so it can be piped.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from agentgate.api.render import progress_line
from agentgate.events import AnswerDelta, NodeFailed, NodeFinished, NodeSkipped, NodeStarted
from agentgate.settings import Settings
from agentgate.workflow.loader import load_paths
from agentgate.workflow.runner import RunFailed, run_workflow
from agentgate.workflow.runtime import RunLimits
from agentgate.workflow.values import InvalidValue, coerce


def parse_values(workflow, pairs: list[str]) -> tuple[dict, list[str]]:
    values, problems = {}, []
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        name = name.strip()
        if not sep:
            problems.append(f"{pair!r}: write INPUT=VALUE")
        elif name in workflow.fixed:
            problems.append(f"{name}: set by the workflow, not on the command line")
        elif name not in workflow.inputs:
            problems.append(f"{name}: no such input (inputs: {', '.join(workflow.inputs)})")
        else:
            try:
                values[name] = coerce(workflow.inputs[name], raw)
            except InvalidValue as exc:
                problems.append(f"{name}: {exc}")
    for name, spec in workflow.inputs.items():
        if spec.required and name not in values and not any(p.startswith(name + ":")
                                                            for p in problems):
            problems.append(f"{name}: missing ({spec.description})")
    return values, problems


async def run_once(settings: Settings, name: str, pairs: list[str],
                   out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    catalog = load_paths([Path(settings.workflows)])
    workflow = catalog.get(name)
    if workflow is None:
        print(f"agentgate: no workflow named {name!r} in {settings.workflows} "
              f"(found: {', '.join(catalog.workflows) or 'none'})", file=err)
        return 2
    values, problems = parse_values(workflow, pairs)
    if problems:
        for problem in problems:
            print(f"agentgate: {problem}", file=err)
        return 2
    llm = None
    if settings.llm_base_url:
        from agentgate.llm import InternalLLM
        llm = InternalLLM.from_settings(settings)
    runtime = RunLimits.from_settings(settings).runtime(llm, catalog)
    try:
        async for event in run_workflow(workflow, values, runtime):
            if isinstance(event, (NodeStarted, NodeFinished, NodeFailed, NodeSkipped)):
                err.write(progress_line(event))
                err.flush()
            elif isinstance(event, AnswerDelta):
                out.write(event.text)
                out.flush()
    except RunFailed as failure:
        print(f"agentgate: the step “{failure.title}” failed: {failure.message}", file=err)
        return 1
    finally:
        if llm is not None:
            await llm.close()
    out.write("\n")
    return 0
