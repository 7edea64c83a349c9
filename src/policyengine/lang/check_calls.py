"""Checking calls: the forms (quantifiers, ``exists``, ``default``) and table functions.

The checker hands every :class:`~.ast.Call` to :func:`check_call`, which checks the
arity and argument kinds and returns the call's kind.
"""

from __future__ import annotations

from typing import Protocol

from ..errors import ConditionTypeError, UnknownFunctionError, did_you_mean
from ..models.introspect import ANY, BOOL, NUMBER, TypeInfo
from . import ast
from .checked import RESERVED_ROOTS, Checked, Scope, same_kind
from .functions import FORMS, QUANTIFIERS, parse_iso_date


class Checker(Protocol):
    """What call checking needs from the checker."""

    source: str
    scope: Scope
    out: Checked

    def visit(self, node: ast.Node, env: dict[str, TypeInfo]) -> TypeInfo: ...

    def expect(self, node: ast.Node, kind: TypeInfo, want: str, what: str) -> None: ...


def check_call(checker: Checker, node: ast.Call, env: dict[str, TypeInfo]) -> TypeInfo:
    """The kind of ``node``; raises if it calls an unknown function or calls one wrongly."""
    name = node.name
    if name in QUANTIFIERS:
        return check_quantifier(checker, node, env)
    if name == "exists":
        if len(node.args) != 1 or not isinstance(node.args[0], ast.Path):
            raise ConditionTypeError(
                "exists(...) takes one field path, e.g. exists(site.area_m2)",
                checker.source,
                node.start,
                node.end,
            )
        checker.visit(node.args[0], env)
        return BOOL
    if name == "default":
        if len(node.args) != 2:
            raise ConditionTypeError(
                "default(expr, fallback) takes two arguments", checker.source, node.start, node.end
            )
        value = checker.visit(node.args[0], env)
        fallback = checker.visit(node.args[1], env)
        if not same_kind(value, fallback):
            raise ConditionTypeError(
                f"the fallback is a {fallback.kind} but the value is a {value.kind}",
                checker.source,
                node.args[1].start,
                node.args[1].end,
            )
        return value if value.kind != "any" else fallback
    func = checker.scope.functions.get(name)
    if func is None:
        known = sorted({*checker.scope.functions, *FORMS})
        suggestion = did_you_mean(name, known)
        raise UnknownFunctionError(
            f"there is no function `{name}`",
            checker.source,
            node.start,
            node.start + len(name),
            hint=f"did you mean `{suggestion}`?" if suggestion else f"available: {', '.join(known)}",
        )
    if len(node.args) != len(func.params):
        raise ConditionTypeError(
            f"{name}(...) takes {len(func.params)} argument(s), got {len(node.args)}",
            checker.source,
            node.start,
            node.end,
        )
    for arg, want in zip(node.args, func.params, strict=True):
        got = checker.visit(arg, env)
        if want != "any":
            checker.expect(arg, got, want, f"argument of {name}(...) must be a {want}")
    if name == "date" and isinstance(node.args[0], ast.String):
        try:
            parse_iso_date(node.args[0].value)
        except ValueError:
            raise ConditionTypeError(
                f'"{node.args[0].value}" is not a date',
                checker.source,
                node.args[0].start,
                node.args[0].end,
                hint='write date("YYYY-MM-DD"), e.g. date("2022-09-27")',
            ) from None
    return TypeInfo(func.returns) if func.returns != "any" else ANY


def check_quantifier(checker: Checker, node: ast.Call, env: dict[str, TypeInfo]) -> TypeInfo:
    """The kind of ``name(items, x -> body)``."""
    name = node.name
    if len(node.args) != 2 or not isinstance(node.args[1], ast.Lambda):
        raise ConditionTypeError(
            f"{name}(...) takes a list and `x -> ...`, e.g. {name}(staff, s -> s.full_time)",
            checker.source,
            node.start,
            node.end,
        )
    items = checker.visit(node.args[0], env)
    if items.kind not in ("list", "any"):
        raise ConditionTypeError(
            f"{name}(...) needs a list, but this is a {items.describe()}",
            checker.source,
            node.args[0].start,
            node.args[0].end,
        )
    lam = node.args[1]
    if lam.param in RESERVED_ROOTS:
        raise ConditionTypeError(
            f"`{lam.param}` is reserved; name the item something else",
            checker.source,
            lam.start,
            lam.start + len(lam.param),
        )
    inner = dict(env)
    inner[lam.param] = items.item or ANY
    body = checker.visit(lam.body, inner)
    checker.out.types[lam] = body
    if name in ("count", "any", "all", "filter"):
        checker.expect(lam.body, body, "bool", f"the condition in {name}(...) must be true/false")
    if name == "sum":
        checker.expect(lam.body, body, "number", "sum(...) adds numbers")
    if name in ("min", "max") and body.kind not in ("number", "date", "any"):
        raise ConditionTypeError(
            f"{name}(...) needs numbers or dates", checker.source, lam.body.start, lam.body.end
        )
    if name == "count" or name == "sum":
        return NUMBER
    if name in ("any", "all"):
        return BOOL
    if name == "filter":
        return items
    return body
