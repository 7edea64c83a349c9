"""The ``scorecards:`` section: indicators compiled, and the arithmetic checked at load
(points add up to the total; bands and grades run on without overlap or gap)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from .._format import format_value
from ..errors import ConditionError, Problem, did_you_mean
from ..lang import Condition, Scope, compile_condition
from ..lang.functions import Function
from ..models.introspect import TypeInfo
from .citations import check_cite
from .expressions import compile_expr, condition_problem
from .merge import Merged
from .reading import PackSourceFile
from .runtime import CompiledIndicator, CompiledScorecard
from .schema import Band, Indicator, Scorecard


@dataclass
class _Card:
    """What compiling one scorecard needs to know."""

    merged: Merged
    card: Scorecard
    src: PackSourceFile
    base: tuple[Any, ...]
    scope: Scope
    rule_subjects: Mapping[str, str]

    def problem(
        self, message: str, loc: tuple[Any, ...], hint: str | None = None, value: bool = False
    ) -> None:
        where = self.src.location(loc, value=value)
        self.merged.problems.append(Problem(message, where, hint, "scorecard"))


def compile_scorecards(
    merged: Merged,
    subjects: Mapping[str, type[BaseModel]],
    functions: Mapping[str, Function],
    param_types: Mapping[str, TypeInfo],
    rule_subjects: Mapping[str, str],
) -> list[CompiledScorecard]:
    """Every scorecard without problems; the problems of the others go to ``merged.problems``."""
    out: list[CompiledScorecard] = []
    for card, src, i in merged.cards.values():
        base = ("scorecards", i)
        model = subjects.get(card.subject)
        if model is None:
            suggestion = did_you_mean(card.subject, subjects)
            merged.problems.append(
                Problem(
                    f"unknown subject `{card.subject}`",
                    src.location((*base, "subject"), value=True),
                    f"did you mean `{suggestion}`?" if suggestion else None,
                    "unknown-subject",
                )
            )
            continue
        ctx = _Card(merged, card, src, base, Scope(model, param_types, functions), rule_subjects)
        compiled = _compile_card(ctx)
        if compiled is not None:
            out.append(compiled)
    return out


def _compile_card(ctx: _Card) -> CompiledScorecard | None:
    before = len(ctx.merged.problems)
    card, src = ctx.card, ctx.src
    compiled: list[CompiledIndicator] = []
    weight = Decimal(0)
    for d, dim in enumerate(card.dimensions):
        for k, ind in enumerate(dim.indicators):
            loc = (*ctx.base, "dimensions", d, "indicators", k)
            weight += ind.points
            ctx.merged.problems.extend(check_cite(ind.cite, src, (*loc, "cite"), ctx.merged.sources))
            kinds = [n for n in ("condition", "value", "rule") if getattr(ind, n) is not None]
            if len(kinds) != 1:
                ctx.problem(
                    f"indicator `{ind.id}` must have exactly one of `condition`, `value` "
                    f"(with `bands`) or `rule`; it has {', '.join(kinds) or 'none'}",
                    loc,
                )
                continue
            cond, value = _compile_indicator(ctx, ind, loc)
            compiled.append(CompiledIndicator(dim, ind, cond, value))
    if weight != card.total:
        ctx.problem(
            f"indicator points add up to {format_value(weight)}, not the stated total "
            f"{format_value(card.total)}",
            (*ctx.base, "total"),
            "change the indicators' `points` or the `total` so that they agree",
            value=True,
        )
    ctx.merged.problems.extend(_check_grades(card.grades, card.total, src, (*ctx.base, "grades")))
    if len(ctx.merged.problems) > before:
        return None
    return CompiledScorecard(ctx.merged.pack_id, card, tuple(compiled))


def _compile_indicator(
    ctx: _Card, ind: Indicator, loc: tuple[Any, ...]
) -> tuple[Condition | None, Condition | None]:
    """The indicator's condition or value, compiled; a `rule` indicator is checked here."""
    problems, src = ctx.merged.problems, ctx.src
    if ind.condition is not None:
        return compile_expr(ind.condition, ctx.scope, src, (*loc, "condition"), problems), None
    value = None
    if ind.value is not None:
        try:
            value = compile_condition(ind.value, ctx.scope, expect_bool=False)
            kind = value.checked.types[value.checked.root].kind
            if kind not in ("number", "any"):
                ctx.problem(f"`value` must be a number, but this is a {kind}", (*loc, "value"), value=True)
        except ConditionError as exc:
            problems.append(condition_problem(exc, src, (*loc, "value")))
        if not ind.bands:
            ctx.problem("a `value` indicator needs `bands`", loc)
        else:
            problems.extend(_check_bands(ind.bands, ind.points, src, (*loc, "bands")))
    elif ind.rule is not None:
        subjects = ctx.rule_subjects
        if ind.rule not in subjects:
            suggestion = did_you_mean(ind.rule, subjects)
            ctx.problem(
                f"no rule `{ind.rule}` in this pack",
                (*loc, "rule"),
                f"did you mean `{suggestion}`?" if suggestion else None,
                value=True,
            )
        elif subjects[ind.rule] != ctx.card.subject:
            ctx.problem(
                f"rule `{ind.rule}` checks {subjects[ind.rule]} records, "
                f"this scorecard scores {ctx.card.subject} records",
                (*loc, "rule"),
                value=True,
            )
    return None, value


