"""Findings and reports, and their stable JSON shape.

The shape of :meth:`Report.to_dict` is documented in ``docs/embedding.md`` and versioned by
its ``schema`` key; fields are only ever added within a version.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from ..lang.runtime import MISSING, TraceEntry
from ..outcomes import Citation, Outcome, Verdict
from .scope import PackScope

__all__ = [  # Citation, Outcome and Verdict live in policyengine.outcomes; also importable here
    "REPORT_SCHEMA",
    "Citation",
    "Finding",
    "IndicatorScore",
    "Monitoring",
    "Outcome",
    "PackRef",
    "Report",
    "Score",
    "SubjectRef",
    "Verdict",
    "jsonable",
    "trace_from_dict",
    "trace_to_dict",
]

REPORT_SCHEMA = "policyengine.report/2"


@dataclass(frozen=True)
class Finding:
    """One rule's conclusion about one subject, and why."""

    pack: str
    rule: str
    title: Mapping[str, str]
    outcome: Outcome
    severity: str
    message: Mapping[str, str]
    citation: Citation
    trace: tuple[TraceEntry, ...] = ()
    missing: tuple[str, ...] = ()
    error: str | None = None
    #: what concluded it: a pack ``rule`` over the record, a ``monitor`` over the subject's
    #: events (``evaluate --events``), or a ``correlation`` across the records of one batch
    origin: str = "rule"
    #: a monitor finding's calendar period (``2023-01``, ``2023-Q1``), when it judges one
    period: str | None = None
    #: the event ids a monitor finding rests on
    events: tuple[str, ...] = ()
    #: the other records a correlation finding names (their ids)
    related: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "pack": self.pack,
            "rule": self.rule,
            "title": dict(self.title),
            "outcome": self.outcome.value,
            "severity": self.severity,
            "message": dict(self.message),
            "citation": self.citation.to_dict(),
            "trace": [trace_to_dict(t) for t in self.trace],
            "missing": list(self.missing),
            "error": self.error,
            "origin": self.origin,
            "period": self.period,
            "events": list(self.events),
            "related": list(self.related),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Finding:
        """The inverse of :meth:`to_dict`."""
        c = d["citation"]
        return cls(
            pack=d["pack"],
            rule=d["rule"],
            title=dict(d["title"]),
            outcome=Outcome(d["outcome"]),
            severity=d["severity"],
            message=dict(d["message"]),
            citation=Citation(c["source"], c["document"], c["clause"], c["quote"]),
            trace=tuple(trace_from_dict(t) for t in d["trace"]),
            missing=tuple(d["missing"]),
            error=d["error"],
            origin=d.get("origin", "rule"),
            period=d.get("period"),
            events=tuple(d.get("events", ())),
            related=tuple(d.get("related", ())),
        )


def trace_to_dict(entry: TraceEntry) -> dict[str, Any]:
    return {
        "text": entry.text,
        "op": entry.op,
        "left": jsonable(entry.left),
        "right": jsonable(entry.right),
        "result": entry.result,
    }


def trace_from_dict(d: Mapping[str, Any]) -> TraceEntry:
    """A trace entry read back from JSON: its values as JSON gives them (numbers as exact
    decimal text), which :func:`trace_to_dict` writes back unchanged. The position in the
    condition's source is not part of the JSON shape; it comes back as 0..len(text)."""
    text = d["text"]
    return TraceEntry(text, d["op"], _from_json(d["left"]), _from_json(d["right"]), d["result"], 0, len(text))


class _JsonObject(dict[str, Any]):
    """A JSON object read back from a trace (a model as ``model_dump`` gave it): a plain dict
    to read, that :func:`jsonable` writes back as it was."""

    def model_dump(self, **_: Any) -> dict[str, Any]:
        return dict(self)


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        return _JsonObject(value)
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def jsonable(value: Any) -> Any:
    """A value as it appears in JSON: numbers as strings keep Decimal exact."""
    if value is MISSING or value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        from .._format import format_decimal

        return format_decimal(value)
    if isinstance(value, (int, str)):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=True)
    return str(value)


@dataclass(frozen=True)
class SubjectRef:
    kind: str
    id: str | None
    name: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "name": self.name}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SubjectRef:
        return cls(d["kind"], d["id"], d["name"])

    def label(self) -> str:
        return self.name or self.id or self.kind


@dataclass(frozen=True)
class PackRef:
    id: str
    version: str
    content_hash: str
    title: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "content_hash": self.content_hash,
            "title": dict(self.title),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PackRef:
        return cls(d["id"], d["version"], d["content_hash"], dict(d["title"]))


