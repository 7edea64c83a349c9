"""What compiling a condition to SQL yields for each node, and the SQL pieces they are built of.

- :class:`Const`: a value known when the plan is compiled (a literal, a parameter in force on
  the as-of date, an item of a constant list, or anything computed from those alone), folded
  with the row engine's own operators and functions;
- :class:`Sql`: an expression over the tables, with its kind, a bound on its digits when it is
  a number, its *guards* (conditions under which the row engine decides instead: where it
  would raise, round, or step past its limit) and its *steps* (the quantifier iterations the
  row engine would count, as a SQL number);
- :class:`ListVal`: a list field of the row (optionally filtered), which only a quantifier,
  ``len`` or ``in`` consume.

NULL is absent, as MISSING is in the row engine: SQL's three-valued ``AND``/``OR``/``NOT``
and its NULL-propagating comparisons and arithmetic are the condition language's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlglot import exp

from ..lang import ast
from ..lang.runtime import MISSING
from .layout import NotInPlan, Table

#: Significant digits the row engine keeps (Python's default decimal context): a result that
#: needs more is rounded there, so the plan hands such rows to the row engine.
EXACT_DIGITS = 28
#: The widest DECIMAL the SQL engines hold.
SQL_DIGITS = 38


@dataclass(frozen=True)
class Const:
    value: Any  # a Python value, or MISSING


@dataclass(frozen=True)
class Sql:
    expr: exp.Expression
    kind: str  # bool | number | string | date
    #: for numbers: (digits before the point, digits after) that the value can have
    digits: tuple[int, int] | None = None
    #: for numbers: the SQL type's (precision, scale), to keep every operation within 38 digits
    sqltype: tuple[int, int] | None = None
    guards: tuple[exp.Expression, ...] = ()
    steps: tuple[exp.Expression, ...] = ()
    #: the most steps ``steps`` can add up to, whatever the record (lists hold at most 10,000)
    bound: int = 0


@dataclass(frozen=True)
class ListVal:
    """A list field of the current row, as quantifiers see it: its table, the length column
    (NULL: the list is absent), and the ``filter(...)`` predicates applied to it in order."""

    table: Table
    length: exp.Expression
    owner: Any  # the Scope whose rows hold the list
    filters: tuple[tuple[str, ast.Node, Any], ...] = ()
    guards: tuple[exp.Expression, ...] = ()
    steps: tuple[exp.Expression, ...] = ()
    bound: int = 0


Val = Const | Sql | ListVal


@dataclass
class Parts:
    """Guards and steps gathered from the operands of one node."""

    guards: list[exp.Expression] = field(default_factory=list)
    steps: list[exp.Expression] = field(default_factory=list)
    bound: int = 0

    def add(self, *vals: Val) -> None:
        for v in vals:
            if isinstance(v, (Sql, ListVal)):
                self.guards.extend(v.guards)
                self.steps.extend(v.steps)
                self.bound += v.bound

    def sql(self, expr: exp.Expression, kind: str, **extra: Any) -> Sql:
        return Sql(expr, kind, guards=tuple(self.guards), steps=tuple(self.steps), bound=self.bound, **extra)


# -- literals --------------------------------------------------------------------------------


def number_digits(value: Decimal | int) -> tuple[int, int]:
    """(digits before the point, digits after) of a number: 0.03 → (1, 2), 300 → (3, 0)."""
    d = Decimal(value)
    _sign, digits, exponent = d.as_tuple()
    assert isinstance(exponent, int)
    scale = max(0, -exponent)
    whole = max(1, len(digits) + exponent) if digits != (0,) else 1
    return whole, scale


def kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, Decimal)):
        return "number"
    if isinstance(value, date):
        return "date"
    if isinstance(value, (str, Enum)):
        return "string"
    if isinstance(value, list):
        return "list"
    return "any"


_NULL_TYPES = {"bool": "BOOLEAN", "number": "DECIMAL(1,0)", "string": "VARCHAR", "date": "DATE"}


def null(kind: str) -> exp.Expression:
    return exp.cast(exp.Null(), _NULL_TYPES.get(kind, "BOOLEAN"))


def literal(value: Any, kind: str = "any") -> Sql:
    """A constant as SQL: numbers as exact DECIMALs, dates as DATEs, codes as text."""
    if value is MISSING or value is None:
        return Sql(null(kind), kind)
    if isinstance(value, bool):
        return Sql(exp.Boolean(this=value), "bool")
    if isinstance(value, (int, Decimal)):
        whole, scale = number_digits(value)
        text = str(Decimal(value))
        if "E" in text or "e" in text:
            text = format(Decimal(value), "f")
        sqltype = (whole + scale, scale)
        if sqltype[0] > SQL_DIGITS:
            raise NotInPlan(f"the number {text} has more than {SQL_DIGITS} digits")
        cast = exp.cast(exp.Literal.string(text), f"DECIMAL({sqltype[0]},{scale})")
        return Sql(cast, "number", digits=(whole, scale), sqltype=sqltype)
    if isinstance(value, date):
        return Sql(exp.cast(exp.Literal.string(value.isoformat()), "DATE"), "date")
    if isinstance(value, Enum):
        return Sql(exp.Literal.string(str(value.value)), "string")
    if isinstance(value, str):
        return Sql(exp.Literal.string(value), "string")
    raise NotInPlan(f"a {type(value).__name__} value has no SQL form")


def as_sql(v: Val, kind: str = "any") -> Sql:
    if isinstance(v, Sql):
        return v
    if isinstance(v, ListVal):
        raise NotInPlan("a list is used as a single value")
    return literal(v.value, kind)


# -- SQL building blocks -----------------------------------------------------------------------


def case(*branches: tuple[exp.Expression, exp.Expression], default: exp.Expression) -> exp.Expression:
    return exp.Case(ifs=[exp.If(this=c, true=v) for c, v in branches], default=default)


def is_null(e: exp.Expression) -> exp.Expression:
    return exp.Is(this=e, expression=exp.Null())


def not_null(e: exp.Expression) -> exp.Expression:
    return exp.Not(this=exp.Is(this=e, expression=exp.Null()))


def paren(e: exp.Expression) -> exp.Expression:
    return (
        e if isinstance(e, (exp.Column, exp.Literal, exp.Paren, exp.Boolean, exp.Cast)) else exp.Paren(this=e)
    )


def any_of(conds: Sequence[exp.Expression]) -> exp.Expression:
    """OR of conditions known to be TRUE or FALSE (never NULL); FALSE for none."""
    if not conds:
        return exp.false()
    out = paren(conds[0])
    for c in conds[1:]:
        out = exp.Or(this=out, expression=paren(c))
    return out


def all_of(conds: Sequence[exp.Expression]) -> exp.Expression:
    if not conds:
        return exp.true()
    out = paren(conds[0])
    for c in conds[1:]:
        out = exp.And(this=out, expression=paren(c))
    return out


def definitely(cond: exp.Expression) -> exp.Expression:
    """TRUE when ``cond`` is TRUE, else FALSE (NULL becomes FALSE): how guards are kept."""
    return exp.Coalesce(this=paren(cond), expressions=[exp.false()])


def total(parts: Sequence[exp.Expression]) -> exp.Expression:
    """The sum of step counts (never NULL)."""
    if not parts:
        return exp.Literal.number(0)
    out = paren(parts[0])
    for p in parts[1:]:
        out = exp.Add(this=out, expression=paren(p))
    return out


def col(alias: str, name: str) -> exp.Column:
    return exp.column(name, table=alias, quoted=True)
