"""GET /v1/models and /v1/models/{id}: each loaded workflow is a model."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from agentgate.appkeys import CATALOG
from agentgate.errors import ModelNotFound
from agentgate.workflow.loader import Workflow


def model_entry(workflow: Workflow) -> dict[str, Any]:
    return {"id": workflow.name, "object": "model", "created": workflow.created,
            "owned_by": "agentgate", "name": workflow.title,
            "description": workflow.description}


async def list_models(request: web.Request) -> web.Response:
    workflows = request.app[CATALOG].workflows.values()
    return web.json_response({"object": "list",
                              "data": [model_entry(w) for w in workflows]})


async def get_model(request: web.Request) -> web.Response:
    name = request.match_info["model"]
    workflow = request.app[CATALOG].get(name)
    if workflow is None:
        raise ModelNotFound(name)
    return web.json_response(model_entry(workflow))
