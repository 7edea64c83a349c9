"""A check's page (``/jobs/<id>``): its progress while it runs — the page refreshes itself
without JavaScript (``<noscript>`` meta refresh), ``site.js`` polls ``/jobs/<id>/progress``
instead when it can — then the results: counts by verdict and by district, the clauses failed
most, the input errors, every result file and the per-station PDF reports, and the table of
stations (filtered and sorted on the server, so it works without JavaScript; ``site.js`` sorts
and filters in place). Every figure comes from the job's own summary, the one the API returns
and ``policyengine assess`` prints, so the counts are the command line's.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from ..batch.writers.labels import CJK, humanise, zh_part
from ..outcomes import ROW_STATUSES
from ..service.jobs import FORMATS, MEDIA_TYPES, Job
from ..service.tokens import Principal
from .i18n import language, severity_text
from .pages_jobdata import (
    StationRow,
    note_text,
    recorded_ids,
    station_report_file,
    station_rows,
    verdict_text,
    visible_job,
)
from .pages_ledgers import FORMAT_NAMES, STATUS_NAMES
from .session import WebViewer
from .templating import render

router = APIRouter(include_in_schema=False)

PHASES = {
    "queued": ("排队等候", "waiting in the queue"),
    "starting": ("正在读取台账", "reading the ledger"),
    "assessing": ("正在逐站评估", "assessing the rows"),
    "recording": ("正在记入评估记录", "keeping the results in the history"),
    "done": ("即将完成", "finishing"),
}
NOT_RECORDED = {
    "no_id": ("没有编号", "no id"),
    "out_of_scope": ("不在令牌的地区范围内", "outside the token's region"),
    "invalid": ("无法读取", "unreadable"),
}
SORTS = ("number", "verdict", "area", "id", "name", "failed")


def _progress(job: Job) -> dict[str, Any]:
    progress = job.progress()
    total, done = progress.get("total"), progress.get("done", 0)
    phase = progress.get("phase")
    if job.status == "running" and phase == "queued":  # started, no row assessed yet
        phase = "starting"
    return {
        "status": job.status,
        "phase": phase,
        "done": done,
        "total": total,
        "percent": int(100 * done / total) if total else 0,
    }


@router.get("/jobs/{job_id}/progress")
def job_progress(request: Request, who: WebViewer, job_id: str) -> JSONResponse:
    """The job's progress for ``site.js`` (the page's session, not an API token)."""
    job = visible_job(request, who, job_id)
    lang = language(request)
    data = _progress(job)
    zh, en = PHASES.get(str(data["phase"]), PHASES["queued"])
    data["label"] = en if lang == "en" else zh
    return JSONResponse(data, headers={"Cache-Control": "no-store"})


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(
    request: Request,
    who: WebViewer,
    job_id: str,
    verdict: str = "",
    area: str = "",
    q: str = "",
    sort: str = "number",
) -> Response:
    job = visible_job(request, who, job_id)
    lang = language(request)
    titles = _pack_titles(request, lang)
    common: dict[str, Any] = {"job": job, "pack_titles": titles, "status_names": STATUS_NAMES}
    if job.status in ("queued", "running"):
        return render(request, "job_progress.html", progress=_progress(job), phases=PHASES, **common)
    if job.status == "failed":
        return render(request, "job_failed.html", problems=_problems(job, lang), **common)
    rows = station_rows(job, lang, recorded_ids(request, who, job))
    shown = _filtered(rows, verdict, area, q.strip(), sort if sort in SORTS else "number")
    outcome = job.outcome or {}
    summary = outcome.get("summary") or {}
    counts = summary.get("verdicts", {})
    return render(
        request,
        "job.html",
        summary=summary,
        verdicts=[(s.value, s.label(lang), counts.get(s.value, 0)) for s in ROW_STATUSES],
        areas=_areas(summary, lang),
        top_failed=_rules(request, summary.get("top_failed_rules", []), lang),
        top_unknown=_rules(request, summary.get("top_unknown_rules", []), lang),
        notes=[note_text(n, lang) for n in outcome.get("notes", [])],
        history=outcome.get("history") or {},
        not_recorded=NOT_RECORDED,
        downloads=_downloads(job),
        format_names=FORMAT_NAMES,
        reports=job.station_reports and (job.directory / "stations").is_dir(),
        rows=shown,
        total_rows=len(rows),
        errors=[(r, e) for r in rows for e in r.errors],
        area_names=sorted({r.area for r in rows if r.area}),
        filters={"verdict": verdict, "area": area, "q": q, "sort": sort},
        verdict_text=verdict_text,
        severity=lambda code: severity_text(code, lang),
        ranks={s.value: i for i, s in enumerate(ROW_STATUSES)},
        **common,
    )


def _pack_titles(request: Request, lang: str) -> dict[str, str]:
    packs = request.app.state.service.catalogs.current.packs
    return {i: str(p.title.zh if lang == "zh" else (p.title.en or p.title.zh)) for i, p in packs.items()}


#: problems that stop a job before any row, as a bureau reads them (English message → zh)
KNOWN_ZH = (
    (re.compile(r"^the packs check several kinds"), "所选政策包检查多种记录,请选择台账中记录的类型"),
    (re.compile(r"^the files of .* changed since"), "政策包在加载后被修改,请管理员重新加载后再提交"),
    (re.compile(r"^unknown kind"), "所选政策包不检查这种记录,请核对记录类型"),
    (
        re.compile(r"a mapping file is|mapping file|^YAML syntax"),
        "表头映射文件无法读取:应为每行“台账表头: 字段”,第二张表写成“工作表: {台账表头: 字段}”",
    ),
)
_TAIL_ZH = re.compile(r"[((]([^()()]*[\u4e00-\u9fff][^()()]*)[))]\s*$")
_DID_YOU_MEAN = re.compile(r"did you mean `([^`]+)`\?")


def zh_problem(message: str, hint: str) -> tuple[str, str]:
    """A job's problem in zh: the Chinese half of a bilingual message, a known message in
    words, a "did you mean" as 是否应为; an English-only hint (a command-line option) is left out."""
    tail = _TAIL_ZH.search(message)
    text = humanise(zh_part(message))
    if tail:
        text = tail.group(1)
    for pattern, words in KNOWN_ZH:
        if pattern.search(message):
            text = words
    if not CJK.search(text):
        text = "台账无法读取,请核对文件格式和所选政策包"
    near = _DID_YOU_MEAN.search(hint)
    said = f"是否应为“{near.group(1)}”?" if near else (humanise(zh_part(hint)) if CJK.search(hint) else "")
    return text, said


def _problems(job: Job, lang: str) -> list[dict[str, Any]]:
    """A failed job's problems, with the service's own paths shown as the files' names."""
    out = []
    mapping = "表头映射文件" if lang == "zh" else "the mapping file"
    own = {str(m): mapping for m in job.directory.glob("mapping.*")} | {job.spec_input: job.input_name}
    for p in (job.outcome or {}).get("problems", []):
        message, hint = str(p.get("message", "")), str(p.get("hint") or "")
        for path, name in own.items():
            message, hint = message.replace(path, name), hint.replace(path, name)
        message = message.replace(f"{job.directory}/", "")  # nothing of the server's layout
        if lang == "zh":
            message, hint = zh_problem(message, hint)
        given = str(p.get("file") or "")
        sheet = own.get(given, given) if given and given != job.spec_input else None
        where = {"sheet": sheet, "line": p.get("line"), "column": p.get("column")}
        out.append({"message": message, "hint": hint, **where})
    return out


