"""Conditions and message templates inside a pack: compiled against the subject's schema,
with every problem placed at its line and column in the YAML file."""

from __future__ import annotations

import re
from typing import Any

from ..errors import ConditionError, Problem
from ..lang import Condition, Scope, compile_condition
from .reading import PackSourceFile
from .runtime import Template

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def compile_expr(
    text: str, scope: Scope, src: PackSourceFile, loc: tuple[Any, ...], problems: list[Problem]
) -> Condition | None:
    try:
        return compile_condition(text, scope)
    except ConditionError as exc:
        problems.append(condition_problem(exc, src, loc))
        return None


def condition_problem(
    exc: ConditionError, src: PackSourceFile, loc: tuple[Any, ...], base: int = 0
) -> Problem:
    where = src.expr_location(loc, exc.source, exc.start, exc.end, base)
    return Problem(exc.message, where, exc.hint, exc.code)


def compile_template(
    text: str, scope: Scope, src: PackSourceFile, loc: tuple[Any, ...], problems: list[Problem]
) -> Template | None:
    parts: list[str | Condition] = []
    pos = 0
    ok = True
    for m in _PLACEHOLDER.finditer(text):
        parts.append(text[pos : m.start()])
        pos = m.end()
        if m.group(0) in ("{{", "}}"):
            parts.append(m.group(0)[0])
            continue
        expr = m.group(1)
        try:
            parts.append(compile_condition(expr, scope, expect_bool=False))
        except ConditionError as exc:
            problems.append(condition_problem(exc, src, loc, base=m.start(1)))
            ok = False
    parts.append(text[pos:])
    if not ok:
        return None
    return Template(tuple(p for p in parts if p != ""))
