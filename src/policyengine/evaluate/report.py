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

__all__ = [  # Citation, Outcome and Verdict live in policyengine.outcomes; also importable here
    "REPORT_SCHEMA",
    "Citation",
    "Finding",
    "Outcome",
    "PackRef",
    "Report",
    "SubjectRef",
    "Verdict",
    "jsonable",
    "trace_to_dict",
]

REPORT_SCHEMA = "policyengine.report/1"


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
        }


def trace_to_dict(entry: TraceEntry) -> dict[str, Any]:
    return {
        "text": entry.text,
        "op": entry.op,
        "left": jsonable(entry.left),
        "right": jsonable(entry.right),
        "result": entry.result,
    }


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


@dataclass(frozen=True)
class Report:
    """Everything the packs concluded about one subject on one date."""

    subject: SubjectRef
    packs: tuple[PackRef, ...]
    as_of: date
    findings: tuple[Finding, ...]
    scores: tuple[Any, ...] = ()  # policyengine.evaluate.scoring.Score

    @property
    def verdict(self) -> Verdict:
        """non_compliant if an error-severity rule failed; else incomplete if any rule is
        unknown or in error; else compliant. Warnings and infos never make a subject
        non-compliant, but an unknown or errored rule of any severity makes it incomplete."""
        if any(f.outcome is Outcome.FAIL and f.severity == "error" for f in self.findings):
            return Verdict.NON_COMPLIANT
        if any(f.outcome in (Outcome.UNKNOWN, Outcome.ERROR) for f in self.findings):
            return Verdict.INCOMPLETE
        return Verdict.COMPLIANT

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
            "counts": self.counts(),
            "findings": [f.to_dict() for f in self.findings],
            "scores": [s.to_dict() for s in self.scores],
        }
