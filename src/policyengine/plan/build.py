"""A plan: the rules of some packs for one subject kind and one as-of date, as one SQL query
over the layout's tables, giving per record an outcome code for every rule, whether each pack
judges the record, and the verdict.

Outcome codes: 0 pass, 1 fail, 2 unknown, 3 not applicable, 4 error, 5 *rows* — the row
engine decides (a rule the plan cannot express, with its reason; or a row where the row
engine would raise, round a number or step past its limit). The verdict is NULL where a
*rows* outcome could change it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlglot import exp

from ..lang.functions import Function
from ..lang.runtime import DEFAULT_MAX_STEPS, MISSING
from ..outcomes import Outcome, Verdict
from ..packs.runtime import CompiledRule, Pack
from . import calls, quantifiers
from .expr import Compiler
from .judged import judged
from .layout import Layout, NotInPlan, Table
from .scope import Scope
from .values import Const, Sql, Val, any_of, as_sql, case, definitely, is_null, paren, total

PASS, FAIL, UNKNOWN, NOT_APPLICABLE, ERROR, ROWS = range(6)
#: Outcome code → outcome (ROWS has none: the row engine gives it).
OUTCOMES = {
    PASS: Outcome.PASS,
    FAIL: Outcome.FAIL,
    UNKNOWN: Outcome.UNKNOWN,
    NOT_APPLICABLE: Outcome.NOT_APPLICABLE,
    ERROR: Outcome.ERROR,
}


@dataclass(frozen=True)
class PlannedRule:
    """One rule in the plan: its result column, and why it is not in the plan (None if it is)."""

    pack: Pack
    rule: CompiledRule
    column: str
    reason: str | None = None


@dataclass
class Plan:
    kind: str
    model: type[BaseModel]
    as_of: date
    packs: tuple[Pack, ...]
    rules: list[PlannedRule]
    layout: Layout
    query: exp.Expression
    judged_columns: dict[str, str] = field(default_factory=dict)
    _sql: dict[tuple[str, bool], str] = field(default_factory=dict, repr=False)

    def sql(self, dialect: str = "duckdb", pretty: bool = True) -> str:
        """The query in ``dialect`` (``duckdb``, ``spark``, or any SQLGlot writes)."""
        key = (dialect, pretty)
        text = self._sql.get(key)
        if text is None:
            text = self._sql[key] = self.query.sql(dialect=dialect, pretty=pretty)
        return text

    def not_in_plan(self) -> list[PlannedRule]:
        return [r for r in self.rules if r.reason is not None]

    def tables(self) -> list[Table]:
        """The tables the plan reads, ``records`` first, each with the columns it needs."""
        return list(self.layout.tables.values())

    def create_tables(self, dialect: str = "duckdb") -> str:
        """``CREATE TABLE`` statements for the tables the plan reads."""
        out: list[str] = []
        for t in self.tables():
            keys = ["_key BIGINT"] if t.parent is None else ["_key BIGINT", "_parent BIGINT", "_root BIGINT"]
            cols = [*keys, *(f'"{c.name}" {c.sql_type}' for c in t.columns.values())]
            ddl = f'CREATE TABLE "{t.name}" ({", ".join(cols)})'
            out.append(exp.maybe_parse(ddl, dialect="duckdb").sql(dialect=dialect))
        return ";\n".join(out) + ";"


def compile_plan(
    packs: Sequence[Pack],
    kind: str,
    model: type[BaseModel],
    as_of: date,
    functions: Mapping[str, Function],
    *,
    max_steps: int = DEFAULT_MAX_STEPS,
    ignore_scope: bool = False,
) -> Plan:
    """Compile the rules of ``packs`` for records of ``kind`` (``model``) on ``as_of``."""
    layout = Layout(model)
    root = Scope(layout, layout.records)
    planned: list[PlannedRule] = []
    outcomes: list[exp.Expr] = []
    for pack in packs:
        params, _ = pack.params_at(as_of) if pack.in_effect(as_of) else ({}, {})
        compiler = make_compiler(layout, params, as_of, functions)
        for rule in pack.rules_for(kind):
            column = f"{pack.id}:{rule.id}"
            reason, outcome = _rule(pack, rule, as_of, compiler, root, max_steps, functions)
            planned.append(PlannedRule(pack, rule, column, reason))
            outcomes.append(exp.alias_(outcome, column, quoted=True))
    judged_columns: dict[str, str] = {}
    scopes: list[exp.Expr] = []
    for pack in packs:
        column = f"judged:{pack.id}"
        judged_columns[pack.id] = column
        decided = True if ignore_scope else judged(pack, layout, root)
        value = exp.Boolean(this=decided) if isinstance(decided, bool) else decided
        scopes.append(exp.alias_(value, column, quoted=True))
    inner = exp.select(exp.alias_(exp.column("_key", table="r", quoted=True), "_key", quoted=True))
    inner = root.from_clause(inner.select(*outcomes, *scopes))
    query = (
        exp.select("*")
        .select(exp.alias_(_verdict(planned, judged_columns), "verdict", quoted=True))
        .from_("outcomes")
        .with_("outcomes", as_=inner)
        .order_by(exp.column("_key", quoted=True))
    )
    return Plan(kind, model, as_of, tuple(packs), planned, layout, query, judged_columns)


class _Handlers:
    """:mod:`.quantifiers` and :mod:`.calls`, for the compiler."""

    membership = staticmethod(quantifiers.membership)
    call = staticmethod(calls.call)


def make_compiler(
    layout: Layout, params: Mapping[str, Any], as_of: date, functions: Mapping[str, Function]
) -> Compiler:
    return Compiler(layout, params, as_of, functions, _Handlers())


def _rule(
    pack: Pack,
    rule: CompiledRule,
    as_of: date,
    compiler: Compiler,
    root: Scope,
    max_steps: int,
    functions: Mapping[str, Function],
) -> tuple[str | None, exp.Expression]:
    """(why not in the plan, the outcome code as SQL)."""
    if not pack.in_effect(as_of):
        return None, exp.Literal.number(NOT_APPLICABLE)
    _, absent = pack.params_at(as_of)
    if any(n in absent for n in rule.params_used):
        return None, exp.Literal.number(ERROR)
    trial = Layout(root.layout.model)
    try:  # first on a scratch layout: a rule left out adds nothing to the plan's tables
        scratch = make_compiler(trial, compiler.params, as_of, functions)
        _outcome(rule, scratch, Scope(trial, trial.records), max_steps)
    except NotInPlan as exc:
        return str(exc), exp.Literal.number(ROWS)
    except RecursionError:
        return "the condition is nested too deeply for SQL", exp.Literal.number(ROWS)
    return None, _outcome(rule, compiler, root, max_steps)


def _outcome(rule: CompiledRule, c: Compiler, root: Scope, max_steps: int) -> exp.Expression:
    when: Val = c.condition(rule.when.checked, root) if rule.when is not None else Const(True)
    require = c.condition(rule.require.checked, root)
    guards: list[exp.Expression] = []
    steps: list[exp.Expression] = []
    bound = 0
    for v in (when, require):
        if isinstance(v, Sql):
            guards.extend(v.guards)
            steps.extend(v.steps)
            bound += v.bound
    if steps and bound > max_steps:  # the row engine's step limit may be reached
        guards.append(definitely(exp.GT(this=paren(total(steps)), expression=exp.Literal.number(max_steps))))
    branches: list[tuple[exp.Expression, exp.Expression]] = []
    if guards:
        branches.append((any_of(guards), exp.Literal.number(ROWS)))
    if isinstance(when, Const):
        if when.value is MISSING or not when.value:
            return _decided(branches, UNKNOWN if when.value is MISSING else NOT_APPLICABLE)
    else:
        w = as_sql(when, "bool").expr
        branches.append((is_null(paren(w.copy())), exp.Literal.number(UNKNOWN)))
        branches.append((exp.Not(this=paren(w.copy())), exp.Literal.number(NOT_APPLICABLE)))
    if isinstance(require, Const):
        value = require.value
        return _decided(branches, UNKNOWN if value is MISSING else PASS if value else FAIL)
    r = as_sql(require, "bool").expr
    branches.append((is_null(paren(r.copy())), exp.Literal.number(UNKNOWN)))
    branches.append((paren(r), exp.Literal.number(PASS)))
    return case(*branches, default=exp.Literal.number(FAIL))


def _decided(branches: list[tuple[exp.Expression, exp.Expression]], code: int) -> exp.Expression:
    return case(*branches, default=exp.Literal.number(code)) if branches else exp.Literal.number(code)


def _verdict(rules: list[PlannedRule], judged_columns: dict[str, str]) -> exp.Expression:
    """The report's verdict from the outcome columns; NULL where the row engine must decide."""

    def where(codes: tuple[int, ...], severity: str | None = None) -> exp.Expression:
        conds: list[exp.Expression] = []
        for r in rules:
            if severity is not None and r.rule.severity != severity:
                continue
            outcome = exp.column(r.column, quoted=True)
            hit = exp.In(this=outcome, expressions=[exp.Literal.number(c) for c in codes])
            judged_by = exp.column(judged_columns[r.pack.id], quoted=True)
            conds.append(exp.And(this=judged_by, expression=hit))
        return any_of(conds)

    evaluated = where((PASS, FAIL, UNKNOWN, ERROR, ROWS))
    return case(
        (where((FAIL,), "error"), exp.Literal.string(Verdict.NON_COMPLIANT.value)),
        (where((ROWS,)), exp.Null()),
        (where((UNKNOWN, ERROR)), exp.Literal.string(Verdict.INCOMPLETE.value)),
        (exp.Not(this=paren(evaluated)), exp.Literal.string(Verdict.NOT_ASSESSED.value)),
        default=exp.Literal.string(Verdict.COMPLIANT.value),
    )
