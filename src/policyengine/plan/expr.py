"""A checked condition → SQL (SQLGlot expressions), node by node, as the row engine reads it.

Paths become columns of the plan's tables; parameters and ``as_of`` are constants of the
as-of date, and whatever depends on constants alone is computed here, with the row engine's
own operators and functions. Quantifiers are in :mod:`.quantifiers`, calls in :mod:`.calls`.
A node the plan cannot express raises :class:`NotInPlan`: its rule runs in the row engine.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from sqlglot import exp

from ..lang import ast
from ..lang.checked import AsOfRef, Checked, FieldRef, ParamRef
from ..lang.functions import Function
from ..lang.runtime import MISSING
from .layout import Column, Layout, NotInPlan, Table
from .scope import Binding, Fixed, Item, Scope
from .values import (
    EXACT_DIGITS,
    SQL_DIGITS,
    Const,
    ListVal,
    Parts,
    Sql,
    Val,
    as_sql,
    case,
    definitely,
    is_null,
    literal,
    paren,
)

Env = Mapping[str, Binding]

_COMPARE: dict[str, Any] = {
    "==": (operator.eq, exp.EQ),
    "!=": (operator.ne, exp.NEQ),
    "<": (operator.lt, exp.LT),
    "<=": (operator.le, exp.LTE),
    ">": (operator.gt, exp.GT),
    ">=": (operator.ge, exp.GTE),
}
_KINDS = {"bool": "bool", "string": "string", "date": "date", "int": "number", "decimal": "number"}
_KINDS["length"] = "number"


class Handlers(Protocol):
    """How ``in`` and calls compile (:mod:`.quantifiers`, :mod:`.calls`)."""

    def membership(self, c: Compiler, node: ast.In, scope: Scope, env: Env) -> Val: ...

    def call(self, c: Compiler, node: ast.Call, scope: Scope, env: Env) -> Val: ...


class Compiler:
    """Compiles the conditions of one subject kind's rules against one layout and date."""

    def __init__(
        self,
        layout: Layout,
        params: Mapping[str, Any],
        as_of: date,
        functions: Mapping[str, Function],
        handlers: Handlers,
    ) -> None:
        self.layout = layout
        self.params = params
        self.as_of = as_of
        self.functions = functions
        self.checked: Checked | None = None
        #: ``in`` and calls are compiled by :mod:`.quantifiers` and :mod:`.calls`, which build on
        #: this module; :func:`.build.compiler` wires them in
        self.handlers: Handlers = handlers

    def condition(self, checked: Checked, scope: Scope) -> Val:
        self.checked = checked
        return self.node(checked.root, scope, {})

    def kind(self, node: ast.Node) -> str:
        assert self.checked is not None
        info = self.checked.types.get(node)
        return info.kind if info is not None else "any"

    def node(self, node: ast.Node, scope: Scope, env: Env) -> Val:
        if isinstance(node, (ast.Number, ast.String, ast.Bool)):
            return Const(node.value)
        if isinstance(node, ast.Null):
            return Const(MISSING)
        if isinstance(node, ast.Path):
            return self.path(node, scope, env)
        if isinstance(node, ast.ListLit):
            items = [self.node(i, scope, env) for i in node.items]
            if all(isinstance(i, Const) for i in items):
                values = [i.value for i in items]  # type: ignore[union-attr]
                return Const(MISSING if any(v is MISSING for v in values) else values)
            raise NotInPlan("a list written in the rule holds values read from the record")
        if isinstance(node, ast.Neg):
            return self.negate(self.node(node.operand, scope, env))
        if isinstance(node, ast.Not):
            return self.not_(self.node(node.operand, scope, env))
        if isinstance(node, ast.BoolOp):
            return logic(node.op, [self.node(o, scope, env) for o in node.operands])
        if isinstance(node, ast.Arith):
            return self.arith(node, scope, env)
        if isinstance(node, ast.Compare):
            left, right = self.node(node.left, scope, env), self.node(node.right, scope, env)
            return compare(node.op, left, right)
        if isinstance(node, ast.In):
            return self.handlers.membership(self, node, scope, env)
        if isinstance(node, ast.Call):
            return self.handlers.call(self, node, scope, env)
        raise NotInPlan(f"{type(node).__name__} has no SQL form")

    # -- paths ----------------------------------------------------------------------------

    def path(self, node: ast.Path, scope: Scope, env: Env) -> Val:
        assert self.checked is not None
        ref = self.checked.refs[node]
        if isinstance(ref, AsOfRef):
            return Const(self.as_of)
        if isinstance(ref, ParamRef):
            return Const(self.params[ref.name])
        assert isinstance(ref, FieldRef)
        owner, table = self.owner(ref, scope, env)
        if owner is None:  # a variable bound to a constant
            binding = env[ref.var]  # type: ignore[index]
            assert isinstance(binding, Fixed)
            if ref.steps:
                raise NotInPlan(f"`{node.text}` reads a field of a constant")
            return Const(binding.value)
        target = self.layout.resolve(table, ref.steps)
        if isinstance(target, Table):
            length = scope.outer(owner, self.layout.length(target))
            return ListVal(target, length, owner)
        return column_val(scope.outer(owner, target), target)

    def owner(self, ref: FieldRef, scope: Scope, env: Env) -> tuple[Scope | None, Table]:
        """The scope whose rows the path starts from (None: a constant variable)."""
        if ref.var is None:
            root = scope
            while root.parent is not None:
                root = root.parent
            return root, self.layout.records
        binding = env[ref.var]
        if isinstance(binding, Fixed):
            return None, self.layout.records
        assert isinstance(binding, Item)
        return binding.scope, binding.scope.table

    # -- operators ------------------------------------------------------------------------

    def negate(self, v: Val) -> Val:
        if isinstance(v, Const):
            return v if v.value is MISSING else Const(-v.value)
        s = as_sql(v, "number")
        return Sql(exp.Neg(this=paren(s.expr)), "number", s.digits, s.sqltype, s.guards, s.steps, s.bound)

    def not_(self, v: Val) -> Val:
        if isinstance(v, Const):
            return v if v.value is MISSING else Const(not v.value)
        s = as_sql(v, "bool")
        return Sql(exp.Not(this=paren(s.expr)), "bool", guards=s.guards, steps=s.steps, bound=s.bound)

    def arith(self, node: ast.Arith, scope: Scope, env: Env) -> Val:
        first = self.node(node.first, scope, env)
        rest = [(op, self.node(o, scope, env)) for op, o in node.rest]
        if isinstance(first, Const) and all(isinstance(v, Const) for _, v in rest):
            return _fold_arith(first, rest)
        if any(op == "/" for op, _ in rest):
            raise NotInPlan("division: the row engine keeps 28 significant digits of a quotient")
        if any(isinstance(v, Const) and v.value is MISSING for v in [first, *(v for _, v in rest)]):
            parts = Parts()
            parts.add(first, *(v for _, v in rest))
            return parts.sql(literal(MISSING, "number").expr, "number", digits=(1, 0), sqltype=(1, 0))
        out = as_sql(first, "number")
        for op, v in rest:
            out = arith_step(op, out, as_sql(v, "number"))
        return out


