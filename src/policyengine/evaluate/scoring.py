"""Scorecards: weighted indicators → points, a score and a grade, each with its reason.

An indicator whose data is missing, or whose condition cannot be evaluated (over the step
budget, a function failing), scores 0 and is marked `unknown` with the reason; a score with any
unknown indicator is `complete: false` and has no grade (a grade on a partial score would
read as a judgement of the whole). A `rule` indicator gives full points when the rule
passes or does not apply, none when it fails, is unknown or in error.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .._format import format_value
from ..errors import EvaluationError, EvaluationLimitError
from ..lang.runtime import MISSING, Ctx
from ..outcomes import Outcome
from ..packs.runtime import CompiledIndicator, CompiledScorecard
from .report import IndicatorScore, Score  # the report's types; computed here


def _text(t: Any) -> dict[str, str]:
    return {"zh": t.zh, "en": t.en or t.zh}


def score_card(card: CompiledScorecard, ctx: Ctx, rule_outcomes: Mapping[str, Outcome]) -> Score:
    results = tuple(_indicator(ind, ctx, rule_outcomes) for ind in card.indicators)
    total = sum((r.points for r in results), Decimal(0))
    complete = all(r.status == "scored" for r in results)
    grade = None
    for g in card.card.grades if complete else ():  # an incomplete score earns no grade
        if total >= g.min and (g.max is None or total < g.max):
            grade = _text(g.label)
    top_reached = complete and card.card.grades and total >= card.card.total
    if grade is None and top_reached:  # the top grade reaches the total
        top = max(card.card.grades, key=lambda g: g.min)
        grade = _text(top.label)
    return Score(
        pack=card.pack_id,
        scorecard=card.id,
        title=_text(card.card.title),
        total=card.card.total,
        score=total,
        grade=grade,
        complete=complete,
        weights_from=_text(card.card.weights_from),
        indicators=results,
    )


def _indicator(ci: CompiledIndicator, ctx: Ctx, rule_outcomes: Mapping[str, Outcome]) -> IndicatorScore:
    ind = ci.indicator
    full = ind.points

    def done(points: Decimal, status: str, zh: str, en: str) -> IndicatorScore:
        return IndicatorScore(
            ci.dimension.id, ind.id, _text(ind.title), points, full, status, {"zh": zh, "en": en}
        )

    def missing() -> IndicatorScore:
        return done(
            Decimal(0), "unknown", f"缺少 {'、'.join(ctx.missing)}", f"missing {', '.join(ctx.missing)}"
        )

    ctx.missing = []
    ctx.steps = 0
    ctx.vars = {}
    ctx.trace = None
    try:
        if ci.condition is not None:
            v = ci.condition.run(ctx)
            if v is MISSING:
                return missing()
            if v:
                return done(full, "scored", f"满足:{ind.condition}", f"met: {ind.condition}")
            return done(Decimal(0), "scored", f"不满足:{ind.condition}", f"not met: {ind.condition}")
        if ci.value is not None:
            v = ci.value.run(ctx)
            if v is MISSING:
                return missing()
            for band in ind.bands or ():
                if v >= band.min and (band.max is None or v < band.max):
                    upper = format_value(band.max) if band.max is not None else "∞"
                    rng = f"[{format_value(band.min)}, {upper})"
                    return done(
                        band.points,
                        "scored",
                        f"{ind.value} = {format_value(v)},落在 {rng}",
                        f"{ind.value} = {format_value(v)}, in {rng}",
                    )
            return done(
                Decimal(0),
                "scored",
                f"{ind.value} = {format_value(v)},低于最低档",
                f"{ind.value} = {format_value(v)}, below the lowest band",
            )
    except (EvaluationError, EvaluationLimitError) as exc:  # e.g. over the step budget
        return done(Decimal(0), "unknown", f"无法评估:{exc.render()}", exc.render())
    except Exception as exc:  # e.g. a plugin function failing: this indicator, not the record
        text = f"{type(exc).__name__}: {str(exc)[:300]}"
        return done(Decimal(0), "unknown", f"无法评估:{text}", f"could not be evaluated: {text}")
    outcome = rule_outcomes.get(ind.rule or "")
    if outcome in (Outcome.PASS, Outcome.NOT_APPLICABLE):
        return done(
            full, "scored", f"规则 {ind.rule} {outcome.label_zh}", f"rule {ind.rule}: {outcome.value}"
        )
    if outcome is Outcome.FAIL:
        return done(Decimal(0), "scored", f"规则 {ind.rule} 不符合", f"rule {ind.rule} failed")
    label = outcome.label_zh if outcome else "无结果"
    return done(
        Decimal(0),
        "unknown",
        f"规则 {ind.rule} {label}",
        f"rule {ind.rule}: {outcome.value if outcome else 'no finding'}",
    )
