"""The JSON Schema of workflow files, built from the pydantic models and the node types."""

from __future__ import annotations

from typing import Any

from pydantic import create_model
from typing import Literal

from agentgate.workflow.model import NodeSpec, WorkflowFile
from agentgate.workflow.nodes import node_types


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


def workflow_schema() -> dict[str, Any]:
    schema = WorkflowFile.model_json_schema()
    definitions = schema.setdefault("$defs", {})
    choices = []
    for type_name, node_type in sorted(node_types().items()):
        node_schema = _node_model(type_name, node_type.Params).model_json_schema()
        definitions.update(node_schema.pop("$defs", {}))
        name = node_schema["title"]
        definitions[name] = node_schema
        choices.append({"$ref": f"#/$defs/{name}"})
    definitions.pop("NodeSpec", None)
    schema["properties"]["nodes"]["items"] = {"oneOf": choices}
    schema["title"] = "agentgate workflow"
    return schema
