"""``/try``: fill in one record and see what the packs make of it — the way a policy officer
checks "what happens at exactly 3%".

A plain form (GET to choose packs and the kind of record, POST to evaluate), generated from the
subject model (:mod:`.try_form`); ``static/forms.js`` re-evaluates as one types, where scripts
run. Nothing is kept: the record is evaluated by the service's engine and shown, never written
to the history (the public page needs no login).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from .._yaml import load_yaml_file, strip_positions
from ..errors import PolicyEngineError, RecordError
from .i18n import language
from .pack_views import bi, kind_title
from .session import check_csrf
from .templating import render
from .try_form import (
    DEFAULT_ROWS,
    EMPTY,
    MAX_ROWS,
    Group,
    Input,
    build_tree,
    example_paths,
    fill,
    flatten,
    inputs,
    record_from,
    rows_in,
    wanted_paths,
)
from .try_results import input_problems, report_view

router = APIRouter(include_in_schema=False)
#: the prefix of a record field's name in the form (the form's own controls have none)
PREFIX = "r."
#: most form fields read from one submission
MAX_FIELDS = 2000


def _choice(request: Request, asked: list[str], kind: str | None) -> dict[str, Any]:
    """The packs chosen (known ones), the kinds of record they check, the kind chosen."""
    catalog = request.app.state.service.catalogs.current
    lang = language(request)
    chosen = [catalog.packs[p] for p in dict.fromkeys(asked) if p in catalog.packs]
    kinds: list[str] = []
    for pack in chosen:
        kinds += [k for k in pack.subjects() if k in catalog.subjects and k not in kinds]
    if kind not in kinds:
        kind = kinds[0] if kinds else None
    return {
        "catalog": catalog,
        "packs": chosen,
        "kind": kind,
        "unknown": [p for p in asked if p not in catalog.packs],
        "pack_options": [
            {"id": p.id, "title": bi(p.title, lang), "checked": p in chosen}
            for p in sorted(catalog.packs.values(), key=lambda p: p.id)
        ],
        "kind_options": [{"id": k, "title": kind_title(k, catalog.subjects, lang)} for k in kinds],
    }


def _examples(packs: list[Any], kind: str | None) -> list[dict[str, Any]]:
    """The packs' example records of this kind (``examples/*.yaml``), to fill the form with."""
    out = []
    for pack in packs:
        directory = pack.path / "examples"
        for path in sorted(directory.glob("*.yaml")) if directory.is_dir() else []:
            try:
                data = strip_positions(load_yaml_file(path, inside=pack.path))
            except PolicyEngineError:
                continue
            if isinstance(data, dict) and data.get("kind") == kind:
                out.append({"pack": pack.id, "file": path.name, "record": data, "name": data.get("name")})
    return out


def _tree(choice: dict[str, Any], lang: str, all_fields: bool, values: dict[str, Any]) -> list[Input | Group]:
    model = choice["catalog"].subjects[choice["kind"]]
    wanted = None if all_fields else wanted_paths(choice["packs"], choice["kind"]) | example_paths(values)
    tree = build_tree(model, wanted, lang)
    # what the rules read first; the name and the region (always shown) after it
    return sorted(tree, key=lambda node: node.name in ("name", "region", "id"))


