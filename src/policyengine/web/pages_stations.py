"""One station: ``/stations/<job>/<id>`` — its findings in a check, grouped by pack, each with
its outcome, severity, message, the values that decided it in words, and the clause with its
quote; then its history and rectification items. ``/stations/<id>`` — the station as the
decision history has it (its newest evaluation's outcomes, its history and items), the page
the rectification ledger links to.

The job keeps findings without traces (the batch runs untraced, for speed); the page reads
the station's row from the uploaded ledger again and evaluates it traced, and shows a trace
only beside a finding whose outcome it repeats. When the packs changed since the check, the
findings are shown without traces. Everything is limited to the token's region: another
county's station answers 404, as the API's history does.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from ..batch.writers.labels import kind_title
from ..history.queries import EvaluationView, rectification_items, subject_evaluations
from ..service.jobs import Job
from ..service.tokens import Principal
from .i18n import language, severity_text
from .pages_jobdata import (
    error_view_text,
    find_row,
    finding_text,
    outcome_text,
    recorded_ids,
    station_report_file,
    verdict_text,
    visible_job,
)
from .session import WebViewer
from .templating import render
from .words_trace import TraceLine, trace_lines

router = APIRouter(include_in_schema=False)

SOURCES = {
    "batch": ("台账检查", "ledger check"),
    "api": ("接口评估", "API"),
    "cli": ("命令行", "command line"),
}
#: traced re-evaluations kept: (job id, row index) → traces by (pack, rule, period)
_CACHE: OrderedDict[tuple[str, int], dict[tuple[str, str, str | None], list[TraceLine]]] = OrderedDict()
_LOCK = threading.Lock()
CACHE_SIZE = 64


def _traced_report(request: Request, job: Job, index: int, kind: str | None) -> tuple[Any, Any]:
    """The row's report evaluated again with traces, on the packs the job used, and its
    subject's model ((None, None) when the packs changed since, or the row cannot be read)."""
    from ..batch.pipeline import lenient_subject
    from ..batch.readers import Input
    from ..batch.tabular import load_mapping

    spec = json.loads((job.directory / "spec.json").read_text(encoding="utf-8"))
    catalog = request.app.state.service.catalogs.current
    packs = [catalog.packs.get(p) for p in job.packs]
    if any(p is None for p in packs) or [p.content_hash for p in packs] != spec["content_hashes"]:
        return None, None
    engine = catalog.engine(job.packs, bool(spec.get("ignore_scope")))
    kind = spec.get("kind") or kind
    model = engine.subjects.get(kind or "") or next(iter(engine.subjects.values()))
    mapping = load_mapping(Path(spec["mapping"])) if spec.get("mapping") else None
    reader = Input(Path(spec["input"]), model, mapping)
    try:
        for row in reader.rows():
            if row.index == index and row.record is not None:
                subject, _ = lenient_subject(engine, row, kind)
                return engine.evaluate(subject, as_of=job.as_of, trace=True, kind=kind), model
            if row.index > index:
                break
    finally:
        reader.close()
    return None, None


def traces(
    request: Request, job: Job, line: dict[str, Any], lang: str
) -> dict[tuple[str, str, str | None], list[TraceLine]]:
    """The traces in words of the row's findings, by (pack, rule, period)."""
    index = int(line["row"]["index"])
    key = (job.id + lang, index)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    report = line.get("report") or {}
    kind = (report.get("subject") or {}).get("kind")
    said = {(f["pack"], f["rule"], f.get("period")): f["outcome"] for f in report.get("findings", [])}
    out: dict[tuple[str, str, str | None], list[TraceLine]] = {}
    try:
        traced, model = _traced_report(request, job, index, kind)
    except Exception:  # traces are a courtesy: the findings stand without them
        traced, model = None, None
    packs = request.app.state.service.catalogs.current.packs
    for f in traced.findings if traced is not None else ():
        k = (f.pack, f.rule, f.period)
        pack = packs.get(f.pack)
        rule = next((r for r in pack.rules if r.id == f.rule), None) if pack is not None else None
        if said.get(k) == f.outcome.value and f.trace and rule is not None and pack is not None:
            out[k] = trace_lines(f.trace, rule, model, pack, job.as_of, lang)
    with _LOCK:
        _CACHE[key] = out
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return out


