"""The JSON Schema of workflow files, built from the pydantic models and the node types.

A node is checked by the schema of its `type` alone (`if` the type is X `then` X's schema),
not by "one of" every node schema: an editor then reports the field that is wrong for that
type, not that the node matches none of them. A `map`'s sub-graph nodes are checked the
same way.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import create_model

from agentgate.workflow.model import NodeSpec, WorkflowFile
from agentgate.workflow.nodes import node_types

NODE = "#/$defs/Node"


def _node_model(type_name: str, params: type) -> type:
    fields: dict[str, Any] = {
        name: (field.annotation, field) for name, field in NodeSpec.model_fields.items()
        if name != "type"}
    fields["type"] = (Literal[type_name], ...)
    fields.update({name: (field.annotation, field) for name, field in params.model_fields.items()})
    model = create_model(f"{type_name.title().replace('_', '')}Node", __doc__=params.__doc__,
                         **fields)
    model.model_config["extra"] = "forbid"
    model.model_rebuild(force=True)
    return model


def _nested_nodes(node_schema: dict[str, Any]) -> None:
    """A parameter holding node objects (a `map`'s `nodes`) is checked as nodes."""
    nested = node_schema.get("properties", {}).get("nodes")
    if isinstance(nested, dict) and nested.get("type") == "array":
        nested["items"] = {"$ref": NODE}


def workflow_schema() -> dict[str, Any]:
    schema = WorkflowFile.model_json_schema()
    definitions = schema.setdefault("$defs", {})
    types = sorted(node_types().items())
    dispatch = []
    for type_name, node_type in types:
        node_schema = _node_model(type_name, node_type.Params).model_json_schema()
        definitions.update(node_schema.pop("$defs", {}))
        _nested_nodes(node_schema)
        name = node_schema["title"]
        definitions[name] = node_schema
        dispatch.append({"if": {"properties": {"type": {"const": type_name}},
                                "required": ["type"]},
                         "then": {"$ref": f"#/$defs/{name}"}})
    definitions.pop("NodeSpec", None)
    definitions["Node"] = {
        "title": "Node", "type": "object", "required": ["id", "type"],
        "description": "A step of the workflow; its `type` says which fields it takes.",
        "properties": {"type": {"enum": [name for name, _ in types],
                                "description": "The node type."}},
        "allOf": dispatch}
    schema["properties"]["nodes"]["items"] = {"$ref": NODE}
    schema["title"] = "agentgate workflow"
    return schema
