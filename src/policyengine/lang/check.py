"""Pass 2: check a syntax tree against the subject model, the parameters and the functions.

Resolves every path (record field, lambda variable, ``param.x``, ``as_of``), infers a
kind for every node, and refuses at load what could only fail at evaluation: unknown
fields (with "did you mean"), a list used as a value, a date compared with a number, a
string literal that is not one of an enumerated field's codes, an unknown function.
Calls are checked in :mod:`.check_calls`; :class:`Scope` and :class:`Checked` live in
:mod:`.checked`.
"""

from __future__ import annotations

from ..errors import ConditionTypeError, UnknownFieldError, did_you_mean
from ..models.introspect import ANY, BOOL, DATE, NULL, NUMBER, STRING, TypeInfo, field_type_info
from . import ast
from .check_calls import check_call
from .checked import RESERVED_ROOTS, AsOfRef, Checked, FieldRef, ParamRef, Ref, Scope, same_kind

# The data types moved to .checked; importers from here keep working.
__all__ = [
    "RESERVED_ROOTS",
    "AsOfRef",
    "Checked",
    "FieldRef",
    "ParamRef",
    "Ref",
    "Scope",
    "check",
]


def check(root: ast.Node, source: str, scope: Scope, expect_bool: bool = True) -> Checked:
    """Check ``root`` (parsed from ``source``) in ``scope``."""
    out = Checked(source, root)
    kind = _Checker(source, scope, out).visit(root, {})
    if expect_bool and kind.kind not in ("bool", "any"):
        raise ConditionTypeError(
            f"a condition must be true or false, but this is a {kind.describe()}",
            source,
            root.start,
            root.end,
            hint="compare it with something, e.g. `... >= 1`",
        )
    return out


