"""``count any all sum min max filter`` and ``in`` over lists, as SQL.

Over a constant list (a parameter, a written list) the lambda is unrolled, one copy per item.
Over a list field, the lambda is compiled in the list's subquery (:mod:`.scope`) and the
quantifier becomes counts per row — items whose condition is true, false, unknown — which the
outer row reads with the row engine's rules: an absent list is unknown, an empty one is known
(count 0, any false, all true, sum 0, min/max unknown); ``any`` is true if an item is, else
unknown if an item is; ``count``, ``sum``, ``min``, ``max`` and ``filter`` are unknown if any
item is.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlglot import exp

from ..lang import ast
from ..lang.runtime import MISSING
from ..models.values import MAX_LIST_ITEMS
from .expr import Compiler, Env, arith_step, logic, null_if_any
from .layout import NotInPlan
from .scope import Fixed, Item, Scope
from .values import (
    EXACT_DIGITS,
    Const,
    ListVal,
    Parts,
    Sql,
    Val,
    all_of,
    any_of,
    as_sql,
    case,
    definitely,
    is_null,
    literal,
    paren,
    total,
)


def quantifier(c: Compiler, node: ast.Call, scope: Scope, env: Env) -> Val:
    items = c.node(node.args[0], scope, env)
    lam = node.args[1]
    assert isinstance(lam, ast.Lambda)
    if isinstance(items, Const):
        if items.value is MISSING:
            return Const(MISSING)
        return unrolled(c, node.name, list(items.value), lam, scope, env)
    if not isinstance(items, ListVal):
        raise NotInPlan(f"{node.name}(...) over something that is not a list")
    if node.name == "filter":
        step = exp.Add(this=exp.Coalesce(this=items.length.copy(), expressions=[_zero()]), expression=_one())
        return replace(
            items,
            filters=(*items.filters, (lam.param, lam.body, env)),
            steps=(*items.steps, step),
            bound=items.bound + MAX_LIST_ITEMS + 1,
        )
    return aggregate(c, node.name, items, lam, scope, env)


def _zero() -> exp.Expression:
    return exp.Literal.number(0)


def _one() -> exp.Expression:
    return exp.Literal.number(1)


# -- constant lists: unrolled ------------------------------------------------------------------


def unrolled(c: Compiler, name: str, values: list[Any], lam: ast.Lambda, scope: Scope, env: Env) -> Val:
    bodies = [c.node(lam.body, scope, {**env, lam.param: Fixed(v)}) for v in values]
    steps = exp.Literal.number(len(values) + 1)
    if name == "filter":
        if not all(isinstance(b, Const) for b in bodies):
            raise NotInPlan("filter(...) over a constant list by a condition on the record")
        flags = [b.value for b in bodies]  # type: ignore[union-attr]
        if any(f is MISSING for f in flags):
            return Const(MISSING)
        return Const([v for v, f in zip(values, flags, strict=True) if f])
    if name in ("any", "all"):
        out = logic("or" if name == "any" else "and", bodies)
    elif all(isinstance(b, Const) for b in bodies):
        out = _fold(name, [b.value for b in bodies])  # type: ignore[union-attr]
    else:
        out = _combine(name, [as_sql(b, "number" if name != "count" else "bool") for b in bodies])
    parts = Parts()
    parts.add(out)
    parts.steps.append(steps)
    parts.bound += len(values) + 1
    if isinstance(out, Const):
        kind = {"any": "bool", "all": "bool", "count": "number", "sum": "number"}.get(name)
        return parts.sql(as_sql(out, kind or c.kind(lam.body)).expr, kind or c.kind(lam.body))
    assert isinstance(out, Sql)
    return replace(out, steps=tuple(parts.steps), bound=parts.bound)


def _fold(name: str, results: list[Any]) -> Const:
    if any(r is MISSING for r in results):
        return Const(MISSING)
    if name == "count":
        return Const(Decimal(sum(1 for r in results if r)))
    if name == "sum":
        return Const(sum(results, Decimal(0)))
    if not results:
        return Const(MISSING)
    return Const(min(results) if name == "min" else max(results))


def _combine(name: str, bodies: list[Sql]) -> Sql:
    parts = Parts()
    parts.add(*bodies)
    if name == "count":
        if not bodies:
            return literal(Decimal(0))
        ones = [case((paren(b.expr), _one()), default=_zero()) for b in bodies]
        return parts.sql(null_if_any(bodies, total(ones)), "number", digits=(13, 0), sqltype=(19, 0))
    if name == "sum":
        out = literal(Decimal(0))
        for b in bodies:
            out = arith_step("+", out, b)
        return replace(out, expr=null_if_any(bodies, out.expr))
    if not bodies:
        return literal(MISSING, "number")
    cls = exp.Least if name == "min" else exp.Greatest
    picked = cls(this=bodies[0].expr, expressions=[b.expr for b in bodies[1:]])
    kind = bodies[0].kind
    digits = bodies[0].digits
    return parts.sql(null_if_any(bodies, picked), kind, digits=digits, sqltype=bodies[0].sqltype)


# -- list fields: aggregates ---------------------------------------------------------------------


def _counted(cond: exp.Expression) -> exp.Expression:
    """How many items satisfy ``cond`` (a BIGINT; 0 for none)."""
    return exp.Count(this=case((cond, _one()), default=exp.Null()))


class _Items:
    """A list field's items as a quantifier sees them: the subquery, the items kept by its
    filters, whether a filter was unknown, and what the outer row reads."""

    def __init__(self, c: Compiler, items: ListVal, scope: Scope, env: Env) -> None:
        if items.owner is not scope:
            raise NotInPlan(f"a quantifier over `{items.table.path}` inside a quantifier over another list")
        self.items = items
        self.group = scope.group(items.table)
        self.child = self.group.scope
        self.parts = Parts()
        self.parts.add(items)
        self.inner = Parts()
        kept: list[exp.Expression] = []
        unknown: list[exp.Expression] = []
        for param, body, fenv in items.filters:
            pred = as_sql(c.node(body, self.child, {**fenv, param: Item(self.child)}), "bool")
            self.inner.add(pred)
            unknown.append(all_of([*kept, is_null(paren(pred.expr))]))
            kept.append(definitely(pred.expr))
        self.kept = all_of(kept)
        self.unknown_filter = self.read(_counted(any_of(unknown))) if unknown else None

    def read(self, agg: exp.Expression, stem: str = "q") -> exp.Expression:
        found: exp.Expression = self.group.add(stem, agg)
        return found

    def count(self, cond: exp.Expression) -> exp.Expression:
        """How many kept items satisfy ``cond``, as the outer row reads it (0 for none)."""
        return exp.Coalesce(this=self.read(_counted(all_of([self.kept, cond]))), expressions=[_zero()])

    def finish(self, body: Val, value: exp.Expression, kind: str, **extra: Any) -> Sql:
        """``value`` where the list is there and every filter decided, else NULL; with the
        guards and steps of the filters, the lambda and the list."""
        self.inner.add(body)
        if self.inner.guards:  # over every item, kept or not: the row engine tests them all
            tripped = self.read(_counted(any_of(self.inner.guards)))
            self.parts.guards.append(
                exp.GT(this=exp.Coalesce(this=tripped, expressions=[_zero()]), expression=_zero())
            )
        length = exp.Coalesce(this=self.items.length.copy(), expressions=[_zero()])
        counted = [length, _one()]
        if self.inner.steps:
            summed = self.read(exp.Sum(this=total(self.inner.steps)))
            counted.append(exp.Coalesce(this=summed, expressions=[_zero()]))
        self.parts.steps.append(total(counted))
        self.parts.bound += MAX_LIST_ITEMS + 1 + MAX_LIST_ITEMS * self.inner.bound
        branches = [(is_null(self.items.length.copy()), exp.Null())]
        if self.unknown_filter is not None:
            branches.append((exp.GT(this=self.unknown_filter, expression=_zero()), exp.Null()))
        return self.parts.sql(case(*branches, default=value), kind, **extra)


def aggregate(c: Compiler, name: str, items: ListVal, lam: ast.Lambda, scope: Scope, env: Env) -> Sql:
    it = _Items(c, items, scope, env)
    body = c.node(lam.body, it.child, {**env, lam.param: Item(it.child)})
    if name in ("count", "any", "all"):
        b = paren(as_sql(body, "bool").expr)
        unknown = it.count(is_null(b.copy()))
        if name == "count":
            value = case((exp.GT(this=unknown, expression=_zero()), exp.Null()), default=it.count(b))
            return it.finish(body, value, "number", digits=(13, 0), sqltype=(19, 0))
        decided, decisive = (b, exp.true()) if name == "any" else (exp.Not(this=b.copy()), exp.false())
        value = case(
            (exp.GT(this=it.count(decided), expression=_zero()), decisive),
            (exp.GT(this=unknown, expression=_zero()), exp.Null()),
            default=exp.Not(this=decisive.copy()),
        )
        return it.finish(body, value, "bool")
    v = as_sql(body, "number" if name == "sum" else c.kind(lam.body))
    unknown = it.count(is_null(paren(v.expr.copy())))
    kept_value = case((it.kept.copy(), v.expr.copy()), default=exp.Null())
    if name == "sum":
        if v.kind != "number" or v.digits is None:
            raise NotInPlan("sum(...) of something that is not a number")
        scale = v.digits[1]
        if scale >= EXACT_DIGITS:
            raise NotInPlan("sum(...) of numbers with more than 28 digits after the point")
        total_abs = it.read(
            exp.Sum(this=case((it.kept.copy(), exp.Abs(this=v.expr.copy())), default=exp.Null()))
        )
        bound = literal(Decimal(10) ** (EXACT_DIGITS - scale)).expr
        it.parts.guards.append(definitely(exp.GTE(this=total_abs, expression=bound)))
        summed = exp.Coalesce(this=it.read(exp.Sum(this=kept_value)), expressions=[_zero()])
        # below the bound the sum has at most 28 digits: narrowed back from SUM's 38, so that
        # it can be multiplied in turn (the cast is reached only below the bound)
        narrow = exp.cast(summed, f"DECIMAL({EXACT_DIGITS},{scale})")
        value = case(
            (exp.GT(this=unknown, expression=_zero()), exp.Null()),
            (
                exp.GTE(
                    this=exp.Coalesce(this=total_abs.copy(), expressions=[_zero()]), expression=bound.copy()
                ),
                exp.Null(),
            ),
            default=narrow,
        )
        return it.finish(
            v, value, "number", digits=(EXACT_DIGITS - scale, scale), sqltype=(EXACT_DIGITS, scale)
        )
    picked = it.read((exp.Min if name == "min" else exp.Max)(this=kept_value))
    value = case(
        (exp.GT(this=unknown, expression=_zero()), exp.Null()),
        (exp.EQ(this=it.count(exp.true()), expression=_zero()), exp.Null()),
        default=picked,
    )
    return it.finish(v, value, v.kind, digits=v.digits, sqltype=v.sqltype)


def length(c: Compiler, items: ListVal, scope: Scope, env: Env) -> Sql:
    """``len(list)``: the length column; through a filter, the kept items."""
    if not items.filters:
        parts = Parts()
        parts.add(items)
        return parts.sql(items.length.copy(), "number", digits=(13, 0), sqltype=(19, 0))
    it = _Items(c, items, scope, env)
    return it.finish(Const(True), it.count(exp.true()), "number", digits=(13, 0), sqltype=(19, 0))


# -- membership --------------------------------------------------------------------------------


def membership(c: Compiler, node: ast.In, scope: Scope, env: Env) -> Val:
    item = c.node(node.item, scope, env)
    container = c.node(node.container, scope, env)
    out = _member(c, node, item, container, scope, env)
    if not node.negated:
        return out
    return c.not_(out)


def _member(c: Compiler, node: ast.In, item: Val, container: Val, scope: Scope, env: Env) -> Val:
    if isinstance(container, Const):
        values = container.value
        if values is MISSING or (isinstance(item, Const) and item.value is MISSING):
            return Const(MISSING)
        if isinstance(item, Const):
            return Const(item.value in values)
        x = as_sql(item)
        parts = Parts()
        parts.add(x)
        if isinstance(values, str):
            found = exp.GT(this=exp.StrPosition(this=literal(values).expr, substr=x.expr), expression=_zero())
            return parts.sql(found, "bool")
        if not values:
            return parts.sql(case((is_null(x.expr.copy()), exp.Null()), default=exp.false()), "bool")
        listed = [literal(v, x.kind).expr for v in values]
        return parts.sql(exp.In(this=paren(x.expr), expressions=listed), "bool")
    if isinstance(container, Sql):
        if isinstance(item, Const) and item.value is MISSING:
            return Const(MISSING)
        x = as_sql(item, "string")
        parts = Parts()
        parts.add(x, container)
        found = exp.GT(this=exp.StrPosition(this=container.expr, substr=x.expr), expression=_zero())
        return parts.sql(found, "bool")
    assert isinstance(container, ListVal)
    return _in_list(c, node, item, container, scope, env)


def _in_list(c: Compiler, node: ast.In, item: Val, items: ListVal, scope: Scope, env: Env) -> Val:
    if isinstance(item, Const) and item.value is MISSING:
        return Const(MISSING)
    if items.table.model is not None:
        raise NotInPlan(f"`in` over `{items.table.path}`, a list of {items.table.item.describe()}")
    it = _Items(c, items, scope, env)
    value = c.layout.resolve(items.table, ())
    inner = as_sql(item) if isinstance(item, Const) else as_sql(c.node(node.item, it.child, env))
    it.inner.add(inner)
    from .expr import column_val

    own = column_val(it.child.own(value), value)  # type: ignore[arg-type]
    matches = it.count(exp.EQ(this=paren(own.expr), expression=paren(inner.expr)))
    found = it.finish(Const(True), exp.GT(this=matches, expression=_zero()), "bool")
    if isinstance(item, Const):
        return found
    x = as_sql(item)
    parts = Parts()
    parts.add(x, found)
    return parts.sql(case((is_null(x.expr.copy()), exp.Null()), default=found.expr), "bool")
