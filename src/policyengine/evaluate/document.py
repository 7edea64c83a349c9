"""The report's JSON shape (``policyengine.report/2``) as typed models.

:meth:`Report.to_dict` builds the JSON on the fast path; these models describe the same shape
field by field, so that the published JSON Schema (``policyengine schema report``) is generated
from types, never written by hand, and a test holds every report against them. Money and
other exact numbers travel as decimal strings (``"156.3"``), dates as ``YYYY-MM-DD``.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..outcomes import Outcome, Severity, Verdict
from .report import REPORT_SCHEMA

#: An exact number as text: what :func:`policyengine.evaluate.report.jsonable` makes of a Decimal.
DecimalText = Field(pattern=r"^-?\d+(\.\d+)?(E[+-]?\d+)?$", description="exact decimal number, as text")


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(_Doc):
    zh: str = Field(description="中文")
    en: str = Field(description="English")


class CitationDoc(_Doc):
    source: str | None = Field(description="the pack's id for the source document")
    document: str | None = Field(description="the document's title")
    clause: str = Field(description="the clause, as the document numbers it")
    quote: str | None = Field(description="the clause's words")


class TraceDoc(_Doc):
    """One decision of a condition: what was compared, with which values."""

    text: str
    op: str
    left: Any = Field(description="a value as JSON: exact numbers as text, dates as YYYY-MM-DD")
    right: Any
    result: bool | None = Field(description="null when a side was absent")


class FindingDoc(_Doc):
    pack: str
    rule: str
    title: Bilingual
    outcome: Outcome
    severity: Severity
    message: Bilingual
    citation: CitationDoc
    trace: list[TraceDoc]
    missing: list[str] = Field(description="facts the rule needed and the record lacks")
    error: str | None
    origin: Literal["rule", "monitor", "correlation"] = Field(
        "rule",
        description="rule: a pack rule over the record; monitor: a monitor over the subject's "
        "events (evaluate --events); correlation: a check across the records of one batch",
    )
    period: str | None = Field(None, description="a monitor finding's calendar period, e.g. 2023-01")
    events: list[str] = Field(default_factory=list, description="event ids a monitor finding rests on")
    related: list[str] = Field(
        default_factory=list, description="ids of the other records a correlation finding names"
    )


class IndicatorScoreDoc(_Doc):
    dimension: str
    indicator: str
    title: Bilingual
    points: str = DecimalText
    max_points: str = DecimalText
    status: Literal["scored", "unknown"]
    why: Bilingual


class ScoreDoc(_Doc):
    pack: str
    scorecard: str
    title: Bilingual
    total: str = DecimalText
    score: str = DecimalText
    grade: Bilingual | None
    complete: bool = Field(description="false when an indicator lacked data")
    weights_from: Bilingual
    indicators: list[IndicatorScoreDoc]


class SubjectDoc(_Doc):
    kind: str
    id: str | None
    name: str | None


class PackRefDoc(_Doc):
    id: str
    version: str
    content_hash: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    title: dict[str, str]


class ScopeDoc(_Doc):
    """Whether a pack covered the record: out of scope means its rules did not judge it."""

    pack: str
    status: Literal["in_scope", "out_of_scope", "region_not_stated"]
    reason: Bilingual


class MonitoringDoc(_Doc):
    from_: date | None = Field(alias="from", description="the window's first day (null: none)")
    until: date = Field(description="the log is complete through this day (the as-of date)")
    events: int = Field(ge=0, description="events that name the subject")
    packs: list[str] = Field(description="packs whose monitors ran")


class ReportDocument(_Doc):
    """Everything the packs concluded about one subject on one date."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, title=f"policyengine report ({REPORT_SCHEMA})", populate_by_name=True
    )

    schema_: Literal["policyengine.report/2"] = Field(alias="schema")
    subject: SubjectDoc
    packs: list[PackRefDoc]
    as_of: date
    verdict: Verdict
    rules_evaluated: int = Field(
        ge=0, description="rules that applied (0: not_assessed, nothing was checked)"
    )
    scope: list[ScopeDoc] = Field(description="each pack's scope for this record")
    counts: dict[Outcome, int] = Field(description="findings by outcome")
    findings: list[FindingDoc]
    scores: list[ScoreDoc]
    monitoring: MonitoringDoc | None = Field(
        None,
        description="with --events: the monitors' window, the subject's events, packs whose monitors ran",
    )


def report_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a report, generated from :class:`ReportDocument`."""
    schema = ReportDocument.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
