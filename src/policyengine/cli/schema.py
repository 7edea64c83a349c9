"""``policyengine schema``: JSON Schemas for editors and pipelines, from the registered types."""

from __future__ import annotations

import argparse
import functools
import json
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import PolicyEngineError, Problem, did_you_mean
from ..evaluate.document import report_json_schema
from ..models.events import Event
from ..models.schema import json_schema
from ..monitor.kinds.base import MonitorKind
from ..packs.correlations import KINDS as CORRELATION_KINDS
from ..packs.schema import PackFile
from ..plugins import default_monitor_kinds, default_subjects
from ..testing.spec import CaseFile
from .output import emit
from .parser import EXIT_OK


def pack_schema(kinds: Mapping[str, MonitorKind]) -> dict[str, Any]:
    """The pack file's schema; a ``monitors:`` entry is one of the registered kinds' models, a
    ``correlations:`` entry one of the correlation kinds'."""
    schema = json_schema(PackFile)
    defs = schema.setdefault("$defs", {})
    defs["MonitorEntry"] = _one_of(defs, "Monitor", "monitor", {n: k.spec for n, k in kinds.items()})
    specs = {n: c.spec for n, c in CORRELATION_KINDS.items()}
    defs["CorrelationEntry"] = _one_of(defs, "Correlation", "correlation", specs)
    return {**schema, "title": "policyengine pack"}


def _one_of(defs: dict[str, Any], title: str, prefix: str, specs: Mapping[str, Any]) -> dict[str, Any]:
    """A section entry as one of its kinds' models, each put into ``defs`` as ``prefix_name``."""
    choices = []
    for name, model in sorted(specs.items()):
        spec = json_schema(model)
        spec.pop("$schema", None)
        defs.update(spec.pop("$defs", {}))
        defs[f"{prefix}_{name}"] = spec
        choices.append({"$ref": f"#/$defs/{prefix}_{name}"})
    return {"title": title, "oneOf": choices}


def targets() -> dict[str, Callable[[], dict[str, Any]]]:
    """What ``schema`` can print: the fixed targets, then every registered subject kind."""
    out: dict[str, Callable[[], dict[str, Any]]] = {
        "pack": lambda: pack_schema(default_monitor_kinds()),
        "report": report_json_schema,
        "events": functools.partial(json_schema, Event),
        "case": functools.partial(json_schema, CaseFile, "policyengine test cases"),
    }
    for kind, model in sorted(default_subjects().items()):
        out.setdefault(kind, functools.partial(json_schema, model))
    return out


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
