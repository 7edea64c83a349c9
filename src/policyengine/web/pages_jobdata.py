"""What the ledger, job and station pages read: a token's jobs, a job's rows (its ``rows.jsonl``,
the result JSON Lines the job writes for the history), one row's findings with their traces,
and which of a job's subjects lie in the token's region.

A job is visible as the API's ``/api/v1/jobs/{id}`` sees it (its token, or an unscoped admin);
anything else answers 404. A scoped token's station pages are the subjects the job kept in the
history within the token's region (the job keeps only those), so another county's station in
the same upload answers 404 as well.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from sqlalchemy import select

from ..batch.writers.labels import finding_message
from ..batch.writers.views import error_view
from ..history.tables import Evaluation
from ..outcomes import Outcome, status_label
from ..service.jobs import Job
from ..service.tokens import Principal
from .i18n import severity_text


def visible_job(request: Request, who: Principal, job_id: str) -> Job:
    """The job, if this token may see it; else 404 (as if there were none)."""
    job = request.app.state.service.jobs.get(job_id) if len(job_id) == 16 else None
    if job is None or not job.visible_to(who.token_id, who.role, who.scope is not None):
        raise HTTPException(404, "no such job")
    job_checked: Job = job
    return job_checked


def visible_jobs(request: Request, who: Principal) -> list[Job]:
    return [
        j
        for j in request.app.state.service.jobs.listed()
        if j.visible_to(who.token_id, who.role, who.scope is not None)
    ]


def verdict_text(code: str, lang: str) -> str:
    return status_label(code, lang)


def outcome_text(code: str, lang: str) -> str:
    try:
        return Outcome(code).label(lang)
    except ValueError:
        return code


@dataclass
class StationRow:
    """One row of a job's results, as the results table lists it."""

    number: int
    where: str
    area: str
    id: str
    name: str
    verdict: str
    failed: list[str] = field(default_factory=list)
    undecided: int = 0
    errors: list[str] = field(default_factory=list)
    #: whether this token may open the station's page (in its region, kept in the history)
    linked: bool = False


def _lines(job: Job) -> Iterator[dict[str, Any]]:
    path = job.directory / "rows.jsonl"
    if job.status != "succeeded" or not path.is_file():
        return
    with path.open(encoding="utf-8") as fh:
        for text in fh:
            yield json.loads(text)


def recorded_ids(request: Request, who: Principal, job: Job) -> set[str] | None:
    """The subject ids the job kept in the history inside the token's region (None: an
    unscoped token, for which every row with an id is its own)."""
    if who.scope is None:
        return None
    query = select(Evaluation.subject_id).where(Evaluation.job_id == job.id, who.scope.where(Evaluation))
    with request.app.state.service.history.reading() as session:
        return {str(s) for s in session.scalars(query)}


def station_rows(job: Job, lang: str, allowed: set[str] | None) -> list[StationRow]:
    rows = []
    for line in _lines(job):
        row, report = line["row"], line.get("report") or {}
        subject = report.get("subject") or {}
        kind = subject.get("kind")
        findings = report.get("findings", [])
        sid = str(subject.get("id") or "")
        errors = [error_view_text(e, kind, lang) for e in line.get("errors", [])]
        rows.append(
            StationRow(
                number=int(row["index"]) + 1,
                where=_where(row, lang),
                area=str(row.get("area") or ""),
                id=sid,
                name=str(subject.get("name") or ""),
                verdict=str(line["verdict"]),
                failed=[_failed(f, lang) for f in findings if f["outcome"] == "fail"],
                undecided=sum(f["outcome"] in ("unknown", "error") for f in findings),
                errors=errors,
                linked=bool(sid) and (allowed is None or sid in allowed),
            )
        )
    return rows


def _where(row: dict[str, Any], lang: str) -> str:
    sheet, line = row.get("sheet"), row.get("line")
    if lang == "en":
        return f"{sheet}, row {line}" if sheet else f"line {line}"
    return f"{sheet} 第{line}行" if sheet else f"第{line}行"


def _failed(f: dict[str, Any], lang: str) -> str:
    """A failed rule's title, with its severity when it is not an error (合规 may fail a warning)."""
    title = _title(f, lang)
    if f["severity"] == "error":
        return title
    if lang == "zh":
        return f"{title}({severity_text(f['severity'], lang)})"
    return f"{title} ({severity_text(f['severity'], lang)})"


def _title(f: dict[str, Any], lang: str) -> str:
    title = f["title"].get(lang) or f["title"]["zh"]
    return f"{title}({f['period']})" if f.get("period") else str(title)


def error_view_text(e: dict[str, Any], kind: str | None, lang: str) -> str:
    """An input error: where, which column, what is wrong (zh: every field by its title)."""
    from ..batch.rows import InputProblem

    problem = InputProblem(e.get("sheet"), e.get("row"), e.get("field"), e.get("message", ""), e.get("hint"))
    if lang == "en":
        return f"{e.get('sheet') or ''} row {e.get('row')}: {e.get('field') or ''} — {e.get('message', '')}"
    view = error_view(problem, kind)
    return f"{view.where} {view.field}:{view.message}"


def find_row(job: Job, station_id: str) -> dict[str, Any] | None:
    """The first result line about ``station_id`` in the job."""
    for line in _lines(job):
        subject = (line.get("report") or {}).get("subject") or {}
        if str(subject.get("id") or "") == station_id:
            return line
    return None


def finding_text(f: dict[str, Any], kind: str | None, lang: str) -> str:
    """A finding's message: zh with fields by their titles; en as the engine wrote it."""
    if lang == "en":
        return str(f["message"].get("en") or f["message"]["zh"])
    return finding_message(f, kind)


def note_text(note: str, lang: str) -> str:
    """A run's note (``…相差 100 / the 合计 row …``) in the page's language."""
    head, sep, tail = note.partition(" / ")
    if not sep:
        return note
    return tail if lang == "en" else head


def station_report_file(job: Job, number: int) -> Path | None:
    """The per-station PDF of row ``number`` (``0003_编号_名称.pdf``), when the job made them."""
    folder = job.directory / "stations"
    if job.status != "succeeded" or not folder.is_dir():
        return None
    for path in sorted(folder.glob(f"{number:04d}_*.pdf")) + sorted(folder.glob(f"{number:04d}.pdf")):
        return path
    return None
