"""Closures for the operators: ``and``/``or``, arithmetic, comparisons and ``in``.

The compiler compiles the operands and picks a builder here; each builder returns the
closure that combines the operands' values with MISSING's three-valued logic (see
:mod:`.runtime`). Comparisons come in specialised forms (against a literal, against a
parameter, plain, traced) so the common cases do as little as possible per evaluation.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any

from ..errors import EvaluationError
from .runtime import MISSING, Ctx, Fn, TraceEntry, plain

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _div(a: Any, b: Any) -> Decimal:
    try:
        return Decimal(a) / Decimal(b)
    except (DivisionByZero, InvalidOperation):
        raise EvaluationError("division by zero") from None


_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": _div,
}


# -- and / or ----------------------------------------------------------------------------


def boolean(op: str, parts: list[Fn], explain: bool) -> Fn:
    """``and``/``or`` over ``parts``; ``explain`` evaluates every operand (for traces)."""
    if explain:
        # Explanations show every decision, so evaluate all operands (they are pure).
        is_and = op == "and"

        def explained(ctx: Ctx) -> Any:
            values = [part(ctx) for part in parts]
            decided = [v for v in values if v is not MISSING]
            if is_and and any(not v for v in decided):
                return False
            if not is_and and any(v for v in decided):
                return True
            return MISSING if len(decided) < len(values) else is_and

        return explained
    if op == "and":

        def and_fn(ctx: Ctx) -> Any:
            unknown = False
            for part in parts:
                value = part(ctx)
                if value is MISSING:
                    unknown = True
                elif not value:
                    return False
            return MISSING if unknown else True

        return and_fn

    def or_fn(ctx: Ctx) -> Any:
        unknown = False
        for part in parts:
            value = part(ctx)
            if value is MISSING:
                unknown = True
            elif value:
                return True
        return MISSING if unknown else False

    return or_fn


# -- arithmetic --------------------------------------------------------------------------


def arithmetic(first: Fn, operations: list[tuple[str, Fn]]) -> Fn:
    """``first`` followed by ``(operator, operand)`` pairs, left to right."""
    rest = [(_ARITH[symbol], fn) for symbol, fn in operations]

    def arith_fn(ctx: Ctx) -> Any:
        value = first(ctx)
        unknown = value is MISSING
        for op, fn in rest:
            other = fn(ctx)
            if other is MISSING:
                unknown = True
            elif not unknown:
                try:
                    value = op(value, other)
                except ArithmeticError as exc:  # overflow and the like
                    raise EvaluationError(f"arithmetic failed: {type(exc).__name__}") from None
        return MISSING if unknown else value

    return arith_fn


# -- comparisons -------------------------------------------------------------------------


def compare_constant(symbol: str, left: Fn, constant: Any) -> Fn:
    """``left <symbol> constant`` for a literal on the right (untraced)."""
    op = _COMPARE[symbol]

    def cmp_const(ctx: Ctx) -> Any:
        a = left(ctx)
        return MISSING if a is MISSING else op(a, constant)

    return cmp_const


def compare_param(symbol: str, left: Fn, pname: str) -> Fn:
    """``left <symbol> param.pname`` (untraced)."""
    op = _COMPARE[symbol]

    def cmp_param(ctx: Ctx) -> Any:
        a = left(ctx)
        return MISSING if a is MISSING else op(a, ctx.params[pname])

    return cmp_param


def compare_values(symbol: str, left: Fn, right: Fn) -> Fn:
    """``left <symbol> right`` (untraced)."""
    op = _COMPARE[symbol]

    def cmp_fn(ctx: Ctx) -> Any:
        a = left(ctx)
        b = right(ctx)
        if a is MISSING or b is MISSING:
            return MISSING
        return op(a, b)

    return cmp_fn


def compare_traced(symbol: str, left: Fn, right: Fn, text: str, start: int, end: int) -> Fn:
    """``left <symbol> right``, recording the decision in the context's trace."""
    op = _COMPARE[symbol]

    def cmp_traced(ctx: Ctx) -> Any:
        a = left(ctx)
        b = right(ctx)
        result = MISSING if a is MISSING or b is MISSING else op(a, b)
        if ctx.trace is not None:
            ctx.trace.append(
                TraceEntry(
                    text,
                    symbol,
                    plain(a),
                    plain(b),
                    None if result is MISSING else result,
                    start,
                    end,
                )
            )
        return result

    return cmp_traced


# -- membership --------------------------------------------------------------------------


def membership(item: Fn, container: Fn, negated: bool, traced: bool, text: str, start: int, end: int) -> Fn:
    """``item in container`` (or ``not in``); ``traced`` records the decision."""
    symbol = "not in" if negated else "in"

    def in_fn(ctx: Ctx) -> Any:
        a = item(ctx)
        b = container(ctx)
        result = MISSING if a is MISSING or b is MISSING else a not in b if negated else a in b
        if traced and ctx.trace is not None:
            ctx.trace.append(
                TraceEntry(
                    text,
                    symbol,
                    plain(a),
                    [plain(x) for x in b] if isinstance(b, list) else plain(b),
                    None if result is MISSING else result,
                    start,
                    end,
                )
            )
        return result

    return in_fn
