"""``/draft``: paste or upload a pack's YAML (and its test cases), see ``validate``'s problems
with line and column and "did you mean", and run the cases. Nothing is installed or kept
(:mod:`.draft_check`)."""

from __future__ import annotations

import functools
import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ..errors import Problem
from ..testing.cases import CaseResult
from .draft_check import CASES_NAME, MAX_TEXT_BYTES, PACK_NAME, DraftResult, check_draft
from .i18n import language
from .pack_views import bi
from .session import check_csrf
from .templating import render

router = APIRouter(include_in_schema=False)

#: validate's most common messages, in Chinese (the English stays on the English page)
GLOSSES = [
    (re.compile(r"^unknown field `(.+)`$"), "未知的字段 `{0}`"),
    (re.compile(r"^(\w+) has no field `(.+)`$"), "“{0}”中没有字段 `{1}`"),
    (re.compile(r"^did you mean `(.+)`\?$"), "是否应为 `{0}`?"),
    (re.compile(r"^unknown subject `(.+)`$"), "未知的检查对象 `{0}`"),
    (re.compile(r"^required field `(.+)` is missing$"), "缺少必填项 `{0}`"),
    (re.compile(r"^`cite.source: (.+)` is not in `sources:`$"), "引用的来源 `{0}` 不在 `sources:` 中"),
    (re.compile(r"^pack `(.+)` has no rule `(.+)`$"), "政策包 `{0}` 没有规则 `{1}`"),
    (re.compile(r"^`extends: (.+)` names no known pack$"), "`extends: {0}` 不是本服务的政策包"),
    (
        re.compile(r"^this case expects nothing, so it could never fail$"),
        "这个用例没有写期望结果,永远不会失败",
    ),
    (
        re.compile(r"^`(record_file|events_file): (.+)` is not a file of this draft$"),
        "`{0}: {1}` 不是本草稿中的文件",
    ),
    (
        re.compile(r"^write the record into the case with `record:`.*$"),
        "请在用例中用 `record:` 直接写出记录;草稿只能引用同编号政策包自带的示例",
    ),
    (re.compile(r"^YAML syntax: (.+)$"), "YAML 格式错误({0})"),
    (re.compile(r"^check the indentation and quoting on this line$"), "请检查这一行的缩进和引号"),
    (re.compile(r"^YAML anchors .* are not allowed$"), "不允许使用 YAML 锚点和别名"),
]


@functools.cache
def _model_titles() -> dict[str, str]:
    """Each model's class name → the Chinese title of a field holding it (Funds → 资金)."""
    from ..models.introspect import field_type_info
    from ..plugins import default_subjects

    out: dict[str, str] = {}
    stack: list[tuple[type[BaseModel], str]] = [
        (m, str(m.kind_title["zh"])) for m in default_subjects().values()
    ]
    while stack:
        model, title = stack.pop()
        if model.__name__ in out:
            continue
        out[model.__name__] = title
        for name, fi in model.model_fields.items():
            info = field_type_info(fi.annotation)
            info = info.item if info.kind == "list" and info.item is not None else info
            if info.model is not None:
                stack.append((info.model, fi.title or name))
    return out


def _model_title(word: str) -> str:
    return _model_titles().get(word, word)


def gloss(text: str | None, lang: str) -> list[tuple[str, bool]]:
    """A message as segments (text, is code): zh where a gloss is known; `x` parts as code."""
    if not text:
        return []
    if lang == "zh":
        for pattern, zh in GLOSSES:
            m = pattern.match(text)
            if m:
                text = zh.format(*(_model_title(g) for g in m.groups()))
                break
    parts = text.split("`")
    return [(part, i % 2 == 1) for i, part in enumerate(parts) if part]


def _file_label(file: str | None, which: str, root: str, lang: str) -> str:
    if not file or file.startswith(root) or file in (PACK_NAME, CASES_NAME):
        return which
    inherited = "所继承政策包的 pack.yaml" if lang == "zh" else "pack.yaml of the pack it extends"
    return inherited


def problem_view(which: str, p: Problem, root: str, lang: str) -> dict[str, Any]:
    loc = p.location
    caret = None
    if loc and loc.source_line is not None and loc.column is not None:
        caret = "".join("　" if ord(ch) > 0x2E80 else " " for ch in loc.source_line[: loc.column - 1])
        caret += "^" * max(1, loc.length)
    return {
        "file": _file_label(loc.file if loc else None, which, root, lang),
        "line": loc.line if loc else None,
        "column": loc.column if loc else None,
        "source": loc.source_line.rstrip("\n") if loc and loc.source_line is not None else None,
        "caret": caret,
        "message": gloss(p.message, lang),
        "hint": gloss(p.hint, lang),
        "english": p.message if lang == "zh" else None,
    }