@dataclass(frozen=True)
class IndicatorScore:
    """One indicator of a scorecard: its points and why (computed in ``scoring``)."""

    dimension: str
    id: str
    title: Mapping[str, str]
    points: Decimal
    max_points: Decimal
    status: str  # "scored" | "unknown"
    why: Mapping[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension,
            "indicator": self.id,
            "title": dict(self.title),
            "points": jsonable(self.points),
            "max_points": jsonable(self.max_points),
            "status": self.status,
            "why": dict(self.why),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> IndicatorScore:
        return cls(
            dimension=d["dimension"],
            id=d["indicator"],
            title=dict(d["title"]),
            points=Decimal(d["points"]),
            max_points=Decimal(d["max_points"]),
            status=d["status"],
            why=dict(d["why"]),
        )


@dataclass(frozen=True)
class Score:
    """A scorecard's result for one subject: the total, the grade, each indicator."""

    pack: str
    scorecard: str
    title: Mapping[str, str]
    total: Decimal
    score: Decimal
    grade: Mapping[str, str] | None
    complete: bool
    weights_from: Mapping[str, str]
    indicators: tuple[IndicatorScore, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "pack": self.pack,
            "scorecard": self.scorecard,
            "title": dict(self.title),
            "total": jsonable(self.total),
            "score": jsonable(self.score),
            "grade": dict(self.grade) if self.grade else None,
            "complete": self.complete,
            "weights_from": dict(self.weights_from),
            "indicators": [i.to_dict() for i in self.indicators],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Score:
        return cls(
            pack=d["pack"],
            scorecard=d["scorecard"],
            title=dict(d["title"]),
            total=Decimal(d["total"]),
            score=Decimal(d["score"]),
            grade=dict(d["grade"]) if d["grade"] else None,
            complete=d["complete"],
            weights_from=dict(d["weights_from"]),
            indicators=tuple(IndicatorScore.from_dict(i) for i in d["indicators"]),
        )


@dataclass(frozen=True)
class Monitoring:
    """What the monitors observed when a report combines a record with its events
    (``evaluate --events``): the window, how many of the subject's events, which packs' monitors
    ran (none: nothing to judge yet, or no pack in scope has monitors)."""

    start: date | None
    until: date
    events: int
    packs: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat() if self.start else None,
            "until": self.until.isoformat(),
            "events": self.events,
            "packs": list(self.packs),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Monitoring:
        start = d.get("from")
        return cls(
            date.fromisoformat(start) if start else None,
            date.fromisoformat(d["until"]),
            int(d["events"]),
            tuple(d.get("packs", ())),
        )


@dataclass(frozen=True)
class Report:
    """Everything the packs concluded about one subject on one date."""

    subject: SubjectRef
    packs: tuple[PackRef, ...]
    as_of: date
    findings: tuple[Finding, ...]
    scores: tuple[Any, ...] = ()  # Score (computed by policyengine.evaluate.scoring)
    #: each pack's scope for this record: in scope, out of scope (its rules did not judge it,
    #: unless the engine ignores scope), or judged without a stated region
    scope: tuple[PackScope, ...] = ()
    #: the monitors' window and events, when the report combines the record with its events
    monitoring: Monitoring | None = None

    @property
    def verdict(self) -> Verdict:
        """non_compliant if an error-severity rule failed; else incomplete if any rule is
        unknown or in error; else not_assessed if no rule applied at all (no rule for this kind
        of subject, or every one not applicable: nothing was checked); else compliant. Warnings
        and infos never make a subject non-compliant, but an unknown or errored rule of any
        severity makes it incomplete."""
        if any(f.outcome is Outcome.FAIL and f.severity == "error" for f in self.findings):
            return Verdict.NON_COMPLIANT
        if any(f.outcome in (Outcome.UNKNOWN, Outcome.ERROR) for f in self.findings):
            return Verdict.INCOMPLETE
        if not self.evaluated:
            return Verdict.NOT_ASSESSED
        return Verdict.COMPLIANT

    @property
    def evaluated(self) -> int:
        """How many rules applied to the subject (every finding that is not not_applicable;
        monitor and correlation findings count as rules)."""
        return sum(1 for f in self.findings if f.outcome is not Outcome.NOT_APPLICABLE)

    def counts(self) -> dict[str, int]:
        c = Counter(f.outcome.value for f in self.findings)
        return {o.value: c.get(o.value, 0) for o in Outcome}

    def finding(self, rule: str, pack: str | None = None) -> Finding:
        for f in self.findings:
            if f.rule == rule and (pack is None or f.pack == pack):
                return f
        raise KeyError(rule)

    def outcomes(self) -> dict[str, Outcome]:
        """Rule id → outcome (rule ids qualified by pack when several packs are used)."""
        qualify = len(self.packs) > 1
        return {(f"{f.pack}:{f.rule}" if qualify else f.rule): f.outcome for f in self.findings}

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": REPORT_SCHEMA,
            "subject": self.subject.to_dict(),
            "packs": [p.to_dict() for p in self.packs],
            "as_of": self.as_of.isoformat(),
            "verdict": self.verdict.value,
            "rules_evaluated": self.evaluated,
            "scope": [s.to_dict() for s in self.scope],
            "counts": self.counts(),
            "findings": [f.to_dict() for f in self.findings],
            "scores": [s.to_dict() for s in self.scores],
            "monitoring": self.monitoring.to_dict() if self.monitoring else None,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Report:
        """The inverse of :meth:`to_dict`: ``Report.from_dict(r.to_dict()).to_dict() ==
        r.to_dict()``. ``verdict`` and ``counts`` follow from the findings."""
        return cls(
            subject=SubjectRef.from_dict(d["subject"]),
            packs=tuple(PackRef.from_dict(p) for p in d["packs"]),
            as_of=date.fromisoformat(d["as_of"]),
            findings=tuple(Finding.from_dict(f) for f in d["findings"]),
            scores=tuple(Score.from_dict(s) for s in d.get("scores", ())),
            scope=tuple(PackScope.from_dict(s) for s in d.get("scope", ())),
            monitoring=Monitoring.from_dict(d["monitoring"]) if d.get("monitoring") else None,
        )
