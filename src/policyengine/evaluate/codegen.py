"""Generated row code: a pack's rules for one kind of subject as ONE Python function.

The closures (:mod:`policyengine.lang.compiler`) stay the reference; the generated function
gives the same findings — outcome, message in zh and en, trace, missing fields, error — by
doing what the engine and the closures do in the same order, written out as statements:
parameters read into locals once, field paths as inline attribute walks, quantifiers as
loops, the `pass` and `not applicable` findings built once (traces off). Parameters are read
from the ``params`` argument, so one function serves every as-of date.

A rule the generator cannot express (:class:`~.codegen_expr.Unsupported`) runs on its
closures from inside the generated function, and :attr:`GeneratedPack.fallbacks` names it
with the reason; nothing is left out silently. ``policyengine pack show ID --format code``
prints the source.
"""

from __future__ import annotations

import linecache
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any

from .._format import format_value
from ..errors import EvaluationError, EvaluationLimitError, PolicyEngineError
from ..lang import Condition, ast
from ..lang.functions import BUILTIN_FUNCTIONS, QUANTIFIERS
from ..lang.runtime import MISSING, TraceEntry, plain
from ..outcomes import Outcome
from ..packs.runtime import CompiledRule, Pack, Template
from .codegen_expr import ExprGen, Source, Unsupported
from .report import Finding

__all__ = ["FindingMakers", "GeneratedPack", "Unsupported", "generate"]

#: The generated function: (record, parameters, as_of, parameters without a value, step limit)
#: → the pack's findings for the record, in rule order.
RunPack = Callable[[Any, Mapping[str, Any], date, Mapping[str, str], int], list[Finding]]


@dataclass(frozen=True)
class FindingMakers:
    """How the engine builds the findings the generated code does not build itself, so both
    executors build them one way (the engine passes its own)."""

    #: rule, outcome, message, trace → a finding
    finding: Callable[[CompiledRule, Outcome, Mapping[str, str], tuple[TraceEntry, ...]], Finding]
    #: rule, absent paths noted, trace, whether for applicability → the `unknown` finding
    unknown: Callable[[CompiledRule, Sequence[str], tuple[TraceEntry, ...], bool], Finding]
    #: rule, exception, trace → the `error` finding
    error: Callable[[CompiledRule, BaseException, tuple[TraceEntry, ...]], Finding]
    #: rule, parameters without a value → the `error` finding, or None if the rule has all
    lacking: Callable[[CompiledRule, Mapping[str, str]], Finding | None]
    #: rule, record, parameters, as_of, parameters without a value, traced → the closures' finding
    closures: Callable[[CompiledRule, Any, Mapping[str, Any], date, Mapping[str, str], bool], Finding]


@dataclass(frozen=True)
class GeneratedPack:
    """One pack's rules for one subject kind, as generated Python."""

    pack: str
    kind: str
    traced: bool
    source: str
    run: RunPack
    #: rule id → why it runs on its closures instead
    fallbacks: Mapping[str, str]
    #: how many rules (findings) it gives: ``pack.rules_for(kind)``, in that order
    rules: int


_RUNTIME: dict[str, Any] = {
    "_M": MISSING,
    "_D": Decimal,
    "_ZERO": Decimal(0),
    "_TE": TraceEntry,
    "_pl": plain,
    "_EE": EvaluationError,
    "_LE": EvaluationLimitError,
    "_PEE": PolicyEngineError,
    "_DBZ": DivisionByZero,
    "_IOP": InvalidOperation,
    "_fmt": format_value,
    "_date": date,
    "_PASS": Outcome.PASS,
    "_FAIL": Outcome.FAIL,
    "_NA": Outcome.NOT_APPLICABLE,
}


def generate(pack: Pack, kind: str, traced: bool, makers: FindingMakers) -> GeneratedPack:
    """Generate and compile the function for ``pack``'s rules of ``kind``. Should CPython
    refuse the whole function (a limit the per-rule checks did not foresee), every rule runs
    on its closures, each named with the reason."""
    try:
        return _generate(pack, kind, traced, makers, None)
    except (SyntaxError, RecursionError, MemoryError, ValueError) as exc:
        reason = f"the generated function did not compile: {type(exc).__name__}: {exc}"
        return _generate(pack, kind, traced, makers, reason)


