"""Pass 3: checked tree → Python closures.

Each node becomes a function ``ctx -> value``. Nothing is looked up by name at evaluation
time that could be resolved here: field paths become attribute walks, operators become
the ``operator`` module's functions, ``date("...")`` literals are folded.

This module walks the tree and reads the record; the operators' closures are built in
:mod:`.operators`, the quantifiers' loops in :mod:`.quantifiers`, and the values they
work with (:data:`MISSING`, :class:`Ctx`, :class:`TraceEntry`) live in :mod:`.runtime`.
"""

from __future__ import annotations

from typing import Any

from ..errors import EvaluationError, PolicyEngineError
from . import ast, operators, quantifiers
from .checked import AsOfRef, Checked, FieldRef, ParamRef
from .functions import Function, parse_iso_date
from .runtime import DEFAULT_MAX_STEPS, MISSING, Ctx, Fn, TraceEntry, plain

# Importers of the evaluation values from here predate .runtime; keep them working.
__all__ = [
    "DEFAULT_MAX_STEPS",
    "MISSING",
    "Ctx",
    "EvaluationError",
    "Fn",
    "TraceEntry",
    "compile_checked",
    "plain",
]


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
        return operators.boolean(node.op, parts, explain=self.trace and not in_lambda)

    def arith(self, node: ast.Arith, in_lambda: bool, scope: dict[str, tuple[str, int]]) -> Fn:
        first = self.node(node.first, in_lambda, scope)
        rest = [(op, self.node(o, in_lambda, scope)) for op, o in node.rest]
        return operators.arithmetic(first, rest)

    def compare(self, node: ast.Compare, in_lambda: bool, scope: dict[str, tuple[str, int]]) -> Fn:
        left = self.node(node.left, in_lambda, scope)
        right = self.node(node.right, in_lambda, scope)
        if (not self.trace or in_lambda) and isinstance(node.right, (ast.Number, ast.String, ast.Bool)):
            return operators.compare_constant(node.op, left, node.right.value)
        ref = self.checked.refs.get(node.right) if isinstance(node.right, ast.Path) else None
        if (not self.trace or in_lambda) and isinstance(ref, ParamRef):
            return operators.compare_param(node.op, left, ref.name)
        if not self.trace or in_lambda:
            return operators.compare_values(node.op, left, right)
        return operators.compare_traced(node.op, left, right, self.text(node), node.start, node.end)

    def in_(self, node: ast.In, in_lambda: bool, scope: dict[str, tuple[str, int]]) -> Fn:
        item = self.node(node.item, in_lambda, scope)
        container = self.node(node.container, in_lambda, scope)
        traced = self.trace and not in_lambda
        text, start, end = self.text(node), node.start, node.end
        return operators.membership(item, container, node.negated, traced, text, start, end)

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
            constant = parse_iso_date(node.args[0].value)
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
        return quantifiers.quantifier(node.name, items_fn, body, slot)
