"""Node types. Each module defines one `Node` subclass; `NODE_TYPES` maps type names to them."""

from __future__ import annotations

from agentgate.workflow.nodes.base import Node, NodeContext
from agentgate.workflow.nodes.template import TemplateNode

NODE_TYPES: dict[str, type[Node]] = {cls.type_name: cls for cls in (TemplateNode,)}

__all__ = ["NODE_TYPES", "Node", "NodeContext"]
