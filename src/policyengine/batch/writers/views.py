"""One assessed row as the signed reports show it: every code as its Chinese label, every field
as its title, every rule by its title. Taken from a :class:`~..rows.ResultRow` once, when the
row is written, so the reports keep only what they print."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..._format import format_decimal
from ...outcomes import Outcome, Severity, status_label
from ..rows import QUIET, InputProblem, ResultRow
from .labels import citation_text, field_text, finding_message, humanise, zh_part

#: what a pack's scope status reads as, when a pack did not plainly cover the record
SCOPE_ZH = {"out_of_scope": "不适用本政策", "region_not_stated": "地区未写明"}


@dataclass(frozen=True)
class FindingView:
    """One finding: rule title, outcome and severity codes, the message, where it comes from."""

    rule: str  # the rule's id: XLSX and JUnit name it, the signed reports do not
    title: str
    outcome: str
    severity: str
    message: str
    citation: str
    quote: str | None
    pack: str


@dataclass(frozen=True)
class IndicatorView:
    title: str
    points: str
    max_points: str
    why: str


@dataclass(frozen=True)
class ScoreView:
    title: str
    score: str
    total: str
    grade: str
    complete: bool
    weights_from: str
    indicators: tuple[IndicatorView, ...]


@dataclass
class ErrorView:
    """An input error: where (``社工站 第18行``), the field by its title, what, what to do."""

    where: str
    field: str
    message: str
    hint: str


@dataclass
class RowView:
    """One row: where it was in the input, the subject, the verdict, the findings to show."""

    number: int
    where: str
    id: str
    name: str
    area: str
    kind: str | None
    verdict: str
    rules_evaluated: int | None
    findings: list[FindingView] = field(default_factory=list)
    scores: list[ScoreView] = field(default_factory=list)
    errors: list[ErrorView] = field(default_factory=list)
    scope: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    packs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def verdict_zh(self) -> str:
        return status_label(self.verdict)

    @property
    def label(self) -> str:
        """The subject as a heading names it: 示例1镇社工站(SC0001)."""
        if self.name and self.id:
            return f"{self.name}({self.id})"
        return self.name or self.id or self.where

    def problems(self) -> list[FindingView]:
        """The findings that are neither pass nor not applicable."""
        return [f for f in self.findings if f.outcome not in QUIET]

    def failed(self) -> int:
        """Failed rules that weigh on the verdict (severity 错误)."""
        return sum(f.outcome == Outcome.FAIL and f.severity == Severity.ERROR for f in self.findings)

    def warned(self) -> int:
        """Failed rules of severity 警告 or 提示: shown apart, so that 合规 beside a count of
        failures never reads as a contradiction."""
        return sum(f.outcome == Outcome.FAIL and f.severity != Severity.ERROR for f in self.findings)

    def undecided(self) -> int:
        return sum(f.outcome in (Outcome.UNKNOWN, Outcome.ERROR) for f in self.findings)


def where_zh(sheet: str | None, line: int | None) -> str:
    """``社工站 第18行``, or ``第3行`` for a file without sheets."""
    return f"{sheet} 第{line}行" if sheet else f"第{line}行"


def error_view(e: InputProblem, kind: str | None = None) -> ErrorView:
    """An input error as the signed reports show it: in Chinese, fields by their titles."""
    return ErrorView(
        where_zh(e.sheet, e.row),
        field_text(e.field, kind),
        zh_part(humanise(e.message, kind)),
        zh_part(humanise(e.hint or "", kind)),
    )


def row_view(row: ResultRow, full: bool = False) -> RowView:
    """``row`` as the reports show it: the findings that are neither pass nor not applicable,
    or (``full``, for the per-record report) every finding that applied."""
    rep = (row.report_dict() if full else row.notable) or {}
    subj = rep.get("subject", {})
    kind = subj.get("kind")
    titles = {f["rule"]: f["title"]["zh"] for f in rep.get("findings", [])}
    findings = [
        _finding_view(f, kind) for f in rep.get("findings", []) if f["outcome"] != Outcome.NOT_APPLICABLE
    ]
    return RowView(
        number=row.index + 1,
        where=where_zh(row.sheet, row.line),
        id=str(subj.get("id") or row.record_id or ""),
        name=str(subj.get("name") or row.record_name or ""),
        area=row.area or "",
        kind=kind,
        verdict=row.verdict,
        rules_evaluated=rep.get("rules_evaluated"),
        findings=findings,
        scores=[_score_view(s, kind, titles) for s in rep.get("scores", [])],
        errors=[error_view(e, kind) for e in row.errors],
        scope=[
            f"{SCOPE_ZH[s['status']]}:{_pack_title(rep, s['pack'])}({s['reason']['zh']})"
            for s in rep.get("scope", [])
            if s["status"] in SCOPE_ZH
        ],
        counts=dict(rep.get("counts", {})),
        packs=list(rep.get("packs", [])),
    )


def _pack_title(rep: dict[str, Any], pack: str) -> str:
    for p in rep.get("packs", []):
        if p["id"] == pack:
            return str(p["title"]["zh"])
    return pack


def _finding_view(f: dict[str, Any], kind: str | None) -> FindingView:
    title = str(f["title"]["zh"])
    if f.get("period"):
        title = f"{title}({f['period']})"
    return FindingView(
        rule=f"{f['rule']} {f['period']}" if f.get("period") else str(f["rule"]),
        title=title,
        outcome=str(f["outcome"]),
        severity=str(f["severity"]),
        message=finding_message(f, kind),
        citation=citation_text(f["citation"]),
        quote=f["citation"].get("quote"),
        pack=str(f["pack"]),
    )


def _score_view(s: dict[str, Any], kind: str | None, rules: dict[str, str]) -> ScoreView:
    def num(v: Any) -> str:
        return format_decimal(Decimal(str(v)))

    return ScoreView(
        title=str(s["title"]["zh"]),
        score=num(s["score"]),
        total=num(s["total"]),
        grade=(s["grade"] or {}).get("zh", "—"),
        complete=bool(s["complete"]),
        weights_from=str(s["weights_from"]["zh"]),
        indicators=tuple(
            IndicatorView(
                str(i["title"]["zh"]),
                num(i["points"]),
                num(i["max_points"]),
                humanise(str(i["why"]["zh"]), kind, rules),
            )
            for i in s["indicators"]
        ),
    )