def column_val(e: exp.Expression, column: Column) -> Sql:
    kind = _KINDS.get(column.kind, "any")
    if kind != "number":
        return Sql(e, kind)
    digits = column.digits
    assert digits is not None
    sqltype = (28, 15) if column.kind == "decimal" else (19, 0)
    return Sql(e, "number", digits=digits, sqltype=sqltype)


def _fold_arith(first: Const, rest: list[tuple[str, Val]]) -> Const:
    values = [first.value, *(v.value for _, v in rest)]  # type: ignore[union-attr]
    if any(v is MISSING for v in values):
        return Const(MISSING)
    value = first.value
    try:
        for op, v in rest:
            other = v.value  # type: ignore[union-attr]
            if op == "/":
                value = Decimal(value) / Decimal(other)
            else:
                value = {"+": operator.add, "-": operator.sub, "*": operator.mul}[op](value, other)
    except ArithmeticError:
        raise NotInPlan("the arithmetic fails for every record (the row engine reports it)") from None
    return Const(value)


def arith_step(op: str, a: Sql, b: Sql) -> Sql:
    """``a op b`` for + - *, exact: the row engine decides where its 28 digits would round."""
    assert a.digits and b.digits and a.sqltype and b.sqltype
    (ai, as_), (bi, bs) = a.digits, b.digits
    (ap, ass), (bp, bss) = a.sqltype, b.sqltype
    if op == "*":
        digits, sqltype = (ai + bi, as_ + bs), (ap + bp, ass + bss)
        expr: exp.Expression = exp.Mul(this=paren(a.expr), expression=paren(b.expr))
    else:
        digits = (max(ai, bi) + 1, max(as_, bs))
        scale = max(ass, bss)
        sqltype = (max(ap - ass, bp - bss) + 1 + scale, scale)
        cls = exp.Add if op == "+" else exp.Sub
        expr = cls(this=paren(a.expr), expression=paren(b.expr))
    if sqltype[0] > SQL_DIGITS:
        raise NotInPlan(f"`{op}` would need more than {SQL_DIGITS} digits in SQL")
    guards = [*a.guards, *b.guards]
    whole, scale = digits
    if whole + scale > EXACT_DIGITS:
        if scale >= EXACT_DIGITS:
            raise NotInPlan("a product with more than 28 digits after the point")
        bound = literal(Decimal(10) ** (EXACT_DIGITS - scale)).expr
        guards.append(definitely(exp.GTE(this=exp.Abs(this=expr.copy()), expression=bound)))
        digits = (EXACT_DIGITS - scale, scale)
    return Sql(expr, "number", digits, sqltype, tuple(guards), a.steps + b.steps, a.bound + b.bound)