def _generate(
    pack: Pack, kind: str, traced: bool, makers: FindingMakers, refused: str | None
) -> GeneratedPack:
    rules = pack.rules_for(kind)
    out = Source()
    params: dict[str, str] = {}

    def param(name: str) -> str:
        return params.setdefault(name, f"p_{len(params)}")

    fallbacks: dict[str, str] = {}
    body: list[str] = []
    for i, rule in enumerate(rules):
        out.lines = []
        out.depth, out.blocks = 1, 0
        try:
            if refused is not None:
                raise Unsupported(refused)
            _rule(out, rule, i, traced, param)
        except Unsupported as exc:
            fallbacks[rule.id] = str(exc)
            out.lines = []
            out.depth, out.blocks = 1, 0
            out.names[f"_R{i}"] = rule
            out.emit(f"# rule {rule.id}: runs on its closures ({exc})")
            out.emit(f"f{i} = _closures(_R{i}, rec, params, as_of, absent, {traced})")
        body.extend(out.lines)
    head = [
        f"# generated from pack {pack.id} {pack.version} ({pack.content_hash[:19]}), "
        f"rules for `{kind}`, traces {'on' if traced else 'off'}",
        "def run(rec, params, as_of, absent, max_steps):",
        *(f"    {local} = params.get({name!r})" for name, local in params.items()),
        *out.header,
    ]
    found = ", ".join(f"f{i}" for i in range(len(rules)))
    source = "\n".join([*head, *body, f"    return [{found}]", ""])
    namespace = {**_RUNTIME, **out.names, **_helpers(makers, rules, out.names, traced)}
    filename = f"<policyengine generated {pack.id}:{kind}{':traced' if traced else ''}>"
    exec(compile(source, filename, "exec"), namespace)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return GeneratedPack(pack.id, kind, traced, source, namespace["run"], fallbacks, len(rules))


def _helpers(
    makers: FindingMakers, rules: list[CompiledRule], names: dict[str, Any], traced: bool
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "_closures": makers.closures,
        "_lacking": makers.lacking,
        "_error": makers.error,
        "_finding": makers.finding,
        "_unknown": makers.unknown if traced else _reusing(makers.unknown),
    }
    if not traced:  # the findings that never vary, shared with the closures' fast path
        for i, rule in enumerate(rules):
            pass_ = rule.cached.get("pass") or makers.finding(rule, Outcome.PASS, rule.titles, ())
            found[f"_pass{i}"] = rule.cached.setdefault("pass", pass_)
            if rule.when is not None:
                na = rule.cached.get("na") or makers.finding(
                    rule, Outcome.NOT_APPLICABLE, _na(rule, False), ()
                )
                found[f"_na{i}"] = rule.cached.setdefault("na", na)
    return found


def _reusing(
    unknown: Callable[[CompiledRule, Sequence[str], tuple[TraceEntry, ...], bool], Finding],
) -> Callable[[CompiledRule, Sequence[str], tuple[TraceEntry, ...], bool], Finding]:
    """Traces off, an `unknown` finding depends only on the rule and the paths found absent:
    one finding object for each (as the `pass` finding is shared), built on first use."""
    made: dict[tuple[int, tuple[str, ...], bool], Finding] = {}

    def reuse(
        rule: CompiledRule, noted: Sequence[str], trace: tuple[TraceEntry, ...], applicability: bool
    ) -> Finding:
        key = (id(rule), tuple(noted), applicability)
        found = made.get(key)
        if found is None:
            found = unknown(rule, noted, trace, applicability)
            if len(made) < 10_000:
                made[key] = found
        return found

    return reuse


def _na(rule: CompiledRule, traced: bool) -> dict[str, str]:
    when = rule.when.source if traced and rule.when is not None else rule.rule.when
    return {"zh": "不适用:记录不满足本条的适用条件", "en": f"not applicable: {when}"}


