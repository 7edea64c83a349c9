"""Calls as SQL: ``exists``, ``default``, ``len`` and the built-in functions, with the row
engine's calendar semantics (``docs/condition-language.md``); calls on constants alone are
computed by the function's own implementation. Where the row engine would raise (a period
that ends before it starts, a date past year 9999), a guard hands the row to it."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlglot import exp

from ..lang import ast
from ..lang.checked import FieldRef
from ..lang.functions import BUILTIN_FUNCTIONS, QUANTIFIERS
from ..lang.runtime import MISSING
from .expr import Compiler, Env, null_if_any
from .layout import NotInPlan, Table
from .quantifiers import length, quantifier
from .scope import Scope
from .values import (
    Const,
    ListVal,
    Parts,
    Sql,
    Val,
    as_sql,
    case,
    definitely,
    literal,
    not_null,
    paren,
)


def call(c: Compiler, node: ast.Call, scope: Scope, env: Env) -> Val:
    name = node.name
    if name in QUANTIFIERS:
        return quantifier(c, node, scope, env)
    if name == "exists":
        return _exists(c, node, scope, env)
    if name == "default":
        return _default(c.node(node.args[0], scope, env), c.node(node.args[1], scope, env))
    func = c.functions.get(name)
    if func is None or BUILTIN_FUNCTIONS.get(name) is not func:
        raise NotInPlan(f"`{name}(...)` is a plugin's function, which has no SQL form")
    args = [c.node(a, scope, env) for a in node.args]
    if name == "len":
        return _len(c, args[0], scope, env)
    if all(isinstance(a, Const) for a in args):
        return _fold(name, func.impl, [a.value for a in args])  # type: ignore[union-attr]
    if any(isinstance(a, Const) and a.value is MISSING for a in args):
        parts = Parts()
        parts.add(*args)
        return parts.sql(literal(MISSING, func.returns).expr, func.returns, digits=(1, 0), sqltype=(1, 0))
    builder = _BUILDERS.get(name)
    if builder is None:
        raise NotInPlan(f"`{name}(...)` of a value read from the record has no SQL form")
    return builder(args)


def _fold(name: str, impl: Any, values: list[Any]) -> Const:
    if any(v is MISSING for v in values):
        return Const(MISSING)
    try:
        result = impl(*values)
    except Exception:
        raise NotInPlan(f"`{name}(...)` fails for every record (the row engine reports it)") from None
    return Const(MISSING if result is None else result)


def _exists(c: Compiler, node: ast.Call, scope: Scope, env: Env) -> Val:
    path = node.args[0]
    assert isinstance(path, ast.Path) and c.checked is not None
    ref = c.checked.refs[path]
    if not isinstance(ref, FieldRef):
        return Const(True)
    owner, table = c.owner(ref, scope, env)
    if owner is None:  # a constant: there, unless a field of it is asked for
        if ref.steps:
            raise NotInPlan(f"`{path.text}` reads a field of a constant")
        return Const(True)
    target = c.layout.resolve(table, ref.steps)
    column = c.layout.length(target) if isinstance(target, Table) else target
    return Sql(not_null(scope.outer(owner, column)), "bool")


def _default(value: Val, fallback: Val) -> Val:
    if isinstance(value, Const):
        return fallback if value.value is MISSING else value
    a = as_sql(value)
    b = as_sql(fallback, a.kind)
    parts = Parts()
    parts.add(a, b)
    digits = sqltype = None
    if a.digits and b.digits and a.sqltype and b.sqltype:
        digits = (max(a.digits[0], b.digits[0]), max(a.digits[1], b.digits[1]))
        scale = max(a.sqltype[1], b.sqltype[1])
        sqltype = (max(a.sqltype[0] - a.sqltype[1], b.sqltype[0] - b.sqltype[1]) + scale, scale)
    kind = a.kind if a.kind != "any" else b.kind
    return parts.sql(exp.Coalesce(this=a.expr, expressions=[b.expr]), kind, digits=digits, sqltype=sqltype)


def _len(c: Compiler, arg: Val, scope: Scope, env: Env) -> Val:
    if isinstance(arg, ListVal):
        return length(c, arg, scope, env)
    if isinstance(arg, Const):
        return Const(MISSING if arg.value is MISSING else Decimal(len(arg.value)))
    if arg.kind != "string":
        raise NotInPlan(f"len(...) of a {arg.kind}")
    parts = Parts()
    parts.add(arg)
    return parts.sql(exp.Length(this=arg.expr), "number", digits=(13, 0), sqltype=(19, 0))


# -- built-in functions over SQL values ----------------------------------------------------------


def _whole(v: Val, what: str, low: int | None = None, high: int | None = None) -> int:
    """A constant whole number argument (the row engine refuses others every time)."""
    if not isinstance(v, Const) or not isinstance(v.value, (int, Decimal)):
        raise NotInPlan(f"{what} read from the record")
    n = int(v.value)
    if n != v.value or (low is not None and n < low) or (high is not None and n > high):
        raise NotInPlan(f"{what} {v.value} is refused by the row engine")
    return n


def _number(e: exp.Expression, parts: Parts, digits: tuple[int, int] = (13, 0)) -> Sql:
    return parts.sql(e, "number", digits=digits, sqltype=(19, 0))


def _parts(*vals: Val) -> Parts:
    parts = Parts()
    parts.add(*vals)
    return parts


def _to_date(e: exp.Expression) -> exp.Expression:
    return exp.cast(e, "DATE")


def _outside(d: exp.Expression, low: date, high: date) -> list[exp.Expression]:
    """Guards: ``d`` outside low..high (where the row engine's date arithmetic would fail)."""
    out = []
    if low > date.min:
        out.append(definitely(exp.LT(this=d.copy(), expression=literal(low).expr)))
    if high < date.max:
        out.append(definitely(exp.GT(this=d.copy(), expression=literal(high).expr)))
    return out


def _month_bounds(n: int) -> tuple[date, date]:
    """The days ``add_months(d, n)`` is defined for."""
    lo_index = max(12, 12 - n)
    hi_index = min(9999 * 12 + 11, 9999 * 12 + 11 - n)
    if lo_index > hi_index:
        raise NotInPlan(f"add_months(..., {n}) fails for every date")
    hy, hm = divmod(hi_index, 12)
    return date(lo_index // 12, lo_index % 12 + 1, 1), date(hy, hm + 1, calendar.monthrange(hy, hm + 1)[1])


def add_months_sql(d: Sql, n: int) -> Sql:
    low, high = _month_bounds(n)
    parts = _parts(d)
    parts.guards.extend(_outside(d.expr, low, high))
    shifted = exp.AddMonths(this=d.expr.copy(), expression=exp.Literal.number(n))
    return parts.sql(_to_date(shifted), "date")


def _add_months(args: list[Val]) -> Sql:
    return add_months_sql(as_sql(args[0]), _whole(args[1], "the number of months"))


def _add_days(args: list[Val]) -> Sql:
    d = as_sql(args[0])
    n = _whole(args[1], "the number of days", -3_000_000, 3_000_000)
    low = date.min + timedelta(days=max(0, -n)) if -n < 3_652_059 else date.max
    high = date.max - timedelta(days=max(0, n)) if n < 3_652_059 else date.min
    parts = _parts(d)
    parts.guards.extend(_outside(d.expr, low, high))
    shifted = exp.DateAdd(this=d.expr.copy(), expression=exp.Literal.number(n), unit=exp.Var(this="DAY"))
    return parts.sql(_to_date(shifted), "date")


def months_between_sql(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    """Whole months stepped from ``a`` towards ``b`` without passing it, signed."""
    n0 = exp.Add(
        this=exp.Mul(
            this=exp.Paren(this=exp.Sub(this=exp.Year(this=b.copy()), expression=exp.Year(this=a.copy()))),
            expression=exp.Literal.number(12),
        ),
        expression=exp.Paren(
            this=exp.Sub(this=exp.Month(this=b.copy()), expression=exp.Month(this=a.copy()))
        ),
    )
    stepped = _to_date(exp.AddMonths(this=a.copy(), expression=exp.Paren(this=n0.copy())))
    return case(
        (
            exp.And(
                this=exp.GTE(this=b.copy(), expression=a.copy()),
                expression=exp.GT(this=stepped, expression=b.copy()),
            ),
            exp.Sub(this=paren(n0.copy()), expression=exp.Literal.number(1)),
        ),
        (
            exp.And(
                this=exp.LT(this=b.copy(), expression=a.copy()),
                expression=exp.LT(this=stepped.copy(), expression=b.copy()),
            ),
            exp.Add(this=paren(n0.copy()), expression=exp.Literal.number(1)),
        ),
        default=n0,
    )


def _period(args: list[Val]) -> tuple[Sql, Sql, Parts]:
    """Start and end of a period; guards where it ends before it starts (the row engine's error)."""
    s, e = as_sql(args[0]), as_sql(args[1])
    parts = _parts(s, e)
    parts.guards.append(definitely(exp.LT(this=e.expr.copy(), expression=s.expr.copy())))
    return s, e, parts


def _period_months_expr(args: list[Val]) -> tuple[exp.Expression, Parts]:
    s, e, parts = _period(args)
    parts.guards.extend(_outside(e.expr, date.min, date.max - timedelta(days=1)))
    after = _to_date(
        exp.DateAdd(this=e.expr.copy(), expression=exp.Literal.number(1), unit=exp.Var(this="DAY"))
    )
    return null_if_any([s, e], months_between_sql(s.expr, after)), parts


def _period_months(args: list[Val]) -> Sql:
    value, parts = _period_months_expr(args)
    return _number(value, parts, (6, 0))


def _period_years(args: list[Val]) -> Sql:
    value, parts = _period_months_expr(args)
    return _number(exp.IntDiv(this=paren(value), expression=exp.Literal.number(12)), parts, (6, 0))


def _period_days(args: list[Val]) -> Sql:
    s, e, parts = _period(args)
    days = exp.Add(
        this=exp.DateDiff(this=e.expr.copy(), expression=s.expr.copy()), expression=exp.Literal.number(1)
    )
    return _number(days, parts, (7, 0))


def _within(args: list[Val], months: int) -> Sql:
    s, e, parts = _period(args)
    limit = add_months_sql(s, months)
    parts.add(limit)
    return parts.sql(exp.LTE(this=e.expr.copy(), expression=limit.expr), "bool")


def _within_months(args: list[Val]) -> Sql:
    return _within(args, _whole(args[2], "the number of months", 0))


def _within_years(args: list[Val]) -> Sql:
    return _within(args, 12 * _whole(args[2], "the number of years", 0))


def _days_between(args: list[Val]) -> Sql:
    a, b = as_sql(args[0]), as_sql(args[1])
    return _number(exp.DateDiff(this=b.expr, expression=a.expr), _parts(a, b), (7, 0))


def _months_between(args: list[Val]) -> Sql:
    a, b = as_sql(args[0]), as_sql(args[1])
    return _number(null_if_any([a, b], months_between_sql(a.expr, b.expr)), _parts(a, b), (6, 0))


def _year(args: list[Val]) -> Sql:
    d = as_sql(args[0])
    return _number(exp.Year(this=d.expr), _parts(d), (4, 0))


def _month(args: list[Val]) -> Sql:
    d = as_sql(args[0])
    return _number(exp.Month(this=d.expr), _parts(d), (2, 0))


def _abs(args: list[Val]) -> Sql:
    x = as_sql(args[0], "number")
    return _parts(x).sql(exp.Abs(this=x.expr), "number", digits=x.digits, sqltype=x.sqltype)


def _round(args: list[Val]) -> Sql:
    x = as_sql(args[0], "number")
    n = _whole(args[1], "the number of decimal places", 0, 15)
    assert x.digits and x.sqltype
    digits = (x.digits[0] + 1, n)
    p, s = x.sqltype
    rounded = exp.Round(this=x.expr, decimals=exp.Literal.number(n))
    return _parts(x).sql(rounded, "number", digits=digits, sqltype=(p - s + n + 1, n))


_BUILDERS = {
    "add_months": _add_months,
    "add_days": _add_days,
    "days_between": _days_between,
    "months_between": _months_between,
    "period_days": _period_days,
    "period_months": _period_months,
    "period_years": _period_years,
    "within_months": _within_months,
    "within_years": _within_years,
    "year": _year,
    "month": _month,
    "abs": _abs,
    "round": _round,
}
