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
    choices = []
    for name, kind in sorted(kinds.items()):
        spec = json_schema(kind.spec)
        spec.pop("$schema", None)
        defs.update(spec.pop("$defs", {}))
        defs[f"monitor_{name}"] = spec
        choices.append({"$ref": f"#/$defs/monitor_{name}"})
    defs["MonitorEntry"] = {"title": "Monitor", "oneOf": choices}
    correlations = []
    for name, corr in sorted(CORRELATION_KINDS.items()):
        spec = json_schema(corr.spec)
        spec.pop("$schema", None)
        defs.update(spec.pop("$defs", {}))
        defs[f"correlation_{name}"] = spec
        correlations.append({"$ref": f"#/$defs/correlation_{name}"})
    defs["CorrelationEntry"] = {"title": "Correlation", "oneOf": correlations}
    return {**schema, "title": "policyengine pack"}


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
