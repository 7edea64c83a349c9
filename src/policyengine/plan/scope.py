"""Where an expression is compiled: the query over ``records``, or an aggregate subquery over
a list's table, grouped by the row holding the list and joined back to it.

The root query reads ``records AS r``. A quantifier over a list of the current row adds its
aggregates to that list's group: one subquery per list and row table, ``<list> AS i``
grouped by ``i._parent``, LEFT JOINed on ``_parent = <row>._key``; a list with no items has
no group row, so every aggregate is read through COALESCE with its empty-list value. Inside a
subquery the record is ``r`` (joined on ``i._root`` when the lambda reads it) and the row
holding the list is ``p`` (joined on ``i._parent`` when the lambda reads the outer item).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from .layout import RECORDS, Column, Layout, NotInPlan, Table
from .values import col

ROOT_ALIAS, ITEM_ALIAS, PARENT_ALIAS = "r", "i", "p"


@dataclass(frozen=True)
class Item:
    """A lambda variable bound to the items of a scope's table."""

    scope: Scope


@dataclass(frozen=True)
class Fixed:
    """A lambda variable bound to one constant (an item of a constant list, unrolled)."""

    value: Any


Binding = Item | Fixed


@dataclass(eq=False)
class Group:
    """The aggregates over one list, per row of the table holding it: one subquery."""

    alias: str
    scope: Scope  # the subquery's own scope (its table is the list)
    columns: list[tuple[str, exp.Expression]] = field(default_factory=list)

    def add(self, stem: str, agg: exp.Expression) -> exp.Expression:
        """Add an aggregate column; returns how the outer row reads it."""
        name = f"{stem}{len(self.columns)}"
        self.columns.append((name, agg))
        return col(self.alias, name)

    def subquery(self) -> exp.Subquery:
        select = exp.select(exp.alias_(col(ITEM_ALIAS, "_parent"), "_parent", quoted=True))
        for name, agg in self.columns:
            select = select.select(exp.alias_(agg, name, quoted=True))
        return self.scope.from_clause(select).group_by(col(ITEM_ALIAS, "_parent")).subquery()


@dataclass(eq=False)
class Scope:
    layout: Layout
    table: Table
    parent: Scope | None = None
    uses_root: bool = False
    uses_parent: bool = False
    groups: dict[str, Group] = field(default_factory=dict)

    @property
    def alias(self) -> str:
        return ROOT_ALIAS if self.parent is None else ITEM_ALIAS

    @property
    def is_root(self) -> bool:
        return self.parent is None

    # -- reading columns ------------------------------------------------------------------

    def root(self, column: Column) -> exp.Expression:
        if not self.is_root:
            self.uses_root = True
        return col(ROOT_ALIAS, column.name)

    def own(self, column: Column) -> exp.Expression:
        return col(self.alias, column.name)

    def outer(self, owner: Scope, column: Column) -> exp.Expression:
        """A column of ``owner``'s row, read from this scope."""
        if owner is self:
            return self.own(column)
        if owner.is_root:
            return self.root(column)
        if owner is self.parent:
            self.uses_parent = True
            return col(PARENT_ALIAS, column.name)
        raise NotInPlan("a lambda reads the item of a quantifier two levels out")

    def group(self, table: Table) -> Group:
        """The group of aggregates over ``table``, a list of this scope's rows."""
        if table.parent is not self.table:
            raise NotInPlan(
                f"a quantifier over `{table.path}` inside a quantifier over another list "
                "(it would need a join across lists)"
            )
        found = self.groups.get(table.name)
        if found is None:
            child = Scope(self.layout, table, self)
            found = self.groups[table.name] = Group(f"a{len(self.groups) + 1}", child)
        return found

    # -- SQL ------------------------------------------------------------------------------

    def from_clause(self, select: exp.Select) -> exp.Select:
        """``select`` reading this scope's table, with the joins its expressions need."""
        table = _quoted(self.table.name).as_(self.alias)
        select = select.from_(table)
        if not self.is_root:
            if self.uses_root:
                records = _quoted(RECORDS).as_(ROOT_ALIAS)
                on = exp.EQ(this=col(ROOT_ALIAS, "_key"), expression=col(ITEM_ALIAS, "_root"))
                select = select.join(records, on=on)
            if self.uses_parent:
                assert self.table.parent is not None
                parent = _quoted(self.table.parent.name).as_(PARENT_ALIAS)
                on = exp.EQ(this=col(PARENT_ALIAS, "_key"), expression=col(ITEM_ALIAS, "_parent"))
                select = select.join(parent, on=on)
        for group in self.groups.values():
            on = exp.EQ(this=col(group.alias, "_parent"), expression=col(self.alias, "_key"))
            select = select.join(group.subquery().as_(group.alias), on=on, join_type="LEFT")
        return select


def _quoted(name: str) -> exp.Table:
    return exp.Table(this=exp.to_identifier(name, quoted=True))
