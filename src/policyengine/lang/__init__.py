"""The condition language: parse → check → compile, once per condition.

>>> from policyengine.lang import compile_condition, Scope
>>> from policyengine.models import Funding
>>> from policyengine.lang.functions import BUILTIN_FUNCTIONS
>>> cond = compile_condition(
...     "funds.purchase_services <= 0.03 * funds.social_assistance",
...     Scope(Funding, {}, BUILTIN_FUNCTIONS),
... )
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ..errors import ConditionLimitError, EvaluationError
from ..models.introspect import ANY, BOOL, DATE, NUMBER, STRING, TypeInfo
from . import ast
from .check import check
from .checked import Checked, Scope
from .compiler import compile_checked
from .functions import BUILTIN_FUNCTIONS, Function
from .parser import parse
from .runtime import DEFAULT_MAX_STEPS, MISSING, Ctx, Fn, TraceEntry, plain


@dataclass(frozen=True)
class Evaluation:
    """The result of one condition on one record."""

    value: Any  # True/False/MISSING for conditions; any value for expressions
    trace: tuple[TraceEntry, ...]
    missing: tuple[str, ...]


class Condition:
    """A compiled condition (or value expression), ready to evaluate many times."""

    def __init__(self, source: str, checked: Checked, functions: Mapping[str, Function]) -> None:
        self.source = source
        self.checked = checked
        funcs = dict(functions)
        #: the function table it was compiled with (generated row code calls the same ones)
        self.functions: Mapping[str, Function] = funcs
        self.field_paths: frozenset[str] = frozenset(checked.field_paths)
        self.params_used: frozenset[str] = frozenset(checked.params_used)
        self._fast: Fn = compile_checked(checked, funcs, trace=False)
        self._traced: Fn = compile_checked(checked, funcs, trace=True)

    def run(self, ctx: Ctx) -> Any:
        """Evaluate with a prepared context (the engine's fast path)."""
        return (self._traced if ctx.trace is not None else self._fast)(ctx)

    def evaluate(
        self,
        record: Any,
        params: Mapping[str, Any] | None = None,
        as_of: date | None = None,
        trace: bool = True,
        max_steps: int = DEFAULT_MAX_STEPS,
    ) -> Evaluation:
        ctx = Ctx(record, dict(params or {}), as_of or date.today(), [] if trace else None, max_steps)
        value = self.run(ctx)
        return Evaluation(value, tuple(ctx.trace or ()), tuple(dict.fromkeys(ctx.missing)))

    def __repr__(self) -> str:
        return f"Condition({self.source!r})"


def compile_condition(source: str, scope: Scope, expect_bool: bool = True) -> Condition:
    """Parse, check and compile. Raises a :class:`~policyengine.errors.ConditionError`."""
    try:
        tree = parse(source)
        checked = check(tree, source, scope, expect_bool=expect_bool)
    except RecursionError:
        raise ConditionLimitError("the condition is too deeply nested", source, 0) from None
    return Condition(source, checked, scope.functions)


def type_of_value(value: Any) -> TypeInfo:
    """The kind of a parameter value, for the checker."""
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, (int, Decimal)):
        return NUMBER
    if isinstance(value, str):
        return STRING
    if isinstance(value, date):
        return DATE
    if isinstance(value, list):
        return TypeInfo("list", item=type_of_value(value[0]) if value else ANY)
    return ANY


__all__ = [
    "BUILTIN_FUNCTIONS",
    "DEFAULT_MAX_STEPS",
    "MISSING",
    "Condition",
    "Ctx",
    "Evaluation",
    "EvaluationError",
    "Function",
    "Scope",
    "TraceEntry",
    "ast",
    "compile_condition",
    "parse",
    "plain",
    "type_of_value",
]
