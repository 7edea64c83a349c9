"""JSON Schemas generated from the models, for editors and pipelines (``policyengine schema``).

What a value may look like is declared beside its type (the value types in :mod:`.values`, the
codes and labels on :class:`~.base.LabelledChoice`, a subject's Chinese name on
:class:`~.base.Subject`); this generator adds what holds for every schema: the dialect, and
JSON Schema's names for numeric bounds.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, JsonSchemaValue
from pydantic_core import CoreSchema

#: Pydantic's names of numeric bounds → JSON Schema's. Pydantic writes its own names when it
#: cannot put a bound inside the type, as with ``Field(ge=0)`` on ``Count | None`` (the int sits
#: behind a before-validator); validators ignore unknown keywords, so ``computers: -1`` passed.
_BOUNDS = {
    "ge": "minimum",
    "le": "maximum",
    "gt": "exclusiveMinimum",
    "lt": "exclusiveMaximum",
    "multiple_of": "multipleOf",
}


class PolicyEngineJsonSchema(GenerateJsonSchema):
    """Draft 2020-12, with ``$schema``, and numeric bounds that validators enforce."""

    def generate(self, schema: CoreSchema, mode: JsonSchemaMode = "validation") -> JsonSchemaValue:
        generated = super().generate(schema, mode)
        return {"$schema": self.schema_dialect, **generated}

    def generate_inner(self, schema: Any) -> JsonSchemaValue:
        json_schema = super().generate_inner(schema)
        metadata = schema.get("metadata") or {}
        leaked = _BOUNDS.keys() & (metadata.get("pydantic_js_updates") or {}).keys()
        for key in leaked & json_schema.keys():
            json_schema[_BOUNDS[key]] = json_schema.pop(key)
        return json_schema


def json_schema(model: type[BaseModel], title: str | None = None) -> dict[str, Any]:
    """The JSON Schema (validation mode: what a file may say) of a model, by alias."""
    schema = model.model_json_schema(by_alias=True, schema_generator=PolicyEngineJsonSchema)
    if title is not None:
        schema["title"] = title
    return schema


__all__ = ["PolicyEngineJsonSchema", "json_schema"]
