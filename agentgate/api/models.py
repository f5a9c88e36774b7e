"""GET /v1/models and /v1/models/{id}: each loaded workflow is a model.

Besides OpenAI's fields, each entry carries `agentgate`: the workflow's query inputs (never
its fixed values), its number of steps and whether it needs the internal LLM. A workflow
that needs one on a server without one says so in its description.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from agentgate.appkeys import CATALOG, DEPS
from agentgate.errors import ModelNotFound
from agentgate.workflow.describe import LLM_NOTE, model_details
from agentgate.workflow.loader import Catalog, Workflow


def model_entry(workflow: Workflow, catalog: Catalog | None = None,
                llm_configured: bool = True) -> dict[str, Any]:
    details = model_details(workflow, catalog)
    description = workflow.description
    if details["needs_internal_llm"] and not llm_configured:
        description = f"{description} {LLM_NOTE}".strip()
    return {"id": workflow.name, "object": "model", "created": workflow.created,
            "owned_by": "agentgate", "name": workflow.title, "description": description,
            "agentgate": details}


async def list_models(request: web.Request) -> web.Response:
    catalog = request.app[CATALOG]
    configured = request.app[DEPS].llm is not None
    return web.json_response({"object": "list", "data": [
        model_entry(w, catalog, configured) for w in catalog.workflows.values()]})


async def get_model(request: web.Request) -> web.Response:
    name = request.match_info["model"]
    catalog = request.app[CATALOG]
    workflow = catalog.get(name)
    if workflow is None:
        raise ModelNotFound(name)
    return web.json_response(model_entry(workflow, catalog, request.app[DEPS].llm is not None))
