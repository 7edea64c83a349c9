"""检查台账: upload a ledger, choose packs and an as-of date, submit it as a batch job; the
token's recent jobs.

The form submits through :func:`policyengine.service.routes_jobs.create_job`, the function
the API's ``POST /api/v1/jobs`` calls: the same checks of the upload, the same job. Packs whose
region takes in the token's are listed first and checked. An assessor (or admin) may submit; a
viewer sees the page with the form disabled, and a POST from a viewer is refused (403).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..batch.writers.labels import kind_title
from ..history.regions import Region
from ..service.jobs import FORMATS
from ..service.problems import ProblemError
from ..service.tokens import Principal
from .pages_jobdata import visible_jobs
from .session import WebAssessor, WebViewer, check_csrf
from .templating import render

#: result formats for other systems (JSON Lines, JUnit XML): offered, not ticked by default
FOR_SYSTEMS = ("jsonl", "xml")
router = APIRouter(include_in_schema=False)

#: each result format as the form and the downloads name it: (zh, en)
FORMAT_NAMES = {
    "xlsx": ("Excel 表格(.xlsx)", "Excel workbook (.xlsx)"),
    "csv": ("CSV 表格(.csv)", "CSV table (.csv)"),
    "jsonl": ("逐行数据(.jsonl,供系统对接)", "JSON Lines (.jsonl, for other systems)"),
    "html": ("网页报告(.html)", "Web page report (.html)"),
    "xml": ("测试结果(.xml,JUnit 格式,供系统对接)", "JUnit XML (.xml, for other systems)"),
    "pdf": ("PDF 报告(可盖章)", "PDF report (for signing)"),
    "docx": ("Word 报告(.docx)", "Word report (.docx)"),
}
STATUS_NAMES = {
    "queued": ("排队中", "queued"),
    "running": ("进行中", "running"),
    "succeeded": ("已完成", "done"),
    "failed": ("失败", "failed"),
}
MAX_TEXT = 100


@dataclass(frozen=True)
class PackChoice:
    id: str
    title: str
    region: str
    kinds: str
    suggested: bool


def _pack_region(pack: Any) -> Region:
    return Region.of(pack.meta.region or {})


def _takes_in(pack_region: Region, scope_keys: tuple[str, ...]) -> bool:
    """Whether a pack's region holds the token's region (or lies in it): every level both name
    agrees. A pack with no region is national: it does."""
    keys = pack_region.keys
    return all(keys[i] is None or keys[i] == k for i, k in enumerate(scope_keys))


def pack_choices(request: Request, who: Principal, lang: str) -> list[PackChoice]:
    """The served packs, those for the token's region first (checked), then by id."""
    catalog = request.app.state.service.catalogs.current
    out = []
    for pack in catalog.packs.values():
        region = _pack_region(pack)
        place = "".join(n for n in region.names if n) or ("全国" if lang == "zh" else "national")
        subjects = pack.subjects()
        kinds = "、".join(kind_title(k) for k in subjects) if lang == "zh" else ", ".join(subjects)
        suggested = who.scope is not None and _takes_in(region, who.scope.keys)
        title = pack.title.zh if lang == "zh" else (pack.title.en or pack.title.zh)
        out.append(PackChoice(pack.id, str(title), place, kinds, suggested))
    return sorted(out, key=lambda c: (not c.suggested, c.id))


def kind_choices(request: Request, lang: str) -> list[tuple[str, str]]:
    subjects = request.app.state.service.catalogs.current.subjects
    return [(k, kind_title(k) if lang == "zh" else k) for k in sorted(subjects)]


def _recent(request: Request, who: Principal) -> list[Any]:
    return visible_jobs(request, who)[:50]


def _page(request: Request, who: Principal, status_code: int = 200, **form: Any) -> Response:
    from .i18n import language

    lang = language(request)
    values = {
        "packs": form.get("packs"),
        "kind": form.get("kind", "station"),
        "as_of": form.get("as_of", date.today().isoformat()),
        "formats": form.get("formats", [f for f in FORMATS if f not in FOR_SYSTEMS]),
        "station_reports": form.get("station_reports", True),
        "issuer": form.get("issuer", ""),
        "assessor": form.get("assessor", ""),
    }
    choices = pack_choices(request, who, lang)
    if values["packs"] is None:
        values["packs"] = [c.id for c in choices if c.suggested]
    return render(
        request,
        "ledgers.html",
        status_code=status_code,
        can_submit=who.can("assessor"),
        choices=choices,
        pack_titles={c.id: c.title for c in choices},
        kinds=kind_choices(request, lang),
        format_names=FORMAT_NAMES,
        status_names=STATUS_NAMES,
        jobs=_recent(request, who),
        values=values,
        errors=form.get("errors", []),
    )