def _findings_by_pack(request: Request, job: Job, line: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    report = line.get("report") or {}
    kind = (report.get("subject") or {}).get("kind")
    words = traces(request, job, line, lang)
    order = {"fail": 0, "unknown": 1, "error": 1, "pass": 2, "not_applicable": 3}
    groups = []
    for pack in report.get("packs", []):
        findings = [f for f in report.get("findings", []) if f["pack"] == pack["id"]]
        shown = []
        for f in sorted(findings, key=lambda f: order.get(f["outcome"], 9)):
            shown.append(
                {
                    "title": (f["title"].get(lang) or f["title"]["zh"])
                    + (f"({f['period']})" if f.get("period") else ""),
                    "outcome": f["outcome"],
                    "outcome_text": outcome_text(f["outcome"], lang),
                    "severity_text": severity_text(f["severity"], lang),
                    "message": finding_text(f, kind, lang),
                    "document": f["citation"].get("document") or "",
                    "clause": f["citation"].get("clause") or "",
                    "quote": f["citation"].get("quote"),
                    "trace": words.get((f["pack"], f["rule"], f.get("period")), []),
                }
            )
        title = pack["title"].get(lang) or pack["title"]["zh"]
        groups.append({"title": title, "version": pack["version"], "findings": shown})
    return groups


def _history(request: Request, who: Principal, station_id: str, kind: str | None) -> dict[str, Any]:
    history = request.app.state.service.history
    evaluations = subject_evaluations(history, station_id, kind=kind, scope=who.scope)
    items = rectification_items(history, subject_id=station_id, scope=who.scope)
    jobs = request.app.state.service.jobs
    visible = {
        e.job_id
        for e in evaluations
        if e.job_id
        and (j := jobs.get(e.job_id)) is not None
        and j.visible_to(who.token_id, who.role, who.scope is not None)
    }
    return {
        "evaluations": list(reversed(evaluations)),
        "open_items": [i for i in items if i.status == "open"],
        "closed_items": [i for i in items if i.status != "open"],
        "visible_jobs": visible,
        "sources": SOURCES,
    }


def _labels(lang: str) -> dict[str, Any]:
    return {
        "verdict_text": lambda c: verdict_text(c, lang),
        "outcome_text": lambda c: outcome_text(c, lang),
        "severity_text": lambda c: severity_text(c, lang),
    }


@router.get("/stations/{job_id}/{station_id}", response_class=HTMLResponse)
def station_in_job(request: Request, who: WebViewer, job_id: str, station_id: str) -> Response:
    job = visible_job(request, who, job_id)
    allowed = recorded_ids(request, who, job)
    if allowed is not None and station_id not in allowed:
        raise HTTPException(404, "not in the token's region")
    line = find_row(job, station_id)
    if line is None:
        raise HTTPException(404, "no such station in the job")
    lang = language(request)
    report = line.get("report") or {}
    subject = report.get("subject") or {}
    kind = subject.get("kind")
    number = int(line["row"]["index"]) + 1
    return render(
        request,
        "station.html",
        job=job,
        subject=subject,
        kind_name=kind_title(kind) if lang == "zh" else (kind or ""),
        area=line["row"].get("area") or "",
        verdict=line["verdict"],
        groups=_findings_by_pack(request, job, line, lang),
        input_errors=[error_view_text(e, kind, lang) for e in line.get("errors", [])],
        report_pdf=f"/jobs/{job.id}/reports/{number}.pdf" if station_report_file(job, number) else None,
        latest=None,
        **_history(request, who, station_id, kind),
        **_labels(lang),
    )


def _latest_groups(request: Request, latest: EvaluationView, lang: str) -> list[dict[str, Any]]:
    """The newest evaluation's outcomes by pack, each rule by its title and clause (from the
    packs served now; a rule they no longer have is named as the history holds it)."""
    packs = request.app.state.service.catalogs.current.packs
    groups = []
    for p in latest.packs:
        pack = packs.get(p["id"])
        rules = {r.rule.id: r for r in pack.rules} if pack is not None else {}
        shown = []
        order = {"fail": 0, "unknown": 1, "error": 1, "pass": 2}
        for f in sorted(latest.findings, key=lambda f: order.get(f["outcome"], 9)):
            if f["pack"] != p["id"] or f["outcome"] == "not_applicable":
                continue
            rule = rules.get(f["rule"])
            shown.append(
                {
                    "title": rule.titles[lang] if rule is not None else f["rule"],
                    "outcome": f["outcome"],
                    "outcome_text": outcome_text(f["outcome"], lang),
                    "severity_text": severity_text(f["severity"], lang),
                    "message": "",
                    "document": (rule.citation.document or "") if rule is not None else "",
                    "clause": rule.citation.clause if rule is not None else "",
                    "quote": rule.citation.quote if rule is not None else None,
                    "trace": [],
                }
            )
        title = (pack.title.zh if lang == "zh" else (pack.title.en or pack.title.zh)) if pack else p["id"]
        groups.append({"title": title, "version": p["version"], "findings": shown})
    return groups


@router.get("/stations/{station_id}", response_class=HTMLResponse)
def station(request: Request, who: WebViewer, station_id: str) -> Response:
    """A station as the decision history has it (404 outside the token's region)."""
    lang = language(request)
    hist = _history(request, who, station_id, None)
    if not hist["evaluations"]:
        raise HTTPException(404, "no such station")
    latest: EvaluationView = hist["evaluations"][0]
    return render(
        request,
        "station.html",
        job=None,
        subject={"id": latest.subject_id, "name": latest.subject_name, "kind": latest.subject_kind},
        kind_name=kind_title(latest.subject_kind) if lang == "zh" else latest.subject_kind,
        area=latest.region or "",
        verdict=latest.verdict,
        groups=_latest_groups(request, latest, lang),
        input_errors=[],
        report_pdf=None,
        latest=latest,
        **hist,
        **_labels(lang),
    )