def _areas(summary: dict[str, Any], lang: str) -> list[tuple[str, list[int], int]]:
    """Per district: the count of each verdict (in :data:`ROW_STATUSES` order) and the total."""
    out = []
    for area, counts in summary.get("by_area", {}).items():
        name = area if not (lang == "en" and area == "(未填地区)") else "(no district)"
        if lang == "zh" and area == "(未填地区)":
            name = "(未填地区)"
        row = [int(counts.get(s.value, 0)) for s in ROW_STATUSES]
        out.append((name, row, sum(row)))
    return out


def _rules(request: Request, rules: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    catalog = request.app.state.service.catalogs.current
    out = []
    for r in rules:
        title = r.get("title") or r["rule"]
        pack = catalog.packs.get(r["pack"])
        if lang == "en" and pack is not None:
            for rule in pack.rules:
                if rule.rule.id == r["rule"]:
                    title = rule.titles["en"]
        document = r.get("document") or ""
        where = " ".join(p for p in (document, r.get("clause") or "") if p)
        out.append({**r, "title": title, "where": where})
    return out


def _downloads(job: Job) -> list[tuple[str, int]]:
    return [(f, path.stat().st_size) for f in FORMATS if (path := job.result_path(f)) is not None]


def _filtered(rows: list[StationRow], verdict: str, area: str, q: str, sort: str) -> list[StationRow]:
    shown = [
        r
        for r in rows
        if (not verdict or r.verdict == verdict)
        and (not area or r.area == area)
        and (not q or q in r.id or q in r.name)
    ]
    order = {s.value: i for i, s in enumerate(ROW_STATUSES)}
    keys: dict[str, Any] = {
        "number": lambda r: r.number,
        "verdict": lambda r: (order.get(r.verdict, 9), r.number),
        "area": lambda r: (r.area, r.number),
        "id": lambda r: (r.id, r.number),
        "name": lambda r: (r.name, r.number),
        "failed": lambda r: (-len(r.failed), r.number),
    }
    return sorted(shown, key=keys[sort])


@router.get("/jobs/{job_id}/files/{fmt}")
def download(request: Request, who: WebViewer, job_id: str, fmt: str) -> FileResponse:
    job = visible_job(request, who, job_id)
    path = job.result_path(fmt) if fmt in FORMATS else None
    if path is None:
        raise HTTPException(404, "no such file")
    stem = job.input_name.rsplit(".", 1)[0]
    return FileResponse(path, media_type=MEDIA_TYPES[fmt], filename=f"{stem}-结果.{fmt}")


def _allowed_numbers(request: Request, who: Principal, job: Job) -> set[int]:
    allowed = recorded_ids(request, who, job)
    return {r.number for r in station_rows(job, "zh", allowed) if r.linked}


@router.get("/jobs/{job_id}/reports/{number}.pdf")
def station_pdf(request: Request, who: WebViewer, job_id: str, number: int) -> FileResponse:
    """One station's signed report (a scoped token: only the stations of its region)."""
    job = visible_job(request, who, job_id)
    path = station_report_file(job, number)
    if path is None or number not in _allowed_numbers(request, who, job):
        raise HTTPException(404, "no such report")
    return FileResponse(path, media_type="application/pdf", filename=path.name)


@router.get("/jobs/{job_id}/reports.zip")
def station_zip(request: Request, who: WebViewer, job_id: str) -> Response:
    """Every station's report this token may see, in one zip file."""
    job = visible_job(request, who, job_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for number in sorted(_allowed_numbers(request, who, job)):
            path = station_report_file(job, number)
            if path is not None:
                archive.write(path, path.name)
    stem = job.input_name.rsplit(".", 1)[0]
    from urllib.parse import quote

    name = quote(f"{stem}-站点报告.zip")
    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{name}"}
    return Response(buffer.getvalue(), media_type="application/zip", headers=headers)