@router.get("/ledgers", response_class=HTMLResponse)
def ledgers(request: Request, who: WebViewer) -> Response:
    return _page(request, who)


def _form_errors(
    request: Request,
    ledger: UploadFile | None,
    packs: list[str],
    kind: str,
    as_of: str,
    formats: list[str],
) -> tuple[list[tuple[str, str]], date | None]:
    """What is wrong with the form, as (zh, en) messages; and the as-of date read."""
    errors: list[tuple[str, str]] = []
    if ledger is None or not ledger.filename:
        errors.append(("请选择要检查的台账文件。", "Choose the ledger file to check."))
    catalog = request.app.state.service.catalogs.current
    unknown = [p for p in packs if p not in catalog.packs]
    if not packs or unknown:
        errors.append(("请至少选择一个政策包。", "Choose at least one pack."))
    kinds = {k for p in packs if p in catalog.packs for k in catalog.packs[p].subjects()}
    if kind and kind not in catalog.subjects:
        errors.append(("请选择台账中记录的类型。", "Choose the kind of record."))
    elif kind and kinds and kind not in kinds:
        errors.append(
            ("所选政策包不检查这种记录,请核对记录类型。", "The packs do not check this kind of record.")
        )
    suffix = (ledger.filename or "").lower().rsplit(".", 1)[-1] if ledger is not None else ""
    if not kind and len(kinds) > 1 and suffix != "jsonl":
        errors.append(
            ("所选政策包检查多种记录,请选择台账中记录的类型。", "The packs check several kinds: choose one.")
        )
    if not [f for f in formats if f in FORMATS]:
        errors.append(("请至少选择一种结果格式。", "Choose at least one result format."))
    day = None
    try:
        day = date.fromisoformat(as_of) if as_of else date.today()
    except ValueError:
        errors.append(("评估基准日应写作 年-月-日,如 2023-06-30。", "Write the date as YYYY-MM-DD."))
    return errors, day


def _upload_problem(exc: ProblemError) -> tuple[str, str]:
    if exc.slug == "unsupported-media-type":
        return (
            "文件类型不对:台账应为 Excel(.xlsx .xls)、WPS(.et)、ODS、CSV 或 JSONL 文件,映射文件应为 YAML"
            "(.yaml);文件内容须与扩展名一致。",
            f"The file cannot be used: {exc.detail}",
        )
    return ("提交失败,请核对所选政策包和文件后重试。", f"The job could not be submitted: {exc.detail}")


@router.post("/ledgers", response_class=HTMLResponse)
def submit_ledger(
    request: Request,
    who: WebAssessor,
    csrf: Annotated[str, Form()] = "",
    ledger: Annotated[UploadFile | None, File()] = None,
    mapping: Annotated[UploadFile | None, File()] = None,
    packs: Annotated[list[str] | None, Form()] = None,
    kind: Annotated[str, Form(max_length=64)] = "",
    as_of: Annotated[str, Form(max_length=20)] = "",
    formats: Annotated[list[str] | None, Form()] = None,
    station_reports: Annotated[bool, Form()] = False,
    issuer: Annotated[str, Form(max_length=MAX_TEXT)] = "",
    assessor: Annotated[str, Form(max_length=MAX_TEXT)] = "",
) -> Response:
    from ..service.routes_jobs import create_job

    check_csrf(request, csrf)
    packs, formats = packs or [], formats or []
    errors, day = _form_errors(request, ledger, packs, kind, as_of, formats)
    again = {
        "packs": packs,
        "kind": kind,
        "as_of": as_of,
        "formats": formats,
        "station_reports": station_reports,
        "issuer": issuer,
        "assessor": assessor,
    }
    if errors or ledger is None:
        return _page(request, who, 422, errors=errors, **again)
    if mapping is not None and not mapping.filename:
        mapping = None
    try:
        job = create_job(
            request.app.state.service,
            who,
            ledger,
            packs,
            [f for f in FORMATS if f in formats],
            day,
            kind=kind or None,
            mapping=mapping,
            station_reports=station_reports,
            issuer=issuer.strip() or None,
            assessor=assessor.strip() or None,
        )
    except ProblemError as exc:
        return _page(request, who, 422, errors=[_upload_problem(exc)], **again)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)
