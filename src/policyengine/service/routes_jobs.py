"""``/api/v1/jobs``: submit a ledger (spreadsheet, CSV or JSON Lines) as a batch job, follow
its progress, download its results in each format asked for."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import PurePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from fastapi.responses import FileResponse
from pydantic.json_schema import SkipJsonSchema

from ..errors import Problem
from .auth import Assessor, Viewer
from .jobs import FORMATS, MEDIA_TYPES, Job
from .limits import LEDGER_SUFFIXES, save_upload
from .problems import ProblemError, document, problem_item
from .responses import PROBLEMS, JsonBody
from .schemas import MAX_PACKS, Day, JobDoc
from .tokens import Principal

router = APIRouter(prefix="/api/v1", tags=["jobs"])

Format = Literal["xlsx", "csv", "jsonl", "html", "xml", "pdf", "docx"]
JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="the job's id")]


def job_doc(job: Job) -> dict[str, Any]:
    outcome = job.outcome or {}
    problem = None
    if "problems" in outcome:
        from ..errors import Location

        items = [
            problem_item(
                Problem(
                    p["message"],
                    Location(p.get("file"), p.get("line"), p.get("column"), path=p.get("path")),
                    p.get("hint"),
                    p.get("code", "error"),
                ),
                files={job.spec_input: job.input_name, PurePath(job.spec_input).name: job.input_name},
            )
            for p in outcome["problems"]
        ]
        slug = "internal" if outcome.get("internal") else "invalid-input"
        problem = document(slug, None, items[0]["message"] if items else None, items)
        problem["instance"] = f"/api/v1/jobs/{job.id}"
    results = []
    for fmt in job.formats:
        path = job.result_path(fmt)
        if path is not None:
            results.append(
                {"format": fmt, "url": f"/api/v1/jobs/{job.id}/results/{fmt}", "bytes": path.stat().st_size}
            )
    return {
        "id": job.id,
        "status": job.status,
        "input": job.input_name,
        "packs": job.packs,
        "as_of": job.as_of.isoformat(),
        "formats": job.formats,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "progress": job.progress(),
        "results": results,
        "summary": outcome.get("summary"),
        "history": outcome.get("history"),
        "problem": problem,
    }


def _iso(when: datetime | None) -> str | None:
    return when.isoformat(timespec="seconds") + "Z" if when else None


def _visible(job: Job | None, who: Principal) -> Job:
    if job is None or not job.visible_to(who.token_id, who.role, who.scope is not None):
        raise ProblemError(
            "not-found",
            "no such job",
            [Problem("no such job (or not one of this token's)", None, None, "not-found")],
        )
    return job


@router.post(
    "/jobs",
    response_model=JobDoc,
    response_class=JsonBody,
    status_code=202,
    responses=PROBLEMS,
    summary="submit a ledger as a batch job (evaluated in the background, every row kept in the history)",
)
def submit(
    request: Request,
    who: Assessor,
    ledger: Annotated[UploadFile, File(description="records: .xlsx .xls .ods .et .csv or .jsonl")],
    packs: Annotated[list[str], Form(min_length=1, max_length=MAX_PACKS, description="pack ids")],
    formats: Annotated[
        list[Format], Form(min_length=1, max_length=len(FORMATS), description="result formats")
    ],
    as_of: Annotated[Day | SkipJsonSchema[None], Form(description="evaluation date (default: today)")] = None,
    kind: Annotated[
        str | SkipJsonSchema[None],
        Form(max_length=64, description="the kind of record (default: the packs' only one)"),
    ] = None,
    ignore_scope: Annotated[bool, Form()] = False,
) -> JsonBody:
    job = create_job(
        request.app.state.service, who, ledger, packs, formats, as_of, kind=kind, ignore_scope=ignore_scope
    )
    return JsonBody(job_doc(job), status_code=202, headers={"Location": f"/api/v1/jobs/{job.id}"})


def create_job(
    service: Any,
    who: Principal,
    ledger: UploadFile,
    packs: Sequence[str],
    formats: Sequence[str],
    as_of: date | None,
    *,
    kind: str | None = None,
    ignore_scope: bool = False,
    mapping: UploadFile | None = None,
    station_reports: bool = False,
    issuer: str | None = None,
    assessor: str | None = None,
) -> Job:
    """Save the upload (and its mapping file) in a new job's directory and queue the job; the
    web page's form submits through here too. ``station_reports``: one PDF per record."""
    catalog = service.catalogs.current
    chosen = [catalog.pack(p) for p in packs]
    job_id, directory = service.jobs.new_directory()
    try:
        path, name = save_upload(ledger, directory / "input", LEDGER_SUFFIXES, "the ledger")
        mapping_path = (
            save_upload(mapping, directory / "mapping", (".yaml", ".yml"), "the mapping")[0]
            if mapping is not None
            else None
        )
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)  # no job: no files left behind
        raise
    job = Job(
        id=job_id,
        owner_id=who.token_id,
        owner=who.name,
        scope=who.scope.text if who.scope else None,
        input_name=name,
        packs=[p.id for p in chosen],
        as_of=as_of or date.today(),
        formats=list(dict.fromkeys(formats)),
        directory=directory,
        spec_input=str(path),
        kind=kind,
        station_reports=station_reports,
    )
    spec = {
        "id": job_id,
        "dir": str(directory),
        "input": str(path),
        "input_name": name,
        "mapping": str(mapping_path) if mapping_path else None,
        "pack_dirs": [str(p.path) for p in chosen],
        "content_hashes": [p.content_hash for p in chosen],
        "formats": job.formats,
        "as_of": job.as_of.isoformat(),
        "kind": kind,
        "ignore_scope": ignore_scope,
        "scope": job.scope,
        "owner": who.name,
        "station_reports": station_reports,
        "issuer": issuer,
        "assessor": assessor,
    }
    service.jobs.submit(job, spec)
    return job