@router.get("/try", response_class=HTMLResponse)
def try_page(
    request: Request,
    pack: Annotated[list[str] | None, Query(max_length=50)] = None,
    kind: Annotated[str | None, Query(max_length=50)] = None,
    example: Annotated[str | None, Query(max_length=200)] = None,
    fields: Annotated[str | None, Query(max_length=10)] = None,
    as_of: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    lang = language(request)
    choice = _choice(request, pack or [], kind)
    examples = _examples(choice["packs"], choice["kind"])
    values: dict[str, Any] = {}
    used = next((e for e in examples if f"{e['pack']}/{e['file']}" == example), None)
    if used is not None:
        values = flatten({k: v for k, v in used["record"].items() if k != "kind"})
    tree = _tree(choice, lang, fields == "all", values) if choice["kind"] else []
    rows = {name: max(DEFAULT_ROWS, n + 1) for name, n in rows_in(values).items()}
    fill(tree, values, rows)
    return _page(request, choice, tree, fields == "all", as_of or date.today().isoformat(), examples, example)


def _page(
    request: Request,
    choice: dict[str, Any],
    tree: list[Input | Group],
    all_fields: bool,
    as_of: str,
    examples: list[dict[str, Any]],
    example: str | None,
    result: dict[str, Any] | None = None,
    problems: list[dict[str, str]] | None = None,
) -> Response:
    lang = language(request)
    rules = [
        {"pack": bi(p.title, lang), "title": r.titles["en" if lang == "en" else "zh"]}
        for p in choice["packs"]
        for r in p.rules_for(choice["kind"] or "")
    ]
    return render(
        request,
        "try.html",
        choice={k: v for k, v in choice.items() if k != "catalog"},
        kind_label=kind_title(choice["kind"], choice["catalog"].subjects, lang) if choice["kind"] else "",
        tree=tree,
        all_fields=all_fields,
        as_of=as_of,
        examples=[
            {"key": f"{e['pack']}/{e['file']}", "name": e["name"] or _example_name(i, lang)}
            for i, e in enumerate(examples, 1)
        ],
        example=example,
        rules=rules,
        result=result,
        problems=problems or [],
        prefix=PREFIX,
    )


@router.post("/try", response_class=HTMLResponse)
async def try_evaluate(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    check_csrf(request, str(form.get("csrf") or ""))
    controls: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            controls.setdefault(key, []).append(value)
    choice = _choice(request, controls.get("pack", []), next(iter(controls.get("kind", [])), None))
    if choice["kind"] is None:
        return _page(request, choice, [], False, date.today().isoformat(), [], None)
    return _evaluated(request, choice, controls)


def _evaluated(request: Request, choice: dict[str, Any], controls: dict[str, list[str]]) -> Response:
    """Read the record from the form, evaluate it, and show the form again with the result."""
    lang = language(request)
    all_fields = (controls.get("fields") or [""])[0] == "all"
    record_values = {k[len(PREFIX) :]: v for k, v in controls.items() if k.startswith(PREFIX)}
    empty = [k[len(EMPTY) :] for k in controls if k.startswith(EMPTY)]
    shown = {k: v[0] for k, v in record_values.items()} | {f"{EMPTY}{k}": "1" for k in empty}
    rows = {k[len("rows.") :]: _int(v[0]) for k, v in controls.items() if k.startswith("rows.")}
    added = (controls.get("add_row") or [""])[0]
    if added in rows:
        rows[added] = min(MAX_ROWS, rows[added] + 1)
    tree = _tree(choice, lang, all_fields, {})
    fill(tree, shown, rows)
    _keep_lists(tree, record_values)
    as_of_text = (controls.get("as_of") or [""])[0]
    problems: list[dict[str, str]] = []
    try:
        when = date.fromisoformat(as_of_text) if as_of_text else date.today()
    except ValueError:
        when = None
        problems.append({"field": "评估基准日" if lang == "zh" else "As of", "message": _bad_date(lang)})
    record = record_from(choice["kind"], record_values, tree, empty)
    result = None
    if when is not None:
        engine = choice["catalog"].engine([p.id for p in choice["packs"]])
        try:
            report = engine.evaluate(record, as_of=when, trace=True, kind=choice["kind"])
        except RecordError as exc:
            problems += input_problems(exc, choice["catalog"].subjects[choice["kind"]], tree, lang)
        else:
            result = report_view(report, choice["packs"], choice["catalog"].subjects, lang)
    examples = _examples(choice["packs"], choice["kind"])
    return _page(request, choice, tree, all_fields, as_of_text, examples, None, result, problems)


def _keep_lists(tree: list[Input | Group], values: dict[str, list[str]]) -> None:
    """Checkbox groups keep every value ticked (a single tick is still a list)."""
    for field_ in inputs(tree):
        if field_.widget == "choices":
            field_.value = values.get(field_.name, [])


def _example_name(n: int, lang: str) -> str:
    return f"示例{n}" if lang == "zh" else f"example {n}"


def _int(text: str) -> int:
    try:
        return max(1, min(MAX_ROWS, int(text)))
    except ValueError:
        return DEFAULT_ROWS


def _bad_date(lang: str) -> str:
    return "请按 年-月-日 填写日期,如 2022-12-31" if lang == "zh" else "write the date as YYYY-MM-DD"