def case_view(r: CaseResult, titles: dict[str, str], lang: str) -> dict[str, Any]:
    """One case: passed or not, and each expectation against what came out, in words."""
    from ..outcomes import Outcome, Verdict

    checks = []
    report = r.report
    want = r.case.expect
    if want.verdict is not None:
        got = report.verdict.label(lang) if report else "—"
        checks.append(
            {
                "what": "结论" if lang == "zh" else "verdict",
                "want": Verdict(want.verdict).label(lang),
                "got": got,
            }
        )
    findings = {f.rule: f for f in report.findings} if report else {}
    for rid, outcome in want.rules.items():
        found = findings.get(rid)
        got = found.outcome.label(lang) if found else ("无结论" if lang == "zh" else "no finding")
        checks.append({"what": titles.get(rid, rid), "want": Outcome(outcome).label(lang), "got": got})
    return {
        "name": r.case.name,
        "line": r.case.line,
        "ok": r.ok,
        "checks": checks,
        "details": "\n".join([*r.problems, *([r.error] if r.error else [])]),
    }


def _view(result: DraftResult, lang: str) -> dict[str, Any]:
    pack = result.pack
    titles = {r.id: r.titles["en" if lang == "en" else "zh"] for r in pack.rules} if pack else {}
    # the cases that failed first: they are what the author has to look at
    cases = sorted((case_view(r, titles, lang) for r in result.cases), key=lambda c: (c["ok"], c["line"]))
    return {
        "problems": sorted(
            (problem_view(which, p, result.root, lang) for which, p in result.problems),
            key=lambda v: (v["file"] != PACK_NAME, v["line"] or 0, v["column"] or 0),
        ),
        "pack": {
            "title": bi(pack.title, lang),
            "version": pack.version,
            "rules": len(pack.rules),
            "parameters": len(pack.parameters),
        }
        if pack
        else None,
        "cases_given": result.cases_given,
        "cases": cases,
        "passed": sum(1 for c in cases if c["ok"]),
        "failed": sum(1 for c in cases if not c["ok"]),
        "cut": result.cases_cut,
    }


@router.get("/draft", response_class=HTMLResponse)
def draft_page(request: Request, start: Annotated[str | None, Query(max_length=100)] = None) -> Response:
    """The empty form, or (``?start=<id>``) the form holding a served pack and its cases."""
    catalog = request.app.state.service.catalogs.current
    pack_text = cases_text = ""
    base = catalog.packs.get(start or "")
    if base is not None:
        pack_text = (base.path / PACK_NAME).read_text(encoding="utf-8")
        case_files = sorted((base.path / "tests").glob("*.yaml")) if (base.path / "tests").is_dir() else []
        cases_text = case_files[0].read_text(encoding="utf-8") if case_files else ""
    return _form(request, pack_text, cases_text, None, [])


def _form(
    request: Request, pack_text: str, cases_text: str, view: dict[str, Any] | None, errors: list[str]
) -> Response:
    catalog = request.app.state.service.catalogs.current
    lang = language(request)
    starts = [
        {"id": p.id, "title": bi(p.title, lang)} for p in sorted(catalog.packs.values(), key=lambda p: p.id)
    ]
    return render(
        request,
        "draft.html",
        pack_text=pack_text,
        cases_text=cases_text,
        result=view,
        errors=errors,
        starts=starts,
        limit_kib=MAX_TEXT_BYTES // 1024,
    )


async def _text(form: Any, name: str, errors: list[str], lang: str) -> str:
    """A text from its upload (when one is given) or its text area; too large or not UTF-8 is
    refused with a line in ``errors``."""
    upload = form.get(f"{name}_file")
    raw: bytes
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read(MAX_TEXT_BYTES + 1)
    else:
        raw = str(form.get(name) or "").encode("utf-8")
    which = "政策包" if name == "pack" else "测试用例"
    if len(raw) > MAX_TEXT_BYTES:
        errors.append(
            f"{which}超过 {MAX_TEXT_BYTES // 1024} KB,未检查"
            if lang == "zh"
            else f"the {name} text is over {MAX_TEXT_BYTES // 1024} KB; not checked"
        )
        return ""
    try:
        return raw.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        errors.append(f"{which}文件不是 UTF-8 文本" if lang == "zh" else f"the {name} file is not UTF-8 text")
        return ""


@router.post("/draft", response_class=HTMLResponse)
async def draft_check(request: Request) -> Response:
    form = await request.form(max_files=2, max_fields=10, max_part_size=4 * MAX_TEXT_BYTES)
    check_csrf(request, str(form.get("csrf") or ""))
    lang = language(request)
    errors: list[str] = []
    pack_text = await _text(form, "pack", errors, lang)
    cases_text = await _text(form, "cases", errors, lang)
    view = None
    if not errors and not pack_text.strip():
        errors.append("请粘贴或上传政策包 YAML" if lang == "zh" else "paste or upload a pack's YAML")
    if not errors:
        catalog = request.app.state.service.catalogs.current
        result = await run_in_threadpool(check_draft, pack_text, cases_text, catalog.packs, catalog.subjects)
        view = _view(result, lang)
    return _form(request, pack_text, cases_text, view, errors)
