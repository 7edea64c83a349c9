"""The checks a case's expectations go through: one per category of
:class:`~policyengine.testing.spec.Expect`, in :data:`CHECKS`. A category without a check is
an error at import, so an expectation a case states can never be silently ignored."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..evaluate.render import trace_lines
from ..evaluate.report import Report
from ..monitor.findings import MonitorFinding
from ..outcomes import Outcome, Verdict
from .spec import Expect, ExpectScore


@dataclass(frozen=True)
class Observed:
    """What a case produced: the record's report, and the monitors' findings over its events."""

    report: Report | None
    findings: tuple[MonitorFinding, ...] = ()

    @property
    def the_report(self) -> Report:
        assert self.report is not None, "checked at load: record expectations come with a record"
        return self.report


def _check_verdict(expected: str, observed: Observed) -> list[str]:
    report = observed.the_report
    if report.verdict is Verdict(expected):
        return []
    return [f"verdict: expected {expected}, got {report.verdict.value}"]


def _check_rules(expected: dict[str, str], observed: Observed) -> list[str]:
    out = []
    actual = {f.rule: f for f in observed.the_report.findings}
    for rid, want in expected.items():
        finding = actual.get(rid)
        if finding is not None and finding.outcome is Outcome(want):
            continue
        out.append(f"rule {rid}: expected {want}, got {finding.outcome.value if finding else 'no finding'}")
        if finding is not None:
            out.append(f"    message: {finding.message['zh']}")
            out.extend(f"    trace: {t}" for t in trace_lines(finding, "en"))
            if finding.missing:
                out.append(f"    missing: {', '.join(finding.missing)}")
    return out


def _check_scores(expected: dict[str, ExpectScore], observed: Observed) -> list[str]:
    out: list[str] = []
    scores = {s.scorecard: s for s in observed.the_report.scores}
    for cid, want in expected.items():
        got = scores.get(cid)
        if got is None:
            out.append(f"scorecard {cid}: expected a score, got none")
            continue
        grade = got.grade["zh"] if got.grade else None
        wrong = [
            f"scorecard {cid}: expected {name} {w}, got {g}"
            for name, w, g in (("score", want.score, got.score), ("grade", want.grade, grade))
            if w is not None and w != g
        ]
        if want.complete is not None and got.complete is not want.complete:
            wrong.append(f"scorecard {cid}: expected complete={want.complete}, got {got.complete}")
        if wrong:
            out += wrong
            out += [
                f"    {i.dimension}.{i.id}: {i.points}/{i.max_points} ({i.why['en']})" for i in got.indicators
            ]
    return out


def _check_messages(expected: dict[str, str], observed: Observed) -> list[str]:
    actual = {f.rule: f.message["zh"] for f in observed.the_report.findings}
    return [
        f"rule {rid}: message should contain {words!r}, is {actual.get(rid)!r}"
        for rid, words in expected.items()
        if words not in actual.get(rid, "")
    ]


def _check_monitors(expected: dict[str, dict[str, int]], observed: Observed) -> list[str]:
    out = []
    for mid, want in expected.items():
        mine = [f for f in observed.findings if f.monitor == mid]
        got = {o: sum(1 for f in mine if f.outcome.value == o) for o in want}
        if got != want:
            out.append(f"monitor {mid}: expected {dict(want)}, got {got}")
            out += [f"    {f.outcome.value} {f.period or ''} {f.message['zh']}" for f in mine]
    return out


#: One check per category of :class:`Expect`; a category without a check is an import error.
CHECKS: dict[str, Callable[[Any, Observed], list[str]]] = {
    "verdict": _check_verdict,
    "rules": _check_rules,
    "scores": _check_scores,
    "messages": _check_messages,
    "monitors": _check_monitors,
}
if set(CHECKS) != set(Expect.model_fields):  # pragma: no cover - a programming error
    raise ImportError(f"expectations without a check: {set(Expect.model_fields) ^ set(CHECKS)}")
