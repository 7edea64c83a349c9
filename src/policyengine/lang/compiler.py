"""Pass 3: checked tree → Python closures.

Each node becomes a function ``ctx -> value``. Nothing is looked up by name at evaluation
time that could be resolved here: field paths become attribute walks, operators become
the ``operator`` module's functions, ``date("...")`` literals are folded.

Absent data is the value :data:`MISSING`, which propagates through arithmetic and
comparisons and follows three-valued logic in ``and``/``or``/``not``: ``false and MISSING``
is false, ``true or MISSING`` is true, everything else with MISSING is MISSING.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, DivisionByZero, InvalidOperation
from enum import Enum
from typing import Any

from ..errors import EvaluationError, EvaluationLimitError, PolicyEngineError
from . import ast
from .check import AsOfRef, Checked, FieldRef, ParamRef
from .functions import Function


class _Missing:
    """The value of an absent fact."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

#: Most quantifier iterations one evaluation may take.
DEFAULT_MAX_STEPS = 100_000


@dataclass(frozen=True, slots=True)
class TraceEntry:
    """One decision: the source text, the values on both sides, the result."""

    text: str
    op: str
    left: Any
    right: Any
    result: bool | None  # None when a side was absent
    start: int
    end: int


class Ctx:
    """Per-evaluation state."""

    __slots__ = ("as_of", "max_steps", "missing", "params", "record", "steps", "trace", "vars")

    def __init__(
        self,
        record: Any,
        params: dict[str, Any],
        as_of: date,
        trace: list[TraceEntry] | None = None,
        max_steps: int = DEFAULT_MAX_STEPS,
    ) -> None:
        self.record = record
        self.params = params
        self.as_of = as_of
        self.vars: dict[int, Any] = {}
        self.steps = 0
        self.max_steps = max_steps
        self.trace = trace
        self.missing: list[str] = []


Fn = Callable[[Ctx], Any]

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def plain(value: Any) -> Any:
    """A value as shown in traces and reports (enum members as their code)."""
    if isinstance(value, Enum):
        return value.value
    return value


def _div(a: Any, b: Any) -> Decimal:
    try:
        return Decimal(a) / Decimal(b)
    except (DivisionByZero, InvalidOperation):
        raise EvaluationError("division by zero") from None


_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": _div,
}


def compile_checked(checked: Checked, functions: dict[str, Function], trace: bool) -> Fn:
    """Compile a checked tree. With ``trace``, decisions outside quantifiers are recorded."""
    return _Compiler(checked, functions, trace).node(checked.root, in_lambda=False, scope={})


