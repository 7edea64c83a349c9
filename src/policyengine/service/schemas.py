"""The API's typed request and response models: what the OpenAPI document is generated from.

The report is :class:`policyengine.evaluate.document.ReportDocument` — the same typed models
``policyengine schema report`` is generated from, field by field the JSON of
:meth:`policyengine.Report.to_dict` — so the OpenAPI document describes the report completely
instead of as ``object``. Responses are built on the fast path (``to_dict``) and not validated
again on the way out; the tests validate the answers for every shipped example against the
schemas in the published OpenAPI document.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.config import JsonDict

from ..evaluate.document import Bilingual, CitationDoc, ReportDocument, SubjectDoc
from ..outcomes import Outcome, Severity, Verdict

Lang = Literal["zh", "en"]


def _iso_day(value: Any) -> Any:
    """Only ``YYYY-MM-DD`` (pydantic would also take 0 as 1970-01-01, or a date and time)."""
    if isinstance(value, str):
        if len(value) != 10 or value[4] != "-" or value[7] != "-":
            raise ValueError("a date must be written YYYY-MM-DD")
        return date.fromisoformat(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    raise ValueError("a date must be written YYYY-MM-DD")


#: a date in a request: exactly YYYY-MM-DD
Day = Annotated[date, BeforeValidator(_iso_day)]
#: the most packs one request may name, and events one JSON request may carry
MAX_PACKS = 20
MAX_EVENTS = 100_000


class _Api(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Request(BaseModel):
    #: strict: a request's ``true`` is a boolean, not 1 or "yes" (what a client sends is what it means)
    model_config = ConfigDict(extra="forbid", strict=True)


class ProblemItem(BaseModel):
    """One thing wrong, where, and what to do: as the command line prints it."""

    code: str
    message: str
    hint: str | None = None
    file: str | None = Field(None, description="the uploaded file's name")
    line: int | None = None
    column: int | None = None
    path: str | None = Field(None, description="a field path inside the record, e.g. staff[0].joined")
    pointer: str | None = Field(None, description="JSON pointer into the request body")


class ProblemDocument(BaseModel):
    """An error, as RFC 9457 describes (``application/problem+json``)."""

    type: str = Field(description="URI of the kind of problem (docs/service.md lists them)")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    problems: list[ProblemItem] = Field(default_factory=list)


class PackStamp(_Api):
    id: str
    version: str
    content_hash: str


class PackSummary(_Api):
    id: str
    version: str
    content_hash: str
    title: Bilingual
    extends: list[str]
    subjects: list[str] = Field(description="the kinds of record its rules check")
    rules: int
    monitors: int
    scorecards: int
    region: dict[str, str] = Field(description="the region it covers (province, city, county)")


class SourceDoc(_Api):
    id: str
    title: Bilingual
    authority: Bilingual | None = None
    number: str | None = Field(None, description="文号")
    published: date | None = None
    url: str | None = None


class CiteDoc(_Api):
    source: str | None
    clause: str
    quote: str | None


class ParameterDoc(_Api):
    name: str
    title: Bilingual
    unit: str | None
    value: Any = Field(description="the value in force on as_of (exact numbers as text); null if none")
    in_force: bool = Field(description="false when no value is in force on as_of")
    cite: CiteDoc | None


class RuleDoc(_Api):
    id: str
    subject: str
    severity: Severity
    title: Bilingual
    when: str | None
    require: str
    citation: CitationDoc


class MonitorDoc(_Api):
    id: str
    kind: str
    severity: Severity
    title: Bilingual
    citation: CitationDoc


class PackDetail(_Api):
    id: str
    version: str
    content_hash: str
    title: Bilingual
    extends: list[str]
    as_of: date = Field(description="the date the parameters are given for")
    sources: list[SourceDoc]
    parameters: list[ParameterDoc]
    rules: list[RuleDoc]
    monitors: list[MonitorDoc]


#: what the OpenAPI document shows as an example request (a Haining station)
EXAMPLE_RECORD: JsonDict = {
    "kind": "station",
    "id": "HN-ZJ-01",
    "name": "示例街道社会工作站",
    "level": "township_station",
    "region": {"province": "浙江省", "city": "嘉兴市", "county": "海宁市"},
    "staff": [{"id": "H1", "certification": "intermediate", "full_time": True, "local": False}],
    "volunteers": {"registered": 40, "regular": 32},
}


class EvaluateRequest(_Request):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"record": EXAMPLE_RECORD, "packs": ["haining"], "as_of": "2023-06-30"}]
        },
    )

    record: dict[str, Any] = Field(
        description="a record with `kind:` (or give `kind`); see `policyengine schema KIND`"
    )
    packs: list[str] = Field(min_length=1, max_length=MAX_PACKS, description="pack ids")
    as_of: Day | None = Field(None, description="evaluation date (default: today)")
    kind: str | None = Field(None, max_length=64, description="the record's kind if it has no `kind:`")
    lang: Lang = Field("zh", description="language of verdict_label and of error documents' texts")
    trace: bool = Field(True, description="false: leave the comparisons out of the findings")
    ignore_scope: bool = Field(False, description="judge a record outside a pack's region by it all the same")


class EventsEvaluateRequest(EvaluateRequest):
    events: list[dict[str, Any]] = Field(max_length=MAX_EVENTS, description="the subject's event log")
    from_: Day | None = Field(None, alias="from", description="the monitors' window start")

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "record": EXAMPLE_RECORD,
                    "packs": ["haining"],
                    "as_of": "2023-12-31",
                    "events": [
                        {"id": "e1", "type": "staff_left", "date": "2023-03-01", "station": "HN-ZJ-01"}
                    ],
                }
            ]
        },
    )


class RectificationMoves(_Api):
    """What recording the evaluation did to the rectification ledger (整改台账)."""

    opened: list[int]
    continued: list[int]
    closed: list[int]
    ledger: bool = Field(
        description="false when a later-dated evaluation of the subject was already recorded"
    )


class EvaluationResult(_Api):
    evaluation_id: int = Field(description="the evaluation's number in the history")
    verdict_label: str = Field(description="the verdict in `lang`: 合规 / compliant …")
    rectification: RectificationMoves
    report: ReportDocument


class FindingOutcome(_Api):
    pack: str
    rule: str
    outcome: Outcome
    severity: str
    origin: str
    period: str | None


class EvaluationDoc(_Api):
    """One evaluation as the history keeps it."""

    id: int
    recorded_at: datetime
    source: str
    recorded_by: str | None
    job_id: str | None
    subject: SubjectDoc
    region: str | None
    as_of: date
    verdict: Verdict
    rules_evaluated: int
    input_hash: str
    input_stored: bool
    packs: list[PackStamp]
    findings: list[FindingOutcome]


class StoredInput(_Api):
    evaluation_id: int
    input: dict[str, Any] = Field(description="the record as stored: personal data masked")


class ItemDoc(_Api):
    """A rectification item (整改事项)."""

    id: int
    subject: SubjectDoc
    region: str | None
    pack: str
    rule: str
    severity: str
    title: Bilingual
    status: Literal["open", "closed"]
    rounds: int = Field(description="evaluations that found the rule failing")
    opened_evaluation_id: int
    last_evaluation_id: int
    closed_evaluation_id: int | None
    opened_on: date
    last_on: date
    closed_on: date | None
    deadline: date | None
    note: str | None
    updated_at: datetime


class ItemPatch(_Request):
    deadline: Day | None = Field(None, description="null clears it")
    note: str | None = Field(None, max_length=2000, description="null clears it")


class TrendRow(_Api):
    quarter: str
    region: str
    kind: str
    subjects: int
    compliant: int
    non_compliant: int
    incomplete: int
    not_assessed: int
    compliance_rate: str | None
    opened: int
    closed: int
    open_at_end: int


class MonitorFindingDoc(_Api):
    pack: str
    monitor: str
    title: Bilingual
    outcome: Outcome
    severity: Severity
    message: Bilingual
    citation: CitationDoc
    events: list[str]
    key: dict[str, str | None]
    period: str | None


class MonitorResponse(_Api):
    backend: str
    from_: date | None = Field(alias="from")
    until: date | None
    window_note: Bilingual | None
    events: int
    counts: dict[str, int]
    findings: list[MonitorFindingDoc]

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class JobProgress(_Api):
    phase: Literal["queued", "assessing", "recording", "done"]
    done: int
    total: int | None


class JobResult(_Api):
    format: str
    url: str
    bytes: int


class JobHistory(_Api):
    recorded: int
    not_recorded: dict[str, int] = Field(description="rows not kept in the history, by reason")


class JobDoc(_Api):
    id: str
    status: Literal["queued", "running", "succeeded", "failed"]
    input: str
    packs: list[str]
    as_of: date
    formats: list[str]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: JobProgress
    results: list[JobResult]
    summary: dict[str, Any] | None = Field(
        description="verdict counts and rules failed most (assess's summary)"
    )
    history: JobHistory | None
    problem: ProblemDocument | None


class ReloadResult(_Api):
    generation: int
    packs: list[PackStamp]
    changed: list[str]
    added: list[str]
    removed: list[str]


class Health(_Api):
    status: Literal["ok"]
    generation: int
    packs: int


class WhoAmI(_Api):
    name: str
    role: Literal["viewer", "assessor", "admin"]
    scope: str | None