class _Checker:
    def __init__(self, source: str, scope: Scope, out: Checked) -> None:
        self.source = source
        self.scope = scope
        self.out = out

    def visit(self, node: ast.Node, env: dict[str, TypeInfo]) -> TypeInfo:
        kind = self._visit(node, env)
        self.out.types[node] = kind
        return kind

    def _visit(self, node: ast.Node, env: dict[str, TypeInfo]) -> TypeInfo:
        if isinstance(node, ast.Number):
            return NUMBER
        if isinstance(node, ast.String):
            return STRING
        if isinstance(node, ast.Bool):
            return BOOL
        if isinstance(node, ast.Null):
            return NULL
        if isinstance(node, ast.Path):
            return self.path(node, env)
        if isinstance(node, ast.ListLit):
            kinds = [self.visit(i, env) for i in node.items]
            item = kinds[0] if kinds else ANY
            for i, k in zip(node.items, kinds, strict=True):
                if not same_kind(item, k):
                    raise ConditionTypeError(
                        f"a list mixes {item.describe()} and {k.describe()}",
                        self.source,
                        i.start,
                        i.end,
                    )
                if k.kind == "list":
                    raise ConditionTypeError("lists of lists are not supported", self.source, i.start, i.end)
            return TypeInfo("list", item=item)
        if isinstance(node, ast.Neg):
            self.expect(node.operand, self.visit(node.operand, env), "number", "`-` needs a number")
            return NUMBER
        if isinstance(node, ast.Not):
            self.expect(node.operand, self.visit(node.operand, env), "bool", "`not` needs true/false")
            return BOOL
        if isinstance(node, ast.BoolOp):
            for operand in node.operands:
                self.expect(
                    operand,
                    self.visit(operand, env),
                    "bool",
                    f"`{node.op}` joins true/false values",
                )
            return BOOL
        if isinstance(node, ast.Arith):
            self.expect(node.first, self.visit(node.first, env), "number", "arithmetic needs numbers")
            for op, operand in node.rest:
                self.expect(operand, self.visit(operand, env), "number", f"`{op}` needs numbers")
            return NUMBER
        if isinstance(node, ast.Compare):
            return self.compare(node, env)
        if isinstance(node, ast.In):
            return self.in_(node, env)
        if isinstance(node, ast.Call):
            return check_call(self, node, env)
        if isinstance(node, ast.Lambda):
            raise ConditionTypeError(
                "`x -> ...` may only appear as the second argument of count, any, all, sum, "
                "min, max or filter",
                self.source,
                node.start,
                node.end,
            )
        raise ConditionTypeError("unsupported expression", self.source, node.start, node.end)

    # -- helpers -------------------------------------------------------------------------

    def expect(self, node: ast.Node, kind: TypeInfo, want: str, what: str) -> None:
        if kind.kind in (want, "any"):
            return
        hint = None
        if kind.kind == "list":
            hint = "use count(...), any(...), all(...), sum(...) or len(...) on a list"
        raise ConditionTypeError(
            f"{what}, but this is a {kind.describe()}", self.source, node.start, node.end, hint
        )

    def path(self, node: ast.Path, env: dict[str, TypeInfo]) -> TypeInfo:
        head = node.parts[0]
        if head in env:
            self.out.refs[node] = FieldRef(head, node.parts[1:])
            return self.walk(node, env[head], 1)
        if head == "as_of":
            if len(node.parts) > 1:
                raise UnknownFieldError(
                    "`as_of` is the evaluation date and has no fields",
                    self.source,
                    node.part_starts[1],
                    node.end,
                    hint="use year(as_of) or month(as_of)",
                )
            self.out.refs[node] = AsOfRef()
            return DATE
        if head == "param":
            if len(node.parts) != 2:
                raise UnknownFieldError(
                    "write a parameter as `param.name`", self.source, node.start, node.end
                )
            name = node.parts[1]
            if name not in self.scope.params:
                suggestion = did_you_mean(name, self.scope.params)
                raise UnknownFieldError(
                    f"the pack has no parameter `{name}`",
                    self.source,
                    node.part_starts[1],
                    node.end,
                    hint=(
                        f"did you mean `param.{suggestion}`?"
                        if suggestion
                        else "declare it under `parameters:`"
                    ),
                )
            self.out.refs[node] = ParamRef(name)
            self.out.params_used.add(name)
            return self.scope.params[name]
        self.out.refs[node] = FieldRef(None, node.parts)
        self.out.field_paths.add(node.text)
        return self.walk(node, TypeInfo("model", model=self.scope.subject), 0)

    def walk(self, node: ast.Path, start: TypeInfo, first: int) -> TypeInfo:
        current = start
        for i in range(first, len(node.parts)):
            name = node.parts[i]
            offset = node.part_starts[i]
            if current.kind == "list":
                prev = ".".join(node.parts[:i])
                raise ConditionTypeError(
                    f"`{prev}` is a list, so `.{name}` has no single value",
                    self.source,
                    offset,
                    offset + len(name),
                    hint=f"use a quantifier, e.g. count({prev}, x -> x.{name} ...)",
                )
            if current.kind != "model" or current.model is None:
                prev = ".".join(node.parts[:i])
                raise UnknownFieldError(
                    f"`{prev}` is a {current.describe()} and has no fields",
                    self.source,
                    offset,
                    offset + len(name),
                )
            fields = current.model.model_fields
            if name not in fields:
                candidates = [f for f in fields if f != "kind"]
                if i == 0:
                    candidates = [*candidates, *RESERVED_ROOTS]
                suggestion = did_you_mean(name, candidates)
                where = current.model.__name__
                raise UnknownFieldError(
                    f"{where} has no field `{name}`",
                    self.source,
                    offset,
                    offset + len(name),
                    hint=f"did you mean `{suggestion}`?"
                    if suggestion
                    else f"its fields are: {', '.join(candidates)}",
                )
            current = field_type_info(fields[name].annotation)
        return current

    def compare(self, node: ast.Compare, env: dict[str, TypeInfo]) -> TypeInfo:
        left = self.visit(node.left, env)
        right = self.visit(node.right, env)
        for side, kind in ((node.left, left), (node.right, right)):
            if kind.kind in ("list", "model"):
                raise ConditionTypeError(
                    f"cannot compare a {kind.describe()}",
                    self.source,
                    side.start,
                    side.end,
                    hint="compare one of its fields, or use count(...)/len(...)",
                )
        if not same_kind(left, right):
            raise ConditionTypeError(
                f"cannot compare a {left.kind} with a {right.kind}",
                self.source,
                node.start,
                node.end,
                hint='write dates as date("2022-09-27")' if "date" in (left.kind, right.kind) else None,
            )
        if node.op in ("<", "<=", ">", ">="):
            for side, kind in ((node.left, left), (node.right, right)):
                if kind.kind not in ("number", "date", "any"):
                    raise ConditionTypeError(
                        f"`{node.op}` orders numbers or dates, not a {kind.kind}",
                        self.source,
                        side.start,
                        side.end,
                    )
        self.choices(left, node.right)
        self.choices(right, node.left)
        return BOOL

    def choices(self, kind: TypeInfo, other: ast.Node) -> None:
        """A string literal compared with an enumerated field must be one of its codes."""
        if not kind.choices:
            return
        literals = other.items if isinstance(other, ast.ListLit) else (other,)
        for lit in literals:
            if isinstance(lit, ast.String) and lit.value not in kind.choices:
                suggestion = did_you_mean(lit.value, kind.choices)
                if suggestion is None and kind.enum is not None:
                    # Chinese label written instead of the code?
                    labels = getattr(kind.enum, "__labels__", {})
                    for code, zh in labels.items():
                        if zh == lit.value:
                            suggestion = code
                raise ConditionTypeError(
                    f'"{lit.value}" is not a possible value here',
                    self.source,
                    lit.start,
                    lit.end,
                    hint=(
                        f'did you mean "{suggestion}"?'
                        if suggestion
                        else "possible values: " + ", ".join(f'"{c}"' for c in kind.choices)
                    ),
                )

    def in_(self, node: ast.In, env: dict[str, TypeInfo]) -> TypeInfo:
        item = self.visit(node.item, env)
        container = self.visit(node.container, env)
        if container.kind == "string" and item.kind in ("string", "any"):
            return BOOL  # substring test
        if container.kind not in ("list", "any"):
            raise ConditionTypeError(
                f"`in` needs a list on its right, but this is a {container.describe()}",
                self.source,
                node.container.start,
                node.container.end,
                hint='write a list: x in ["a", "b"]',
            )
        element = container.item or ANY
        if not same_kind(item, element):
            raise ConditionTypeError(
                f"looking for a {item.kind} in a list of {element.describe()}",
                self.source,
                node.start,
                node.end,
            )
        self.choices(item, node.container)
        return BOOL