class _Compiler:
    def __init__(self, checked: Checked, functions: dict[str, Function], trace: bool) -> None:
        self.checked = checked
        self.functions = functions
        self.trace = trace
        self.slots = 0

    def text(self, node: ast.Node) -> str:
        return self.checked.source[node.start : node.end]

    def node(self, node: ast.Node, in_lambda: bool, scope: dict[str, tuple[str, int]]) -> Fn:
        fn = self._node(node, in_lambda, scope)
        kind = self.checked.types.get(node)
        if (
            self.trace
            and not in_lambda
            and isinstance(node, (ast.Path, ast.Call))
            and kind is not None
            and kind.kind == "bool"
        ):
            return self._traced_value(node, fn)
        return fn

    def _traced_value(self, node: ast.Node, fn: Fn) -> Fn:
        text = self.text(node)
        start, end = node.start, node.end

        def traced(ctx: Ctx) -> Any:
            value = fn(ctx)
            if ctx.trace is not None:
                result = None if value is MISSING else bool(value)
                ctx.trace.append(TraceEntry(text, "is", value, None, result, start, end))
            return value

        return traced

    def _node(self, node: ast.Node, in_lambda: bool, scope: dict[str, tuple[str, int]]) -> Fn:
        if isinstance(node, (ast.Number, ast.String, ast.Bool)):
            value = node.value
            return lambda ctx: value
        if isinstance(node, ast.Null):
            return lambda ctx: MISSING
        if isinstance(node, ast.Path):
            return self.path(node, scope)
        if isinstance(node, ast.ListLit):
            items = [self.node(i, in_lambda, scope) for i in node.items]
            if all(isinstance(i, (ast.Number, ast.String, ast.Bool)) for i in node.items):
                constant = [i.value for i in node.items]  # type: ignore[attr-defined]
                return lambda ctx: constant

            def list_fn(ctx: Ctx) -> Any:
                values = [f(ctx) for f in items]
                return MISSING if any(v is MISSING for v in values) else values

            return list_fn
        if isinstance(node, ast.Neg):
            inner = self.node(node.operand, in_lambda, scope)
            return lambda ctx: MISSING if (v := inner(ctx)) is MISSING else -v
        if isinstance(node, ast.Not):
            inner = self.node(node.operand, in_lambda, scope)
            return lambda ctx: MISSING if (v := inner(ctx)) is MISSING else not v
        if isinstance(node, ast.BoolOp):
            return self.boolop(node, in_lambda, scope)
        if isinstance(node, ast.Arith):
            return self.arith(node, in_lambda, scope)
        if isinstance(node, ast.Compare):
            return self.compare(node, in_lambda, scope)
        if isinstance(node, ast.In):
            return self.in_(node, in_lambda, scope)
        if isinstance(node, ast.Call):
            return self.call(node, in_lambda, scope)
        raise EvaluationError(f"cannot compile {type(node).__name__}")

    # -- paths ---------------------------------------------------------------------------

    def path(self, node: ast.Path, scope: dict[str, tuple[str, int]]) -> Fn:
        ref = self.checked.refs[node]
        if isinstance(ref, AsOfRef):
            return lambda ctx: ctx.as_of
        if isinstance(ref, ParamRef):
            name = ref.name
            return lambda ctx: ctx.params[name]
        assert isinstance(ref, FieldRef)
        steps = ref.steps
        var = ref.var
        shown = node.text if var is None else scope[var][0] + "." + ".".join(steps)
        shown = shown.rstrip(".")
        slot = scope[var][1] if var is not None else -1
        if var is None and len(steps) == 1:
            (a,) = steps

            def get1(ctx: Ctx) -> Any:
                value = getattr(ctx.record, a)
                if value is None:
                    ctx.missing.append(shown)
                    return MISSING
                return value

            return get1
        if var is None and len(steps) == 2:
            a, b = steps

            def get2(ctx: Ctx) -> Any:
                value = getattr(ctx.record, a)
                if value is not None:
                    value = getattr(value, b)
                if value is None:
                    ctx.missing.append(shown)
                    return MISSING
                return value

            return get2

        if var is not None and len(steps) == 1:
            (a,) = steps

            def item1(ctx: Ctx) -> Any:
                value = getattr(ctx.vars[slot], a)
                if value is None:
                    ctx.missing.append(shown)
                    return MISSING
                return value

            return item1
        if var is None and len(steps) == 3:
            a, b, c = steps

            def get3(ctx: Ctx) -> Any:
                value = getattr(ctx.record, a)
                if value is not None:
                    value = getattr(value, b)
                    if value is not None:
                        value = getattr(value, c)
                if value is None:
                    ctx.missing.append(shown)
                    return MISSING
                return value

            return get3

        def get(ctx: Ctx) -> Any:
            value = ctx.record if var is None else ctx.vars[slot]
            for step in steps:
                value = getattr(value, step)
                if value is None:
                    ctx.missing.append(shown)
                    return MISSING
            return value

        return get

    # -- operators -----------------------------------------------------------------------

    def boolop(self, node: ast.BoolOp, in_lambda: bool, scope: dict[str, tuple[str, int]]) -> Fn:
        parts = [self.node(o, in_lambda, scope) for o in node.operands]
        if self.trace and not in_lambda:
            # Explanations show every decision, so evaluate all operands (they are pure).
            is_and = node.op == "and"

            def explained(ctx: Ctx) -> Any:
                values = [part(ctx) for part in parts]
                decided = [v for v in values if v is not MISSING]
                if is_and and any(not v for v in decided):
                    return False
                if not is_and and any(v for v in decided):
                    return True
                return MISSING if len(decided) < len(values) else is_and

            return explained
        if node.op == "and":

            def and_fn(ctx: Ctx) -> Any:
                unknown = False
                for part in parts:
                    value = part(ctx)
                    if value is MISSING:
                        unknown = True
                    elif not value:
                        return False
                return MISSING if unknown else True

            return and_fn

        def or_fn(ctx: Ctx) -> Any:
            unknown = False
            for part in parts:
                value = part(ctx)
                if value is MISSING:
                    unknown = True
                elif value:
                    return True
            return MISSING if unknown else False

        return or_fn

    def arith(self, node: ast.Arith, in_lambda: bool, scope: dict[str, tuple[str, int]]) -> Fn:
        first = self.node(node.first, in_lambda, scope)
        rest = [(_ARITH[op], self.node(o, in_lambda, scope)) for op, o in node.rest]

        def arith_fn(ctx: Ctx) -> Any:
            value = first(ctx)
            unknown = value is MISSING
            for op, fn in rest:
                other = fn(ctx)
                if other is MISSING:
                    unknown = True
                elif not unknown:
                    try:
                        value = op(value, other)
                    except ArithmeticError as exc:  # overflow and the like
                        raise EvaluationError(f"arithmetic failed: {type(exc).__name__}") from None
            return MISSING if unknown else value

        return arith_fn

    def compare(self, node: ast.Compare, in_lambda: bool, scope: dict[str, tuple[str, int]]) -> Fn:
        left = self.node(node.left, in_lambda, scope)
        right = self.node(node.right, in_lambda, scope)
        op = _COMPARE[node.op]
        if (not self.trace or in_lambda) and isinstance(node.right, (ast.Number, ast.String, ast.Bool)):
            constant = node.right.value

            def cmp_const(ctx: Ctx) -> Any:
                a = left(ctx)
                return MISSING if a is MISSING else op(a, constant)

            return cmp_const
        ref = self.checked.refs.get(node.right) if isinstance(node.right, ast.Path) else None
        if (not self.trace or in_lambda) and isinstance(ref, ParamRef):
            pname = ref.name

            def cmp_param(ctx: Ctx) -> Any:
                a = left(ctx)
                return MISSING if a is MISSING else op(a, ctx.params[pname])

            return cmp_param
        if not self.trace or in_lambda:

            def cmp_fn(ctx: Ctx) -> Any:
                a = left(ctx)
                b = right(ctx)
                if a is MISSING or b is MISSING:
                    return MISSING
                return op(a, b)

            return cmp_fn
        text, symbol, start, end = self.text(node), node.op, node.start, node.end

        def cmp_traced(ctx: Ctx) -> Any:
            a = left(ctx)
            b = right(ctx)
            result = MISSING if a is MISSING or b is MISSING else op(a, b)
            if ctx.trace is not None:
                ctx.trace.append(
                    TraceEntry(
                        text,
                        symbol,
                        plain(a),
                        plain(b),
                        None if result is MISSING else result,
                        start,
                        end,
                    )
                )
            return result

        return cmp_traced

    def in_(self, node: ast.In, in_lambda: bool, scope: dict[str, tuple[str, int]]) -> Fn:
        item = self.node(node.item, in_lambda, scope)
        container = self.node(node.container, in_lambda, scope)
        negated = node.negated
        traced = self.trace and not in_lambda
        text, start, end = self.text(node), node.start, node.end
        symbol = "not in" if negated else "in"

        def in_fn(ctx: Ctx) -> Any:
            a = item(ctx)
            b = container(ctx)
            result = MISSING if a is MISSING or b is MISSING else a not in b if negated else a in b
            if traced and ctx.trace is not None:
                ctx.trace.append(
                    TraceEntry(
                        text,
                        symbol,
                        plain(a),
                        [plain(x) for x in b] if isinstance(b, list) else plain(b),
                        None if result is MISSING else result,
                        start,
                        end,
                    )
                )
            return result

        return in_fn

    # -- calls ---------------------------------------------------------------------------

    def call(self, node: ast.Call, in_lambda: bool, scope: dict[str, tuple[str, int]]) -> Fn:
        name = node.name
        if name in ("count", "any", "all", "sum", "min", "max", "filter"):
            return self.quantifier(node, in_lambda, scope)
        if name == "exists":
            return self.exists(node, scope)
        if name == "default":
            value = self.node(node.args[0], in_lambda, scope)
            fallback = self.node(node.args[1], in_lambda, scope)

            def default_fn(ctx: Ctx) -> Any:
                mark = len(ctx.missing)
                result = value(ctx)
                if result is MISSING:
                    del ctx.missing[mark:]
                    return fallback(ctx)
                return result

            return default_fn
        func = self.functions[name]
        if name == "date" and isinstance(node.args[0], ast.String):
            constant = date.fromisoformat(node.args[0].value)
            return lambda ctx: constant
        args = [self.node(a, in_lambda, scope) for a in node.args]
        impl = func.impl

        def call_fn(ctx: Ctx) -> Any:
            values = [a(ctx) for a in args]
            if any(v is MISSING for v in values):
                return MISSING
            try:
                result = impl(*values)
            except PolicyEngineError:
                raise
            except Exception as exc:
                raise EvaluationError(f"{name}(...) failed: {exc}") from None
            return MISSING if result is None else result

        return call_fn

    def exists(self, node: ast.Call, scope: dict[str, tuple[str, int]]) -> Fn:
        path = node.args[0]
        assert isinstance(path, ast.Path)
        ref = self.checked.refs[path]
        if not isinstance(ref, FieldRef):
            return lambda ctx: True
        steps, var = ref.steps, ref.var
        slot = scope[var][1] if var is not None else -1

        def exists_fn(ctx: Ctx) -> bool:
            value = ctx.record if var is None else ctx.vars[slot]
            for step in steps:
                value = getattr(value, step)
                if value is None:
                    return False
            return True

        return exists_fn

    def quantifier(self, node: ast.Call, in_lambda: bool, scope: dict[str, tuple[str, int]]) -> Fn:
        name = node.name
        items_fn = self.node(node.args[0], in_lambda, scope)
        lam = node.args[1]
        assert isinstance(lam, ast.Lambda)
        list_node = node.args[0]
        prefix = list_node.text + "[]" if isinstance(list_node, ast.Path) else lam.param
        if isinstance(list_node, ast.Path):
            ref = self.checked.refs.get(list_node)
            if isinstance(ref, FieldRef) and ref.var is not None:
                prefix = scope[ref.var][0] + "." + ".".join(ref.steps) + "[]"
        self.slots += 1
        slot = self.slots  # unique to this lambda: nested lambdas never share one
        body = self.node(lam.body, True, {**scope, lam.param: (prefix, slot)})

        def items_of(ctx: Ctx) -> Any:
            items = items_fn(ctx)
            if items is not MISSING:
                ctx.steps += len(items) + 1
                if ctx.steps > ctx.max_steps:
                    raise EvaluationLimitError(
                        f"evaluation took more than {ctx.max_steps} steps "
                        f"(at {name}(...) over {len(items)} items)"
                    )
            return items

        if name == "count":

            def count_fn(ctx: Ctx) -> Any:
                items = items_of(ctx)
                if items is MISSING:
                    return MISSING
                n = 0
                unknown = False
                env = ctx.vars
                for item in items:
                    env[slot] = item
                    r = body(ctx)
                    if r is MISSING:
                        unknown = True
                    elif r:
                        n += 1
                return MISSING if unknown else Decimal(n)

            return count_fn
        if name == "any":

            def any_fn(ctx: Ctx) -> Any:
                items = items_of(ctx)
                if items is MISSING:
                    return MISSING
                unknown = False
                env = ctx.vars
                for item in items:
                    env[slot] = item
                    r = body(ctx)
                    if r is MISSING:
                        unknown = True
                    elif r:
                        return True
                return MISSING if unknown else False

            return any_fn
        if name == "all":

            def all_fn(ctx: Ctx) -> Any:
                items = items_of(ctx)
                if items is MISSING:
                    return MISSING
                unknown = False
                env = ctx.vars
                for item in items:
                    env[slot] = item
                    r = body(ctx)
                    if r is MISSING:
                        unknown = True
                    elif not r:
                        return False
                return MISSING if unknown else True

            return all_fn
        if name == "sum":

            def sum_fn(ctx: Ctx) -> Any:
                items = items_of(ctx)
                if items is MISSING:
                    return MISSING
                total = Decimal(0)
                unknown = False
                env = ctx.vars
                for item in items:
                    env[slot] = item
                    r = body(ctx)
                    if r is MISSING:
                        unknown = True
                    elif not unknown:
                        total += r
                return MISSING if unknown else total

            return sum_fn
        if name == "filter":

            def filter_fn(ctx: Ctx) -> Any:
                items = items_of(ctx)
                if items is MISSING:
                    return MISSING
                kept = []
                unknown = False
                env = ctx.vars
                for item in items:
                    env[slot] = item
                    r = body(ctx)
                    if r is MISSING:
                        unknown = True
                    elif r:
                        kept.append(item)
                return MISSING if unknown else kept

            return filter_fn
        pick = min if name == "min" else max

        def minmax_fn(ctx: Ctx) -> Any:
            items = items_of(ctx)
            if items is MISSING or not items:
                return MISSING
            env = ctx.vars
            results = []
            for item in items:
                env[slot] = item
                r = body(ctx)
                if r is MISSING:
                    return MISSING
                results.append(r)
            return pick(results)

        return minmax_fn
