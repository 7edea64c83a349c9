"""``policyengine schema``: JSON Schemas for editors and pipelines, from the registered types."""

from __future__ import annotations

import argparse
import functools
import json
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

from ..errors import PolicyEngineError, Problem, did_you_mean
from ..evaluate.document import report_json_schema
from ..models.events import Event
from ..monitor.kinds.base import MonitorKind
from ..packs.schema import PackFile
from ..plugins import default_monitor_kinds, default_subjects
from .output import emit
from .parser import EXIT_OK

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def pack_schema(kinds: Mapping[str, MonitorKind]) -> dict[str, Any]:
    """The pack file's schema; a ``monitors:`` entry is one of the registered kinds' models."""
    schema = PackFile.model_json_schema(by_alias=True)
    defs = schema.setdefault("$defs", {})
    choices = []
    for name, kind in sorted(kinds.items()):
        spec = kind.spec.model_json_schema(by_alias=True)
        defs.update(spec.pop("$defs", {}))
        defs[f"monitor_{name}"] = spec
        choices.append({"$ref": f"#/$defs/monitor_{name}"})
    defs["MonitorEntry"] = {"title": "Monitor", "oneOf": choices}
    return {"$schema": DRAFT, **schema, "title": "policyengine pack"}


def targets() -> dict[str, Callable[[], dict[str, Any]]]:
    """What ``schema`` can print: the fixed targets, then every registered subject kind."""
    out: dict[str, Callable[[], dict[str, Any]]] = {
        "pack": lambda: pack_schema(default_monitor_kinds()),
        "report": report_json_schema,
        "events": functools.partial(_model_schema, Event),
    }
    for kind, model in sorted(default_subjects().items()):
        out.setdefault(kind, functools.partial(_model_schema, model))
    return out


def _model_schema(model: type[BaseModel]) -> dict[str, Any]:
    return {"$schema": DRAFT, **model.model_json_schema()}


def cmd_schema(args: argparse.Namespace) -> int:
    available = targets()
    if args.target is None:
        emit("\n".join(available))
        return EXIT_OK
    if args.target not in available:
        suggestion = did_you_mean(args.target, available)
        hint = f"did you mean `{suggestion}`?" if suggestion else f"use one of {', '.join(available)}"
        raise PolicyEngineError([Problem(f"no schema `{args.target}`", None, hint, "usage")])
    emit(json.dumps(available[args.target](), ensure_ascii=False, indent=2))
    return EXIT_OK
