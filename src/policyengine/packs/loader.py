"""Load a pack: read it and what it extends, merge, compile each section, hash.

A pure function of its inputs: the subject models, condition functions, monitor kinds and the
``extends:`` resolver are given by the caller (:func:`policyengine.load_pack` wires in the
registered plugins). Every problem is collected with its file, line and column and reported
together: YAML, schema (unknown keys with "did you mean"), conditions (syntax, unknown fields,
types), duplicate ids, unknown subjects, citations to unknown sources, ``extends:`` cycles.

The passes, each in its own module: :mod:`.reading` (one file, with positions) →
:mod:`.merge` (the ``extends:`` chain into one table) → :mod:`.rules`, :mod:`.scorecards`,
:mod:`.monitors`, :mod:`.correlations` (one compiler per section) → :mod:`.hashing` → :class:`.runtime.Pack`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel

from ..errors import PackError
from ..lang import type_of_value
from ..lang.functions import Function
from ..models.introspect import ANY, TypeInfo
from .correlations import compile_correlations
from .hashing import content_hash
from .merge import Merged, Resolver, merge, read_chain
from .monitors import MonitorKindSpec, compile_monitors
from .reading import PACK_FILE
from .rules import compile_rules
from .runtime import Pack
from .scorecards import compile_scorecards

__all__ = ["Pack", "Resolver", "load_pack"]


def load_pack(
    path: Path | str,
    *,
    subjects: Mapping[str, type[BaseModel]],
    functions: Mapping[str, Function],
    monitor_kinds: Mapping[str, MonitorKindSpec],
    resolve: Resolver,
) -> Pack:
    """Load the pack in directory ``path`` (or its pack.yaml), with everything it extends."""
    directory = Path(path)
    if directory.name == PACK_FILE:
        directory = directory.parent
    merged = merge(read_chain(directory, resolve))
    param_types = _param_types(merged)
    rules = compile_rules(merged, subjects, functions, param_types)
    rule_subjects = {r.id: r.subject for r in rules}
    scorecards = compile_scorecards(merged, subjects, functions, param_types, rule_subjects)
    monitors = compile_monitors(merged, monitor_kinds)
    correlations = compile_correlations(merged, subjects)
    if merged.problems:
        raise PackError(merged.problems)
    return Pack(
        meta=merged.top.model.pack,
        sources={k: v for k, (v, _) in merged.sources.items()},
        parameters={k: v for k, (v, _, _) in merged.params.items()},
        rules=rules,
        not_checked=merged.not_checked,
        path=merged.top.path.parent,
        chain=[s.model.pack.id for s in merged.chain],
        content_hash=content_hash(merged, rules, scorecards, monitors, correlations),
        scorecards=scorecards,
        monitors=monitors,
        correlations=correlations,
    )


def _param_types(merged: Merged) -> dict[str, TypeInfo]:
    """Each parameter's type, from its earliest value; a parameter already reported as broken
    may still be named by rules without a second error."""
    types: dict[str, TypeInfo] = {name: ANY for src in merged.chain for name in src.broken_params}
    types.update(
        {name: type_of_value(p.values[min(p.values)].value) for name, (p, _, _) in merged.params.items()}
    )
    return types
