"""What the try-a-rule page shows after an evaluation: the verdict, each finding with its
message, clause and quote and the decisions that made it (in words), and the record's input
problems by field title."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from ..batch.writers.labels import CJK, finding_message, zh_part
from ..errors import RecordError
from ..evaluate.render import evaluated_text
from ..evaluate.report import Finding, Report
from ..models.introspect import titled_path
from ..outcomes import Outcome
from ..packs.runtime import CompiledRule, Pack
from .i18n import severity_text
from .pack_views import bi
from .try_form import Group, Input, inputs
from .words_trace import TraceLine, trace_lines

#: the order findings are listed in: what failed first
ORDER = {Outcome.FAIL: 0, Outcome.ERROR: 1, Outcome.UNKNOWN: 2, Outcome.PASS: 3, Outcome.NOT_APPLICABLE: 4}


def report_view(
    report: Report, packs: list[Pack], subjects: Mapping[str, type[BaseModel]], lang: str
) -> dict[str, Any]:
    """The verdict and the findings, grouped by pack, in ``lang``."""
    model = subjects.get(report.subject.kind)
    rules = {(p.id, r.id): (p, r) for p in packs for r in p.rules}
    groups = []
    for pack in packs:
        findings = sorted((f for f in report.findings if f.pack == pack.id), key=lambda f: ORDER[f.outcome])
        views = [_finding(f, rules.get((f.pack, f.rule)), model, report, lang) for f in findings]
        scope = next((s for s in report.scope if s.pack == pack.id), None)
        groups.append(
            {
                "title": bi(pack.title, lang),
                "applied": [v for v in views if v["outcome"] != "not_applicable"],
                "not_applicable": [v for v in views if v["outcome"] == "not_applicable"],
                "scope": scope.reason["en" if lang == "en" else "zh"]
                if scope and scope.status.value != "in_scope"
                else None,
                "out_of_scope": bool(scope and scope.status.value == "out_of_scope"),
                "in_effect": pack.in_effect(report.as_of),
            }
        )
    return {
        "verdict": report.verdict.value,
        "verdict_label": report.verdict.label(lang),
        "evaluated": evaluated_text(report, lang),
        "as_of": report.as_of.isoformat(),
        "groups": groups,
    }


def _finding(
    f: Finding, compiled: tuple[Pack, CompiledRule] | None, model: Any, report: Report, lang: str
) -> dict[str, Any]:
    if lang == "en":
        message = f.message.get("en") or f.message["zh"]
    else:
        message = finding_message(f.to_dict(), report.subject.kind)
    trace: list[TraceLine] = []
    if compiled is not None:
        pack, rule = compiled
        trace = trace_lines(f.trace, rule, model, pack, report.as_of, lang)
    return {
        "rule": f.rule,
        "title": f.title.get("en" if lang == "en" else "zh") or f.title["zh"],
        "outcome": f.outcome.value,
        "outcome_label": f.outcome.label(lang),
        "severity": f.severity,
        "severity_label": severity_text(f.severity, lang),
        "message": message,
        "clause": f.citation.clause,
        "document": f.citation.document,
        "quote": f.citation.quote,
        "trace": trace,
    }


def input_problems(
    exc: RecordError, model: type[BaseModel], tree: list[Input | Group], lang: str
) -> list[dict[str, str]]:
    """The record's problems, each by the field's title (and marked on its input)."""
    by_name = {i.name: i for i in inputs(tree)}
    out = []
    for problem in exc.problems:
        path = problem.location.path if problem.location and problem.location.path else ""
        title = titled_path(model, path) if path else ""
        message = problem.message
        if lang == "zh":
            head, sep, _ = message.partition(" / ")
            message = head if sep and CJK.search(head) else zh_part(message)
            if not CJK.search(message):
                message = "无法识别填写的内容,请检查格式"
        field_ = by_name.get(path)
        if field_ is not None:
            field_.error = message
        out.append({"field": title if lang == "zh" else path, "message": message, "target": path})
    return out
