"""Generated row code, the expressions: one checked condition → Python statements.

The statements compute what the closures of :mod:`policyengine.lang.compiler` compute, in the
same order (so the same absent fields are noted, the same trace entries written, the same
errors raised), with every operand in a local: field paths are inline attribute walks, the
quantifiers' loops are written out, ``and``/``or`` short-circuit by nesting. The generated
function's locals are ``rec``, ``as_of``, ``params``, ``max_steps``, ``steps`` (the rule's step
count), ``m`` (the absent paths noted) and, when traced, ``tr`` (the trace entries).

What it does not express raises :class:`Unsupported`; that rule then runs on its closures.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..lang import ast
from ..lang.checked import AsOfRef, Checked, FieldRef, ParamRef
from ..lang.functions import QUANTIFIERS, Function, parse_iso_date
from .codegen_loops import LOOPS
from .codegen_source import MAX_DEPTH, Source, Unsupported, attr, same_level

__all__ = ["ExprGen", "Source", "Unsupported"]

_LITERALS = (ast.Number, ast.String, ast.Bool)


#: A lambda variable in scope: (the path shown when its fields are absent, its local name).
Scope = dict[str, tuple[str, str]]


class ExprGen:
    """Writes one checked condition into a :class:`Source`, traced or not.

    ``param`` gives the code that reads a parameter (a local bound once in rule code,
    ``params[...]`` in messages, where an absent parameter raises as in the closures)."""

    def __init__(
        self,
        out: Source,
        checked: Checked,
        functions: Mapping[str, Function],
        traced: bool,
        param: Callable[[str], str],
    ) -> None:
        self.out = out
        self.checked = checked
        self.functions = functions
        self.traced = traced
        self._param = param

    def param(self, name: str) -> str:
        code = self._param(name)
        self.out.sure.add(code)
        return code

    def text(self, node: ast.Node) -> str:
        return self.checked.source[node.start : node.end]

    def trace(self, node: ast.Node, op: str, left: str, right: str, result: str, shown: str = "") -> None:
        """A trace entry; ``result`` is the local tested for absence, ``shown`` what is recorded
        otherwise (``result`` itself by default)."""
        self.out.emit(
            f"tr.append(_TE({self.text(node)!r}, {op!r}, {left}, {right}, "
            f"None if {result} is _M else {shown or result}, {node.start}, {node.end}))"
        )

    def value(self, node: ast.Node, lam: bool, scope: Scope) -> str:
        """Emit the statements computing ``node``; return the local (or constant) holding it."""
        code = self._value(node, lam, scope)
        kind = self.checked.types.get(node)
        if (
            self.traced
            and not lam
            and isinstance(node, (ast.Path, ast.Call))
            and kind is not None
            and kind.kind == "bool"
        ):
            self.trace(node, "is", code, "None", code, f"bool({code})")
        return code

    def _value(self, node: ast.Node, lam: bool, scope: Scope) -> str:
        o = self.out
        if isinstance(node, ast.Number):
            return o.const(node.value)
        if isinstance(node, ast.String):
            return o.const(node.value, "s")
        if isinstance(node, ast.Bool):
            return "True" if node.value else "False"
        if isinstance(node, ast.Null):
            return "_M"
        if isinstance(node, ast.Path):
            return self.path(node, scope)
        if isinstance(node, ast.ListLit):
            return self.list_(node, lam, scope)
        if isinstance(node, (ast.Neg, ast.Not)):
            v = self.value(node.operand, lam, scope)
            r = o.fresh()
            op = "-" if isinstance(node, ast.Neg) else "not "
            o.emit(f"{r} = {op}{v}" if v in o.sure else f"{r} = _M if {v} is _M else {op}{v}")
            if v in o.sure:
                o.sure.add(r)
            return r
        if isinstance(node, ast.BoolOp):
            return self.boolop(node, lam, scope)
        if isinstance(node, ast.Arith):
            return self.arith(node, lam, scope)
        if isinstance(node, ast.Compare):
            return self.compare(node, lam, scope)
        if isinstance(node, ast.In):
            return self.in_(node, lam, scope)
        if isinstance(node, ast.Call):
            return self.call(node, lam, scope)
        raise Unsupported(f"cannot generate {type(node).__name__}")

    # -- paths ---------------------------------------------------------------------------

    def path(self, node: ast.Path, scope: Scope) -> str:
        ref = self.checked.refs[node]
        if isinstance(ref, AsOfRef):
            return "as_of"
        if isinstance(ref, ParamRef):
            r = self.out.fresh()
            self.out.emit(f"{r} = {self.param(ref.name)}")
            self.out.sure.add(r)  # a parameter's value (an absent one raises, as in the closures)
            return r
        assert isinstance(ref, FieldRef)
        steps, var = ref.steps, ref.var
        shown = (node.text if var is None else scope[var][0] + "." + ".".join(steps)).rstrip(".")
        base = "rec" if var is None else scope[var][1]
        if not steps:
            return base
        if var is None:
            h, r = self.out.hoist(steps), self.out.fresh()
            with self.out.block(f"if {h} is None:"):
                self.out.emit(f"m.append({shown!r})")
                self.out.emit(f"{r} = _M")
            self.out.emit("else:")
            self.out.emit(f"    {r} = {h}")
            return r
        r = self.walk(base, steps)
        with self.out.block(f"if {r} is None:"):
            self.out.emit(f"m.append({shown!r})")
            self.out.emit(f"{r} = _M")
        return r

    def walk(self, base: str, steps: tuple[str, ...]) -> str:
        """``base.a.b.c`` into a fresh local, stopping at the first None."""
        o = self.out
        r = o.fresh()
        o.emit(f"{r} = {attr(base, steps[0])}")
        depth = o.depth
        for step in steps[1:]:
            o.emit(f"if {r} is not None:")
            o.depth += 1
            o.emit(f"{r} = {attr(r, step)}")
        o.depth = depth
        if depth + len(steps) > MAX_DEPTH:
            raise Unsupported("a field path too long for one Python function")
        return r

    def list_(self, node: ast.ListLit, lam: bool, scope: Scope) -> str:
        if all(isinstance(i, _LITERALS) for i in node.items):
            return self.out.const([i.value for i in node.items], "l")  # type: ignore[attr-defined]
        items = [self.value(i, lam, scope) for i in node.items]
        r = self.out.fresh()
        absent = self.out.absent(*items)
        listed = f"[{', '.join(items)}]"
        self.out.emit(f"{r} = _M if {absent} else {listed}" if absent else f"{r} = {listed}")
        return r

    # -- operators -----------------------------------------------------------------------

    def boolop(self, node: ast.BoolOp, lam: bool, scope: Scope) -> str:
        o = self.out
        is_and = node.op == "and"
        r = o.fresh()
        if self.traced and not lam:  # explanations evaluate every operand
            values = [self.value(p, lam, scope) for p in node.operands]
            decided = " or ".join(f"({v} is not _M and {'not ' if is_and else ''}{v})" for v in values)
            o.emit(f"if {decided}:")
            o.emit(f"    {r} = {not is_and}")
            if o.absent(*values):
                o.emit(f"elif {o.absent(*values)}:")
                o.emit(f"    {r} = _M")
            o.emit("else:")
            o.emit(f"    {r} = {is_and}")
            return r
        stop = "False" if is_and else "True"
        o.emit(f"{r} = {is_and}")
        depth = o.depth
        for i, part in enumerate(node.operands):
            if i:
                o.emit(f"if {r} is not {stop}:")
                o.depth += 1
                if o.depth > MAX_DEPTH:
                    raise Unsupported("too many operands for one Python function")
            v = self.value(part, lam, scope)
            if v not in o.sure:
                o.emit(f"if {v} is _M:")
                o.emit(f"    {r} = _M")
            o.emit(f"{'el' if v not in o.sure else ''}if {'not ' if is_and else ''}{v}:")
            o.emit(f"    {r} = {stop}")
        o.depth = depth
        return r

    def arith(self, node: ast.Arith, lam: bool, scope: Scope) -> str:
        o = self.out
        r = o.fresh()
        o.emit(f"{r} = {self.value(node.first, lam, scope)}")
        for op, operand in node.rest:
            v = self.value(operand, lam, scope)
            o.emit(f"if {v} is _M:")
            o.emit(f"    {r} = _M")
            with o.block(f"elif {r} is not _M:"), o.block("try:", loop=True):
                o.emit(f"{r} = _D({r}) / _D({v})" if op == "/" else f"{r} = {r} {op} {v}")
            o.depth += 1
            if op == "/":
                o.emit("except (_DBZ, _IOP):")
                o.emit("    raise _EE('division by zero') from None")
            o.emit("except ArithmeticError as _x:")
            o.emit("    raise _EE(f'arithmetic failed: {type(_x).__name__}') from None")
            o.depth -= 1
        return r

    def compare(self, node: ast.Compare, lam: bool, scope: Scope) -> str:
        o = self.out
        traced = self.traced and not lam
        left = self.value(node.left, lam, scope)
        r = o.fresh()
        op = node.op
        ref = self.checked.refs.get(node.right) if isinstance(node.right, ast.Path) else None
        if not traced and isinstance(node.right, _LITERALS):
            right = self._value(node.right, lam, scope)
        elif not traced and isinstance(ref, ParamRef):  # read only when the left is present
            right = self.param(ref.name)
        else:
            right = self.value(node.right, lam, scope)
        absent = o.absent(left, right)
        o.emit(f"{r} = _M if {absent} else {left} {op} {right}" if absent else f"{r} = {left} {op} {right}")
        if traced:
            self.trace(node, op, f"_pl({left})", f"_pl({right})", r)
        return r

    def in_(self, node: ast.In, lam: bool, scope: Scope) -> str:
        o = self.out
        item = self.value(node.item, lam, scope)
        box = self.value(node.container, lam, scope)
        op = "not in" if node.negated else "in"
        r = o.fresh()
        absent = o.absent(item, box)
        o.emit(f"{r} = _M if {absent} else {item} {op} {box}" if absent else f"{r} = {item} {op} {box}")
        if self.traced and not lam:
            shown = f"[_pl(_y) for _y in {box}] if isinstance({box}, list) else _pl({box})"
            self.trace(node, op, f"_pl({item})", shown, r)
        return r

    # -- calls ---------------------------------------------------------------------------

    def call(self, node: ast.Call, lam: bool, scope: Scope) -> str:
        o = self.out
        name = node.name
        if name in QUANTIFIERS:
            return self.quantifier(node, lam, scope)
        if name == "exists":
            return self.exists(node, scope)
        if name == "default":
            mark, r = o.fresh("k"), o.fresh()
            o.emit(f"{mark} = len(m)")
            o.emit(f"{r} = {self.value(node.args[0], lam, scope)}")
            with o.block(f"if {r} is _M:"):
                o.emit(f"del m[{mark}:]")
                o.emit(f"{r} = {self.value(node.args[1], lam, scope)}")
            return r
        func = self.functions.get(name)
        if func is None:
            raise Unsupported(f"function `{name}` is not in the pack's function table")
        if name == "date" and isinstance(node.args[0], ast.String):
            return o.const(parse_iso_date(node.args[0].value), "d")
        args = [self.value(a, lam, scope) for a in node.args]
        impl = o.const(func.impl, f"f_{name}_")
        r = o.fresh()
        absent = o.absent(*args)
        if absent:
            o.emit(f"if {absent}:")
            o.emit(f"    {r} = _M")
        with o.block("else:") if absent else same_level():
            with o.block("try:", loop=True):
                o.emit(f"{r} = {impl}({', '.join(args)})")
            o.emit("except _PEE:")
            o.emit("    raise")
            o.emit("except Exception as _x:")
            o.emit(f"    raise _EE({name + '(...) failed: '!r} + str(_x)) from None")
            o.emit(f"if {r} is None:")
            o.emit(f"    {r} = _M")
        return r

    def exists(self, node: ast.Call, scope: Scope) -> str:
        ref = self.checked.refs[node.args[0]]  # type: ignore[index]
        if not isinstance(ref, FieldRef) or not ref.steps:
            return "True"
        t = self.out.hoist(ref.steps) if ref.var is None else self.walk(scope[ref.var][1], ref.steps)
        r = self.out.fresh()
        self.out.emit(f"{r} = {t} is not None")
        self.out.sure.add(r)
        return r

    def quantifier(self, node: ast.Call, lam: bool, scope: Scope) -> str:
        o = self.out
        items = self.value(node.args[0], lam, scope)
        each = node.args[1]
        if not isinstance(each, ast.Lambda):
            raise Unsupported(f"{node.name}(...) without a lambda")
        listed = node.args[0]
        prefix = listed.text + "[]" if isinstance(listed, ast.Path) else each.param
        if isinstance(listed, ast.Path):
            ref = self.checked.refs.get(listed)
            if isinstance(ref, FieldRef) and ref.var is not None:
                prefix = scope[ref.var][0] + "." + ".".join(ref.steps) + "[]"
        x, r = o.fresh("x"), o.fresh()
        inner = {**scope, each.param: (prefix, x)}
        if items not in o.sure:
            o.emit(f"if {items} is _M:")
            o.emit(f"    {r} = _M")
        with o.block("else:") if items not in o.sure else same_level():
            o.emit(f"steps += len({items}) + 1")
            with o.block("if steps > max_steps:"):
                o.emit(
                    "raise _LE(f'evaluation took more than {max_steps} steps "
                    f"(at {node.name}(...) over {{len({items})}} items)')"
                )
            LOOPS[node.name](o, items, x, r, lambda: self.value(each.body, True, inner))
        return r