def logic(op: str, vals: list[Val]) -> Val:
    """``and``/``or`` in three-valued logic: SQL's, and the row engine's."""
    parts = Parts()
    parts.add(*vals)
    decisive = op == "or"  # the value that decides the whole: true for or, false for and
    exprs: list[exp.Expression] = []
    unknown = False
    for v in vals:
        if isinstance(v, Const):
            if v.value is MISSING:
                unknown = True
            elif bool(v.value) == decisive:
                return parts.sql(exp.Boolean(this=decisive), "bool") if parts.guards else Const(decisive)
            continue
        exprs.append(paren(as_sql(v, "bool").expr))
    if not exprs:
        return Const(MISSING if unknown else not decisive)
    if unknown:
        exprs.append(literal(MISSING, "bool").expr)
    out = exprs[0]
    cls = exp.Or if decisive else exp.And
    for e in exprs[1:]:
        out = cls(this=out, expression=e)
    return parts.sql(exp.Paren(this=out) if len(exprs) > 1 else out, "bool")


def compare(op: str, left: Val, right: Val) -> Val:
    py, cls = _COMPARE[op]
    if isinstance(left, Const) and isinstance(right, Const):
        if left.value is MISSING or right.value is MISSING:
            return Const(MISSING)
        try:
            return Const(bool(py(left.value, right.value)))
        except TypeError:
            raise NotInPlan(f"`{op}` between values that cannot be compared") from None
    kind = left.kind if isinstance(left, Sql) else right.kind if isinstance(right, Sql) else "any"
    a, b = as_sql(left, kind), as_sql(right, kind)
    if a.kind != b.kind and "any" not in (a.kind, b.kind) and not _null(left) and not _null(right):
        raise NotInPlan(f"`{op}` between a {a.kind} and a {b.kind}")
    if a.sqltype and b.sqltype:
        scale = max(a.sqltype[1], b.sqltype[1])
        if max(a.sqltype[0] - a.sqltype[1], b.sqltype[0] - b.sqltype[1]) + scale > SQL_DIGITS:
            raise NotInPlan(f"`{op}` between numbers that need more than {SQL_DIGITS} digits together")
    parts = Parts()
    parts.add(a, b)
    return parts.sql(cls(this=paren(a.expr), expression=paren(b.expr)), "bool")


def _null(v: Val) -> bool:
    return isinstance(v, Const) and v.value is MISSING


def null_if_any(vals: list[Sql], value: exp.Expression) -> exp.Expression:
    """``value``, or NULL when any of ``vals`` is NULL (what a function of absent data gives)."""
    checks = [is_null(v.expr.copy()) for v in vals if not isinstance(v.expr, exp.Literal)]
    if not checks:
        return value
    cond = checks[0]
    for c in checks[1:]:
        cond = exp.Or(this=cond, expression=c)
    return case((cond, exp.Null()), default=value)