@router.get(
    "/jobs",
    response_model=list[JobDoc],
    response_class=JsonBody,
    responses=PROBLEMS,
    summary="this token's jobs",
)
def list_jobs(request: Request, who: Viewer) -> JsonBody:
    everyone = who.role == "admin" and who.scope is None
    jobs = [j for j in request.app.state.service.jobs.listed() if everyone or j.owner_id == who.token_id]
    return JsonBody([job_doc(j) for j in jobs])


@router.get(
    "/jobs/{job_id}",
    response_model=JobDoc,
    response_class=JsonBody,
    responses=PROBLEMS,
    summary="a job's status and progress",
)
def get_job(request: Request, who: Viewer, job_id: JobId) -> JsonBody:
    return JsonBody(job_doc(_visible(request.app.state.service.jobs.get(job_id), who)))


@router.get(
    "/jobs/{job_id}/results/{fmt}",
    response_class=FileResponse,
    responses={
        **PROBLEMS,
        409: PROBLEMS[404] | {"description": "the job has not succeeded (yet)"},
        200: {"description": "the result file", "content": {m: {} for m in MEDIA_TYPES.values()}},
    },
    summary="download a job's result in one of the formats it was asked for",
)
def download(request: Request, who: Viewer, job_id: JobId, fmt: Format) -> FileResponse:
    job = _visible(request.app.state.service.jobs.get(job_id), who)
    path = job.result_path(fmt)
    if path is None:
        if fmt in job.formats and job.status in ("queued", "running"):
            raise ProblemError(
                "conflict",
                f"the job is {job.status}",
                [Problem(f"job {job.status}", None, "ask again when its status is succeeded", "job")],
            )
        raise ProblemError(
            "not-found",
            f"no {fmt} result",
            [
                Problem(
                    f"no {fmt} result for this job",
                    None,
                    f"it was asked for: {', '.join(job.formats)}",
                    "not-found",
                )
            ],
        )
    return FileResponse(
        path, media_type=MEDIA_TYPES[fmt], filename=f"{job.input_name.rsplit('.', 1)[0]}-result.{fmt}"
    )