def _rule(out: Source, rule: CompiledRule, i: int, traced: bool, param: Callable[[str], str]) -> None:
    """One rule: the parameter check, ``when``, ``require``, the finding."""
    out.names[f"_R{i}"] = rule
    trace = "tuple(tr)" if traced else "()"
    out.emit(f"# -- rule {rule.id} " + "-" * max(4, 60 - len(rule.id)))
    for label, cond in (("when", rule.when), ("require", rule.require)):
        if cond is not None:
            out.emit(f"# {label}: " + " ".join(cond.source.split()))
    if rule.params_used:
        out.emit(f"if absent and (f{i} := _lacking(_R{i}, absent)) is not None:")
        out.emit("    pass")
        out.emit("else:")
        out.depth += 1
    out.emit("m = []")
    if traced:
        out.emit("tr = []")
    out.emit("steps = 0")
    with out.block("try:", loop=True):
        if rule.when is not None:
            when = ExprGen(out, rule.when.checked, rule.when.functions, traced, param)
            w = when.value(rule.when.checked.root, False, {})
            out.emit(f"if {w} is _M:")
            out.emit(f"    f{i} = _unknown(_R{i}, m, {trace}, True)")
            if traced:
                out.names[f"_na_msg{i}"] = _na(rule, True)
                out.emit(f"elif not {w}:")
                out.emit(f"    f{i} = _finding(_R{i}, _NA, _na_msg{i}, {trace})")
            else:
                out.emit(f"elif not {w}:")
                out.emit(f"    f{i} = _na{i}")
            out.emit("else:")
            out.depth += 1
        _require(out, rule, i, traced, param, trace)
        if rule.when is not None:
            out.depth -= 1
    out.emit("except Exception as _e:")
    out.emit(f"    f{i} = _error(_R{i}, _e, {trace})")


def _require(
    out: Source, rule: CompiledRule, i: int, traced: bool, param: Callable[[str], str], trace: str
) -> None:
    req = rule.require
    r = ExprGen(out, req.checked, req.functions, traced, param).value(req.checked.root, False, {})
    out.emit(f"if {r} is _M:")
    out.emit(f"    f{i} = _unknown(_R{i}, m, {trace}, False)")
    out.emit(f"elif {r}:")
    if traced:
        out.names[f"_titles{i}"] = rule.titles
        out.emit(f"    f{i} = _finding(_R{i}, _PASS, _titles{i}, {trace})")
    else:
        out.emit(f"    f{i} = _pass{i}")
    with out.block("else:"):
        done: dict[str, str] = {}  # placeholder text → the local holding its value (untraced)
        shown = {lang: _message(out, tpl, lang, traced, done) for lang, tpl in rule.message.items()}
        message = ", ".join(f"{lang!r}: {local}" for lang, local in shown.items())
        out.emit(f"f{i} = _finding(_R{i}, _FAIL, {{{message}}}, {trace})")


def _message(out: Source, template: Template, lang: str, traced: bool, done: dict[str, str]) -> str:
    """Statements rendering ``template`` in ``lang`` as :meth:`Template.render` does (an error
    shown as absent; the absent paths it notes are dropped, and a `fail` finding has none);
    returns the local holding the text. A placeholder the other language has shown already is
    not evaluated again when that cannot differ: no trace to write, no loop counting steps,
    only the built-in functions (pure)."""
    kinds = template.kinds or (None,) * len(template.parts)
    pieces: list[str] = []
    for part, kind in zip(template.parts, kinds, strict=True):
        if isinstance(part, str):
            pieces.append(out.const(part, "s"))
            continue
        value = done.get(part.source)
        if value is None:
            value = _placeholder(out, part, traced)
            if not traced and _pure(part):
                done[part.source] = value
        shown = out.fresh("s")
        out.emit(
            f"{shown} = {value} if {value}.__class__ is str else {value}.isoformat() "
            f"if {value}.__class__ is _date else _fmt({value}, {lang!r}, {kind!r})"
        )
        pieces.append(shown)
    text = out.fresh("msg")
    out.emit(f"{text} = ''.join(({', '.join(pieces)}{',' if len(pieces) == 1 else ''}))")
    return text


def _placeholder(out: Source, part: Condition, traced: bool) -> str:
    value = out.fresh("v")
    with out.block("try:", loop=True):
        gen = ExprGen(out, part.checked, part.functions, traced, lambda name: f"params[{name!r}]")
        out.emit(f"{value} = {gen.value(part.checked.root, False, {})}")
    out.emit("except Exception:")
    out.emit(f"    {value} = _M")
    return value


def _builtin(part: Condition, name: str) -> bool:
    return BUILTIN_FUNCTIONS.get(name) is part.functions.get(name) is not None


def _pure(part: Condition) -> bool:
    """Whether evaluating ``part`` twice must give the same value: no quantifier (the second
    run could pass the step limit), no function but the built-in ones."""
    stack: list[ast.Node] = [part.checked.root]
    while stack:
        node = stack.pop()
        name = node.name if isinstance(node, ast.Call) else "exists"
        if name in QUANTIFIERS or (name not in ("exists", "default") and not _builtin(part, name)):
            return False
        stack.extend(ast.children(node))
    return True
