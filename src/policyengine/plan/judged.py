"""Whether a pack judges a record, in SQL: :func:`policyengine.evaluate.scope.scope_of` as a
condition over the record's level and region.

A record is out of a pack's scope when its kind or its level is not one the pack
``applies_to``, or when it names a province, city or county (place names compared without
spaces and without their administrative suffix) other than the pack's. A record that does not
state its region is judged.
"""

from __future__ import annotations

import re
from enum import Enum
from functools import cache

from sqlglot import exp

from ..evaluate.scope import _SUFFIX, REGION_LEVELS, place
from ..packs.runtime import Pack
from .layout import Column, Layout, NotInPlan
from .scope import Scope
from .values import any_of, case, literal, not_null

#: Python's ``\s`` matches nothing from here on (U+3000, the ideographic space, is its last).
WHITESPACE_ENDS = 0x3001


@cache
def _whitespace_class() -> str:
    """Python's ``\\s`` as an explicit character class that RE2 (DuckDB) and Java (Spark) read
    alike (their own ``\\s`` is ASCII only)."""
    chars = [c for c in range(WHITESPACE_ENDS) if re.match(r"\s", chr(c))]
    return "[" + "".join(f"\\x{{{c:x}}}" for c in chars) + "]+"


def place_sql(name: exp.Expression) -> exp.Expression:
    """``place(name)`` in SQL."""
    spaced = exp.RegexpReplace(
        this=name, expression=exp.Literal.string(_whitespace_class()), replacement=exp.Literal.string("")
    )
    short = exp.RegexpReplace(
        this=spaced.copy(),
        expression=exp.Literal.string(_SUFFIX.pattern),
        replacement=exp.Literal.string(""),
    )
    return case(
        (exp.GTE(this=exp.Length(this=short.copy()), expression=exp.Literal.number(2)), short), default=spaced
    )


def judged(pack: Pack, layout: Layout, scope: Scope) -> exp.Expression | bool:
    """Whether ``pack`` judges a record of ``layout``'s kind: True, False, or a condition."""
    model = layout.model
    kind = getattr(model, "kind_name", None)
    applies = pack.meta.applies_to
    if applies is not None and applies.subjects and kind not in applies.subjects:
        return False
    outside: list[exp.Expression] = []
    if applies is not None and applies.levels and "level" in model.model_fields:
        outside.extend(_level_outside(applies.levels, layout, scope))
    wanted = {k: v for k, v in (pack.meta.region or {}).items() if k in REGION_LEVELS and v}
    if wanted and "region" in model.model_fields:
        for key, value in wanted.items():
            have = _column(layout, ("region", key))
            if have is None:
                continue
            given = scope.root(have)
            differs = exp.NEQ(this=place_sql(given.copy()), expression=literal(place(value)).expr)
            stated = exp.And(
                this=not_null(given.copy()),
                expression=exp.NEQ(this=given.copy(), expression=exp.Literal.string("")),
            )
            outside.append(
                exp.Coalesce(this=exp.And(this=stated, expression=differs), expressions=[exp.false()])
            )
    if not outside:
        return True
    return exp.Not(this=exp.Paren(this=any_of(outside)))


def _column(layout: Layout, steps: tuple[str, ...]) -> Column | None:
    try:
        found = layout.resolve(layout.records, steps)
    except NotInPlan:
        return None
    return found if isinstance(found, Column) else None


def _level_outside(levels: list[str], layout: Layout, scope: Scope) -> list[exp.Expression]:
    column = _column(layout, ("level",))
    if column is None:
        return []
    enum = _enum_of(layout, "level")
    labels: dict[str, str] = getattr(enum, "__labels__", {}) if enum is not None else {}
    codes = [str(m.value) for m in enum] if enum is not None else []
    allowed = sorted({*levels, *(c for c in codes if c in levels or labels.get(c, c) in levels)})
    level = scope.root(column)
    listed = exp.In(this=level.copy(), expressions=[exp.Literal.string(c) for c in allowed])
    return [exp.And(this=not_null(level), expression=exp.Not(this=listed))]


def _enum_of(layout: Layout, name: str) -> type[Enum] | None:
    from ..models.introspect import field_type_info

    info = field_type_info(layout.model.model_fields[name].annotation)
    return info.enum
