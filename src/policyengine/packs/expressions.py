"""Conditions and message templates inside a pack: compiled against the subject's schema,
with every problem placed at its line and column in the YAML file."""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, BeforeValidator

from .._format import MONEY, PERCENT
from ..errors import ConditionError, Problem
from ..lang import Condition, Scope, ast, compile_condition
from ..lang.checked import FieldRef, ParamRef
from ..models.values import parse_money
from .reading import PackSourceFile
from .runtime import Template

#: A parameter's ``unit:`` → how a message shows its value.
UNIT_KINDS = {"ratio": PERCENT, "yuan": MONEY}

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
    text: str,
    scope: Scope,
    src: PackSourceFile,
    loc: tuple[Any, ...],
    problems: list[Problem],
    units: Mapping[str, str | None] | None = None,
) -> Template | None:
    """A message template; each placeholder shows its value as what it is (a ratio as 3%, an
    amount as 30万元, a code by its Chinese label) when the pack's units or the record's field
    types say so (:func:`display_kind`)."""
    parts: list[str | Condition] = []
    kinds: list[str | None] = []
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
            cond = compile_condition(expr, scope, expect_bool=False)
            parts.append(cond)
            kinds.append(display_kind(cond, scope.subject, units or {}))
        except ConditionError as exc:
            problems.append(condition_problem(exc, src, loc, base=m.start(1)))
            ok = False
    parts.append(text[pos:])
    if not ok:
        return None
    kept = tuple(p for p in parts if p != "")
    shown = iter(kinds)
    return Template(kept, tuple(None if isinstance(p, str) else next(shown) for p in kept))


def display_kind(cond: Condition, subject: type[BaseModel], units: Mapping[str, str | None]) -> str | None:
    """``percent`` or ``money`` when the placeholder's value is known to be one: a parameter
    whose unit is ``ratio`` or ``yuan``, a record field typed as an amount, a product of an
    amount and ratios, a sum or difference of amounts."""
    return node_kind(cond.checked.root, cond, subject, units)


def node_kind(
    node: ast.Node, cond: Condition, subject: type[BaseModel], units: Mapping[str, str | None]
) -> str | None:
    """One node of ``cond`` as :func:`display_kind` reads the whole: ``percent``, ``money`` or None."""
    if isinstance(node, ast.Path):
        ref = cond.checked.refs.get(node)
        if isinstance(ref, ParamRef):
            return UNIT_KINDS.get(units.get(ref.name) or "")
        if isinstance(ref, FieldRef) and ref.var is None and is_money(subject, ref.steps):
            return MONEY
        return None
    if isinstance(node, ast.Call) and node.name in ("sum", "max", "min") and len(node.args) == 2:
        items, each = node.args  # sum(budget.lines, l -> l.amount): amounts if `l.amount` is one
        item = cond.checked.types.get(items)
        model = item.item.model if item is not None and item.item is not None else None
        if isinstance(each, ast.Lambda) and isinstance(each.body, ast.Path) and model is not None:
            ref = cond.checked.refs.get(each.body)
            if isinstance(ref, FieldRef) and ref.var == each.param and is_money(model, ref.steps):
                return MONEY
        return None
    if isinstance(node, ast.Arith):
        kinds = [node_kind(n, cond, subject, units) for n in (node.first, *(n for _, n in node.rest))]
        ops = {op for op, _ in node.rest}
        if ops <= {"+", "-"} and all(k == MONEY for k in kinds):
            return MONEY
        if ops == {"*"} and kinds.count(MONEY) == 1 and all(k in (MONEY, PERCENT) for k in kinds):
            return MONEY
    return None


def is_money(model: type[BaseModel], steps: tuple[str, ...]) -> bool:
    """Whether the field at ``steps`` of ``model`` holds an amount of money."""
    current: Any = model
    for i, step in enumerate(steps):
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return False
        info = current.model_fields.get(step)
        if info is None:
            return False
        if i == len(steps) - 1:
            return _has_money_validator(info.annotation) or any(_is_money_mark(m) for m in info.metadata)
        current = _model_in(info.annotation)
    return False


def _has_money_validator(annotation: Any) -> bool:
    if typing.get_origin(annotation) is typing.Annotated:
        return any(_is_money_mark(m) for m in typing.get_args(annotation)[1:])
    return any(_has_money_validator(a) for a in typing.get_args(annotation))


def _is_money_mark(mark: Any) -> bool:
    return isinstance(mark, BeforeValidator) and mark.func is parse_money


def _model_in(annotation: Any) -> Any:
    """The model class inside ``X | None`` or ``Annotated[X, ...]`` (not inside lists)."""
    if isinstance(annotation, type):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if isinstance(found, type) and issubclass(found, BaseModel):
            return found
    return None
