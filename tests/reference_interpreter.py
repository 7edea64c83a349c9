"""A deliberately plain tree-walking interpreter of the condition language.

It shares only the parser with the library; paths, operators, three-valued logic and the
quantifiers are implemented again here, directly from docs/condition-language.md, so that a
property test can compare it with the compiled closures.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, DivisionByZero, InvalidOperation
from enum import Enum
from typing import Any

from policyengine.lang import ast
from policyengine.lang.functions import BUILTIN_FUNCTIONS

MISSING = object()


class RefError(Exception):
    pass


def run(node: ast.Node, record: Any, params: dict[str, Any], as_of: date) -> Any:
    return _eval(node, record, params, as_of, {})


def _eval(node: ast.Node, rec: Any, params: dict[str, Any], as_of: date, env: dict[str, Any]) -> Any:
    ev = lambda n, e=env: _eval(n, rec, params, as_of, e)  # noqa: E731
    if isinstance(node, (ast.Number, ast.String, ast.Bool)):
        return node.value
    if isinstance(node, ast.Null):
        return MISSING
    if isinstance(node, ast.Path):
        head, *rest = node.parts
        if head in env:
            value = env[head]
        elif head == "param":
            return params[rest[0]]
        elif head == "as_of":
            return as_of
        else:
            value, rest = getattr(rec, head), rest
            if value is None:
                return MISSING
        for part in rest:
            value = getattr(value, part)
            if value is None:
                return MISSING
        return value
    if isinstance(node, ast.ListLit):
        items = [ev(i) for i in node.items]
        return MISSING if any(i is MISSING for i in items) else items
    if isinstance(node, ast.Neg):
        v = ev(node.operand)
        return MISSING if v is MISSING else -v
    if isinstance(node, ast.Not):
        v = ev(node.operand)
        return MISSING if v is MISSING else (not v)
    if isinstance(node, ast.BoolOp):
        values = [ev(o) for o in node.operands]
        known = [v for v in values if v is not MISSING]
        if node.op == "and":
            if any(v is False for v in known):
                return False
            return MISSING if len(known) < len(values) else True
        if any(v is True for v in known):
            return True
        return MISSING if len(known) < len(values) else False
    if isinstance(node, ast.Arith):
        values = [ev(node.first)] + [ev(o) for _, o in node.rest]
        if any(v is MISSING for v in values):
            return MISSING
        total = values[0]
        for (op, _), v in zip(node.rest, values[1:], strict=True):
            if op == "+":
                total = total + v
            elif op == "-":
                total = total - v
            elif op == "*":
                total = total * v
            else:
                try:
                    total = Decimal(total) / Decimal(v)
                except (DivisionByZero, InvalidOperation):
                    raise RefError("division by zero") from None
        return total
    if isinstance(node, ast.Compare):
        a, b = ev(node.left), ev(node.right)
        if a is MISSING or b is MISSING:
            return MISSING
        a, b = _plain(a), _plain(b)
        return {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[node.op]
    if isinstance(node, ast.In):
        a, b = ev(node.item), ev(node.container)
        if a is MISSING or b is MISSING:
            return MISSING
        found = _plain(a) in [_plain(x) for x in b] if isinstance(b, list) else a in b
        return (not found) if node.negated else found
    if isinstance(node, ast.Call):
        return _call(node, rec, params, as_of, env)
    raise RefError(f"unsupported {node!r}")


def _plain(v: Any) -> Any:
    return v.value if isinstance(v, Enum) else v


def _call(node: ast.Call, rec: Any, params: dict[str, Any], as_of: date, env: dict[str, Any]) -> Any:
    ev = lambda n, e=env: _eval(n, rec, params, as_of, e)  # noqa: E731
    name = node.name
    if name == "exists":
        return ev(node.args[0]) is not MISSING
    if name == "default":
        v = ev(node.args[0])
        return ev(node.args[1]) if v is MISSING else v
    if name in ("count", "any", "all", "sum", "min", "max", "filter"):
        items = ev(node.args[0])
        if items is MISSING:
            return MISSING
        lam = node.args[1]
        assert isinstance(lam, ast.Lambda)
        results = [ev(lam.body, {**env, lam.param: item}) for item in items]
        unknown = any(r is MISSING for r in results)
        if name == "any":
            return True if any(r is True for r in results) else (MISSING if unknown else False)
        if name == "all":
            return False if any(r is False for r in results) else (MISSING if unknown else True)
        if unknown:
            return MISSING
        if name == "count":
            return Decimal(sum(1 for r in results if r))
        if name == "sum":
            return sum(results, Decimal(0))
        if name == "filter":
            return [i for i, r in zip(items, results, strict=True) if r]
        return (min if name == "min" else max)(results) if results else MISSING
    args = [ev(a) for a in node.args]
    if any(a is MISSING for a in args):
        return MISSING
    return BUILTIN_FUNCTIONS[name].impl(*args)
