"""What the server says once it listens: each workflow it serves, each file it could not
load, and what an operator should fix (an empty folder, workflows that need an internal LLM
on a server without one, no API keys beyond loopback).

Logged after the port is bound, so a port already in use is the only thing reported.
"""

from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web

from agentgate.appkeys import CATALOG, DEPS, SETTINGS
from agentgate.workflow.describe import count, needs_internal_llm

log = logging.getLogger("agentgate")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def report(app: web.Application, url: str | None = None) -> None:
    """Logs the start-up report; afterwards the catalog logs problems of reloads itself."""
    settings, catalog, deps = app[SETTINGS], app[CATALOG], app[DEPS]
    if url:
        log.info("listening on %s", url)
    log.info("conversations are stored as %s", where(settings))
    if settings.host not in LOOPBACK and not settings.api_keys:
        log.warning("serving on %s without AGENTGATE_API_KEYS: anyone who can reach this "
                    "address can use every workflow and read any conversation whose marker "
                    "they hold; set AGENTGATE_API_KEYS (see docs/security.md)", settings.host)
    for workflow in catalog.workflows.values():
        inputs = ", ".join(name if spec.required else f"{name} (optional)"
                           for name, spec in workflow.inputs.items()) or "none"
        log.info("workflow %s from %s: %s (%s); %s (%s)", workflow.name, workflow.source,
                 count(len(workflow.inputs), "input"), inputs,
                 count(len(workflow.nodes), "node"), ", ".join(workflow.nodes))
        if deps.llm is None and needs_internal_llm(workflow, catalog):
            log.warning("workflow %s needs an internal LLM and AGENTGATE_LLM_BASE_URL is not "
                        "set: it is listed with that note and tells users so on their first "
                        "turn", workflow.name)
    for problem in catalog.problems:
        log.error("workflow not loaded: %s", problem)
    if not catalog.workflows:
        _warn_empty(settings.workflows, bool(catalog.problems))
    else:
        log.info("serving %s from %s", count(len(catalog.workflows), "workflow"),
                 settings.workflows)
    catalog.quiet = False


def where(settings) -> str:
    """The store, named without any password its URL holds."""
    if not settings.store:
        return f"files in {settings.data_dir}"
    from agentgate.redis_store.client import redacted
    return f"keys in the Redis at {redacted(settings.store)}"


def _warn_empty(folder: str, broken: bool) -> None:
    if broken:
        log.warning("no workflow is served: every file in %s has problems (listed above); "
                    "they are loaded as soon as they are fixed", folder)
    elif not any(Path(folder).glob("*.json")):
        log.warning("no workflow is served: %s holds no *.json workflow files; add one (see "
                    "docs/workflows.md) and it is picked up without a restart", folder)
