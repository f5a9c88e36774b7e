"""Node types. Each module defines one `Node` subclass; `node_types()` maps type names to
them: the built-in ones, plus those other packages register under the `agentgate.nodes`
entry point group."""

from __future__ import annotations

import logging
from importlib.metadata import entry_points

from agentgate.errors import NodeFailure
from agentgate.workflow.nodes.base import Node, NodeContext, NodeParams
from agentgate.workflow.nodes.branch import BranchNode
from agentgate.workflow.nodes.http import HttpNode
from agentgate.workflow.nodes.jsondata import JsonNode
from agentgate.workflow.nodes.llm import LlmNode
from agentgate.workflow.nodes.mapping import MapNode
from agentgate.workflow.nodes.subworkflow import WorkflowNode
from agentgate.workflow.nodes.template import TemplateNode

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "agentgate.nodes"
BUILTIN: tuple[type[Node], ...] = (TemplateNode, LlmNode, HttpNode, JsonNode, BranchNode,
                                   MapNode, WorkflowNode)
NODE_TYPES: dict[str, type[Node]] = {cls.type_name: cls for cls in BUILTIN}
_plugins_loaded = False


def load_plugins() -> list[str]:
    """Register node types from installed packages; returns problems (also logged)."""
    global _plugins_loaded
    _plugins_loaded = True
    problems = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            cls = entry.load()
            if not (isinstance(cls, type) and issubclass(cls, Node)):
                raise TypeError("it is not a Node subclass")
            name = getattr(cls, "type_name", entry.name)
            if name in NODE_TYPES and NODE_TYPES[name] is not cls:
                raise ValueError(f"node type {name!r} is already registered")
            NODE_TYPES[name] = cls
        except Exception as exc:  # a broken plugin must not stop the server
            problems.append(f"node type plugin {entry.name!r} ({entry.value}): {exc}")
            log.error("%s", problems[-1])
    return problems


def node_types() -> dict[str, type[Node]]:
    if not _plugins_loaded:
        load_plugins()
    return NODE_TYPES


__all__ = ["ENTRY_POINT_GROUP", "NODE_TYPES", "Node", "NodeContext", "NodeFailure", "NodeParams",
           "load_plugins", "node_types"]
