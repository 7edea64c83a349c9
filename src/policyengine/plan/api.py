"""Plans for packs by id, with the registry's subjects and functions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from ..errors import PolicyEngineError, Problem
from ..lang.runtime import DEFAULT_MAX_STEPS
from ..packs.runtime import Pack
from ..plugins import default_functions, default_subjects, get_registry
from .build import Plan, compile_plan


def plan_for(
    packs: Sequence[str | Path | Pack],
    kind: str,
    as_of: date,
    *,
    max_steps: int = DEFAULT_MAX_STEPS,
    ignore_scope: bool = False,
) -> Plan:
    """The plan of ``packs`` (ids, directories or loaded packs) for records of ``kind``."""
    registry = get_registry()
    loaded = [p if isinstance(p, Pack) else registry.load(p) for p in packs]
    subjects = default_subjects()
    if kind not in subjects:
        raise PolicyEngineError(
            [Problem(f"unknown kind `{kind}`", None, f"use one of {', '.join(sorted(subjects))}", "usage")]
        )
    return compile_plan(
        loaded,
        kind,
        subjects[kind],
        as_of,
        default_functions(),
        max_steps=max_steps,
        ignore_scope=ignore_scope,
    )
