"""`http`: a JSON request to a URL, with templated query, headers and body, a status check
and an optional JSON path selecting the part of the answer to keep. The node's `timeout`
(common to all nodes) bounds the request.

Put user values in `query` or `body`, not in the URL itself, so they are encoded and
cannot change the host.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any, Literal

import aiohttp
from pydantic import Field

from agentgate.errors import NodeFailure
from agentgate.workflow import jsonpath
from agentgate.workflow.nodes.base import Node, NodeContext, NodeParams
from agentgate.workflow.nodes.jsondata import as_text
from agentgate.workflow.templating import template_strings


class HttpParams(NodeParams):
    url: str = Field(..., description="Template of the URL (http or https).")
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    query: dict[str, str] = Field(default_factory=dict, description="Query parameters; "
                                  "values are templates.")
    headers: dict[str, str] = Field(default_factory=dict, description="Request headers; "
                                    "values are templates (use `fixed` for secrets).")
    body: Any = Field(None, description="JSON body; every string inside is a template.")
    expect_status: list[int] = Field(default_factory=list, description="Accepted statuses; "
                                     "default: any 2xx.")
    select: str | None = Field(None, description="JSON path of the part of the answer to keep.")


async def _read_capped(response: aiohttp.ClientResponse, limit: int) -> str:
    """The body as text, read in pieces and refused past `limit` bytes."""
    chunks, size = [], 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise NodeFailure(f"the service's answer is larger than {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks).decode(response.get_encoding() or "utf-8", errors="replace")


def _render_tree(value: Any, render) -> Any:
    if isinstance(value, str):
        return render(value)
    if isinstance(value, list):
        return [_render_tree(item, render) for item in value]
    if isinstance(value, dict):
        return {key: _render_tree(item, render) for key, item in value.items()}
    return value


def _explain(error: aiohttp.ClientError) -> str:
    """Why a request failed, in words, without the URL (it may carry fixed values)."""
    if isinstance(error, aiohttp.ClientConnectorDNSError):
        return "the service's host name could not be resolved (no network?)"
    if isinstance(error, aiohttp.ClientConnectorError):
        return "the service could not be reached"
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return "the service closed the connection"
    if isinstance(error, aiohttp.InvalidURL):
        return "the URL is not valid"
    return f"the request failed ({type(error).__name__})"


class HttpNode(Node):
    type_name = "http"
    Params = HttpParams

    def __init__(self, spec, params: HttpParams):
        super().__init__(spec, params)
        self._templates = {source: self.compile(source)
                           for source in template_strings(params.model_dump())}

    async def run(self, context: NodeContext) -> dict[str, Any]:
        scope = context.template_context()

        def render(source: str) -> str:
            return self._templates[source].render(scope) if source in self._templates \
                else source

        params = self.params
        url = render(params.url).strip()
        if not url.startswith(("http://", "https://")):
            raise NodeFailure("the URL must start with http:// or https://")
        shared = context.runtime.http
        try:
            async with contextlib.AsyncExitStack() as stack:
                session = shared.session() if shared is not None else \
                    await stack.enter_async_context(aiohttp.ClientSession())
                async with session.request(
                        params.method, url, params=_render_tree(params.query, render),
                        headers=_render_tree(params.headers, render),
                        json=_render_tree(params.body, render)
                        if params.body is not None else None) as response:
                    status = response.status
                    raw = await _read_capped(response, context.runtime.max_http_bytes)
        except aiohttp.ClientError as exc:
            raise NodeFailure(_explain(exc)) from None
        accepted = status in params.expect_status if params.expect_status else 200 <= status < 300
        if not accepted:
            raise NodeFailure(f"the service answered HTTP {status}")
        try:
            data = json.loads(raw) if raw.strip() else None
        except json.JSONDecodeError:
            data = raw
        if params.select:
            data = jsonpath.select(data, params.select)
        return {"status": status, "json": data, "text": as_text(data)}