def _check_bands(
    bands: list[Band], points: Decimal, src: PackSourceFile, loc: tuple[Any, ...]
) -> list[Problem]:
    """Bands must run on from one to the next: no overlap, no gap; an open end only last."""
    out: list[Problem] = []
    for i, band in enumerate(bands):
        here = src.location((*loc, i))
        if band.points > points:
            out.append(
                Problem(
                    f"a band gives {format_value(band.points)} points, more than the "
                    f"indicator's {format_value(points)}",
                    here,
                    None,
                    "scorecard",
                )
            )
        if band.max is not None and band.max <= band.min:
            out.append(
                Problem(
                    f"band [{format_value(band.min)}, {format_value(band.max)}) is empty",
                    here,
                    "`max` must be above `min`",
                    "scorecard",
                )
            )
        if band.max is None and i != len(bands) - 1:
            out.append(Problem("only the last band may leave out `max`", here, None, "scorecard"))
        if i > 0:
            prev = bands[i - 1]
            if prev.max is not None and band.min < prev.max:
                out.append(
                    Problem(
                        f"bands overlap: [{format_value(prev.min)}, {format_value(prev.max)}) and "
                        f"[{format_value(band.min)}, …)",
                        here,
                        f"start this band at {format_value(prev.max)}",
                        "scorecard",
                    )
                )
            elif prev.max is not None and band.min > prev.max:
                out.append(
                    Problem(
                        f"gap between bands: nothing covers [{format_value(prev.max)}, "
                        f"{format_value(band.min)})",
                        here,
                        f"start this band at {format_value(prev.max)}",
                        "scorecard",
                    )
                )
    return out


def _check_grades(
    grades: list[Any], total: Decimal, src: PackSourceFile, loc: tuple[Any, ...]
) -> list[Problem]:
    """Grades, in any order, must cover 0 to the total without overlap or gap."""
    out: list[Problem] = []
    order = sorted(range(len(grades)), key=lambda i: grades[i].min)
    expect = Decimal(0)
    for n, i in enumerate(order):
        g = grades[i]
        here = src.location((*loc, i))
        if g.min < expect:
            out.append(
                Problem(
                    f"grade “{g.label.zh}” overlaps the one below it (it starts at "
                    f"{format_value(g.min)}, the one below ends at {format_value(expect)})",
                    here,
                    None,
                    "scorecard",
                )
            )
        elif g.min > expect:
            out.append(
                Problem(
                    f"gap between grades: no grade covers [{format_value(expect)}, {format_value(g.min)})",
                    here,
                    f"start this grade at {format_value(expect)}",
                    "scorecard",
                )
            )
        if g.max is None:
            if n != len(order) - 1:
                out.append(Problem("only the highest grade may leave out `max`", here, None, "scorecard"))
            expect = total
        else:
            if g.max <= g.min:
                out.append(Problem("a grade's `max` must be above its `min`", here, None, "scorecard"))
            expect = g.max
    if expect < total:
        out.append(
            Problem(
                f"no grade covers scores from {format_value(expect)} to the total {format_value(total)}",
                src.location(loc),
                None,
                "scorecard",
            )
        )
    return out
