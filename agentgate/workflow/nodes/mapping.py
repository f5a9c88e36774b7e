"""`map`: runs a sub-graph once for every item of a list, a few at a time, and collects the
results of its output node in the order of the list.

Inside the sub-graph, templates see `item` and `index` besides everything outside; the
sub-graph's nodes may read the results of the nodes outside it, which the map then waits
for.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any, Literal

from pydantic import Field

from agentgate.errors import NodeFailure
from agentgate.workflow.nodes.base import Node, NodeContext, NodeParams
from agentgate.workflow.templating import compile_expression


class MapParams(NodeParams):
    items: str = Field(..., description="A jinja2 expression giving the list, e.g. "
                       "`inputs.cities` or `nodes.search.json.results`.")
    nodes: list[dict[str, Any]] = Field(..., min_length=1, description="The sub-graph run "
                                        "for each item (node objects, as at the top level).")
    output: str = Field(..., description="Id of the sub-graph node whose result is collected.")
    concurrency: int = Field(4, ge=1, le=64, description="Items run at the same time.")
    on_error: Literal["fail", "skip"] = Field("fail", description="`fail`: a failing item "
                                              "fails the map; `skip`: it gives `null` and its "
                                              "error is listed in `errors`.")
    separator: str = Field("\n", description="Joins the items' texts into `text`.")


class MapNode(Node):
    type_name = "map"
    Params = MapParams

    def __init__(self, spec, params: MapParams):
        super().__init__(spec, params)
        self._items = compile_expression(params.items)

    def expression_fields(self) -> set[str]:
        return {"items"}

    def template_sources(self) -> list[str]:
        return []

    def subgraph(self) -> tuple[list[dict[str, Any]], str]:
        return self.params.nodes, self.params.output

    async def run(self, context: NodeContext) -> dict[str, Any]:
        from agentgate.workflow.runner import NodeError, execute  # runner imports node types

        items = self._items(**context.template_context())
        if items is None or isinstance(items, (str, dict)) or not hasattr(items, "__iter__"):
            raise NodeFailure("`items` did not give a list")
        items = list(itertools.islice(items, context.runtime.max_map_items + 1))
        if len(items) > context.runtime.max_map_items:
            raise NodeFailure(f"`items` gave more than {context.runtime.max_map_items:,} "
                              "items")
        limit = asyncio.Semaphore(self.params.concurrency)
        errors: list[dict[str, Any]] = []

        async def one(index: int, item: Any) -> dict[str, Any] | None:
            async with limit:
                try:
                    results = await execute(self.graph, context.inner(item=item, index=index))
                except NodeError as failure:
                    if self.params.on_error == "fail":
                        raise NodeError(failure.node, f"item {index}: {failure.message}") \
                            from None
                    errors.append({"index": index, "error": failure.message})
                    return None
                return results[self.graph.output]

        tasks = [asyncio.ensure_future(one(i, item)) for i, item in enumerate(items)]
        try:
            if tasks:
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
                for task in done:
                    if task.exception() is not None:
                        raise task.exception()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        collected = [task.result() for task in tasks]
        errors.sort(key=lambda error: error["index"])
        texts = [str(result.get("text", "")) for result in collected if result is not None]
        return {"results": collected, "text": self.params.separator.join(texts),
                "count": len(items), "errors": errors}
