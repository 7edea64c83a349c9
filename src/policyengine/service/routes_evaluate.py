"""``/api/v1/evaluate``, ``/api/v1/evaluate/events`` and ``/api/v1/monitor``: one record (with
its events) against packs, recorded in the history; monitors over an uploaded event log."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from pydantic.json_schema import SkipJsonSchema

from ..errors import Location, PolicyEngineError, Problem, RecordError
from ..evaluate.engine import Engine
from ..evaluate.report import Report
from ..evaluate.subject import evaluate_with_events
from ..models import validate_record
from ..models.base import Subject
from ..models.events import Event, parse_events
from ..monitor.api import Monitor
from ..monitor.events import read_events
from ..monitor.render import NO_START, MonitorResult
from ..outcomes import Verdict
from .auth import Assessor, Viewer, check_history_scope, check_scope
from .limits import EVENT_SUFFIXES, save_upload
from .problems import ProblemError
from .responses import PROBLEMS, JsonBody
from .schemas import MAX_PACKS, Day, EvaluateRequest, EvaluationResult, EventsEvaluateRequest, MonitorResponse
from .tokens import Principal

router = APIRouter(prefix="/api/v1", tags=["evaluate"])


def _subject(engine: Engine, record: dict[str, Any], kind: str | None) -> Subject:
    try:
        subject = validate_record(record, engine.subjects, kind=kind)
    except RecordError as exc:
        raise ProblemError.of(exc, root="/record") from None
    if not subject.id:
        raise ProblemError(
            "invalid-record",
            "a record needs an `id` to be kept in the history",
            [
                Problem(
                    "记录缺少编号 `id`,无法存入评估记录 / the record has no id",
                    Location(None, path="id"),
                    "give the record its id (the station's or project's code)",
                    "record",
                )
            ],
            root="/record",
        )
    return subject


def _recorded(
    request: Request,
    generation: int,
    report: Report,
    record: dict[str, Any],
    who: Principal,
    region: Any,
    lang: str,
) -> JsonBody:
    """Keep the evaluation in the history; the answer, with the packs' generation it was made with."""
    history = request.app.state.service.history
    done = history.record(report, record=record, region=region, source="api", recorded_by=who.name)
    verdict: Verdict = report.verdict
    body = {
        "evaluation_id": done.evaluation_id,
        "verdict_label": verdict.label(lang),
        "rectification": {**done.moves.to_dict(), "ledger": done.ledger},
        "report": report.to_dict(),
    }
    headers = {"Location": f"/api/v1/evaluations/{done.evaluation_id}", "X-Pack-Generation": str(generation)}
    return JsonBody(body, headers=headers)


@router.post(
    "/evaluate",
    response_model=EvaluationResult,
    response_class=JsonBody,
    responses=PROBLEMS,
    summary="evaluate one record; the evaluation is kept in the history",
)
def evaluate(body: EvaluateRequest, request: Request, who: Assessor) -> JsonBody:
    catalog = request.app.state.service.catalogs.current
    engine = catalog.engine(body.packs, body.ignore_scope)
    subject = _subject(engine, body.record, body.kind)
    region = check_scope(who, subject)
    check_history_scope(who, request.app.state.service.history, subject.kind_name, subject.id)
    report = engine.evaluate(subject, as_of=body.as_of or date.today(), trace=body.trace)
    return _recorded(request, catalog.generation, report, body.record, who, region, body.lang)


def _events(items: list[dict[str, Any]]) -> list[Event]:
    try:
        return parse_events(items, "events")
    except RecordError as exc:
        problems = []
        for p in exc.problems:
            loc = p.location
            n = (loc.line or 1) - 1 if loc else 0
            path = f"events[{n}]" + (f".{loc.path}" if loc and loc.path else "")
            problems.append(
                Problem(p.message, Location("events", loc.line if loc else None, path=path), p.hint, p.code)
            )
        raise ProblemError("invalid-record", problems[0].message if problems else None, problems) from None


@router.post(
    "/evaluate/events",
    response_model=EvaluationResult,
    response_class=JsonBody,
    responses=PROBLEMS,
    summary="evaluate one record with its event log (the packs' monitors too): one report, one verdict",
)
def evaluate_events(body: EventsEvaluateRequest, request: Request, who: Assessor) -> JsonBody:
    catalog = request.app.state.service.catalogs.current
    engine = catalog.engine(body.packs, body.ignore_scope)
    subject = _subject(engine, body.record, body.kind)
    region = check_scope(who, subject)
    check_history_scope(who, request.app.state.service.history, subject.kind_name, subject.id)
    events = _events(body.events)
    try:
        report = evaluate_with_events(
            engine,
            subject,
            events,
            as_of=body.as_of or date.today(),
            start=body.from_,
            trace=body.trace,
            backend="plain",
        )
    except RecordError as exc:
        raise ProblemError.of(exc, root="/record") from None
    return _recorded(request, catalog.generation, report, body.record, who, region, body.lang)


@router.post(
    "/monitor",
    response_model=MonitorResponse,
    response_class=JsonBody,
    responses=PROBLEMS,
    summary="run the packs' monitors over an uploaded event log (.jsonl or .csv)",
)
def monitor(
    request: Request,
    who: Viewer,
    events: Annotated[
        UploadFile, File(description="the event log: .jsonl, or .csv with field names or Chinese titles")
    ],
    packs: Annotated[list[str], Form(min_length=1, max_length=MAX_PACKS, description="pack ids")],
    until: Annotated[
        Day | SkipJsonSchema[None], Form(description="the log is complete through this day")
    ] = None,
    from_: Annotated[
        Day | SkipJsonSchema[None], Form(alias="from", description="the observation window's first day")
    ] = None,
    all_findings: Annotated[bool, Form(alias="all", description="also list passing findings")] = False,
) -> JsonBody:
    catalog = request.app.state.service.catalogs.current
    chosen = [catalog.pack(p) for p in packs]
    with tempfile.TemporaryDirectory(prefix="pe-monitor-") as tmp:
        path, name = save_upload(events, Path(tmp) / "events", EVENT_SUFFIXES, "the event log")
        try:
            log = read_events(path)
            run = Monitor(chosen, backend="plain")
            run.feed(log, name)
            if until:
                run.advance(until)
            if from_:
                run.observe(from_)
            start, end = run.window()
            result = MonitorResult.of("plain", end, len(log), run.findings(), all_findings, start)
        except PolicyEngineError as exc:
            raise ProblemError.of(exc, files={str(path): name, path.name: name}) from None
    body = result.to_dict()
    body["window_note"] = None if start else dict(NO_START)
    body["counts"] = result.counts
    return JsonBody(body)
