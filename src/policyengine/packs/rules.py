"""The ``rules:`` section: each rule's conditions and messages compiled for its subject."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel

from ..errors import Problem, did_you_mean
from ..lang import Scope
from ..lang.functions import Function
from ..models.introspect import TypeInfo
from .citations import check_cite, citation
from .expressions import compile_expr, compile_template
from .merge import Merged
from .reading import PackSourceFile
from .runtime import CompiledRule, Template
from .schema import Rule


def compile_rules(
    merged: Merged,
    subjects: Mapping[str, type[BaseModel]],
    functions: Mapping[str, Function],
    param_types: Mapping[str, TypeInfo],
) -> list[CompiledRule]:
    """Every rule that compiles; the problems of the others go to ``merged.problems``."""
    out: list[CompiledRule] = []
    for rule, src, i in merged.rules.values():
        compiled = _compile_rule(merged, rule, src, i, subjects, functions, param_types)
        if compiled is not None:
            out.append(compiled)
    return out


def _compile_rule(
    merged: Merged,
    rule: Rule,
    src: PackSourceFile,
    i: int,
    subjects: Mapping[str, type[BaseModel]],
    functions: Mapping[str, Function],
    param_types: Mapping[str, TypeInfo],
) -> CompiledRule | None:
    problems = merged.problems
    base = ("rules", i)
    model = subjects.get(rule.subject)
    if model is None:
        suggestion = did_you_mean(rule.subject, subjects)
        problems.append(
            Problem(
                f"unknown subject `{rule.subject}`",
                src.location((*base, "subject"), value=True),
                f"did you mean `{suggestion}`?"
                if suggestion
                else f"use one of {', '.join(sorted(subjects))}",
                "unknown-subject",
            )
        )
        return None
    problems.extend(check_cite(rule.cite, src, (*base, "cite"), merged.sources))
    scope = Scope(model, param_types, functions)
    when = compile_expr(rule.when, scope, src, (*base, "when"), problems) if rule.when else None
    require = compile_expr(rule.require, scope, src, (*base, "require"), problems)
    units = {name: p.unit for name, (p, _, _) in merged.params.items()}
    message = _messages(rule, src, i, scope, problems, units)
    if require is None or (rule.when and when is None) or len(message) < 2:
        return None
    cite = citation(rule.cite, src, merged.sources)
    source = merged.sources.get(cite.source_id or "")
    return CompiledRule(
        pack_id=merged.pack_id,
        rule=rule,
        source=source[0] if source else None,
        when=when,
        require=require,
        message=message,
        origin=src.path,
        citation=cite,
    )


def _messages(
    rule: Rule,
    src: PackSourceFile,
    i: int,
    scope: Scope,
    problems: list[Problem],
    units: Mapping[str, str | None],
) -> dict[str, Template]:
    """The zh and en message templates; without English text the Chinese serves both."""
    base = ("rules", i)
    message: dict[str, Template] = {}
    is_map = isinstance(src.data["rules"][i].get("message"), dict)
    for lang in ("zh", "en"):
        text = getattr(rule.message, lang)
        if text is None:
            continue
        loc = (*base, "message", lang) if is_map else (*base, "message")
        tpl = compile_template(text, scope, src, loc, problems, units)
        if tpl is not None:
            message[lang] = tpl
    if "zh" in message and "en" not in message and rule.message.en is None:
        message["en"] = message["zh"]
    return message
