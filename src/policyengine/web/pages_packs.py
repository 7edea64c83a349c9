"""Public pages: the packs (``/packs``, ``/packs/<id>``) and the policy matrix (``/matrix``).

A pack page puts each rule beside the clause it encodes and its quote, lists the parameters
with every dated value, the clauses left unchecked and why, and the coverage table
(:func:`policyengine.packs.coverage.coverage`). The matrix is
:func:`policyengine.packs.matrix.build` over the packs served.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from ..errors import did_you_mean
from ..packs.matrix import build
from ..packs.matrix_tag import BASES, READINGS, ROWS
from ..packs.runtime import Pack
from .pack_views import bi, pack_detail, pack_summary
from .templating import render

router = APIRouter(include_in_schema=False)


def _catalog(request: Request) -> Any:
    return request.app.state.service.catalogs.current


def _lang(request: Request) -> str:
    from .i18n import language

    return language(request)


@router.get("/packs", response_class=HTMLResponse)
def packs_page(request: Request) -> Response:
    catalog = _catalog(request)
    lang = _lang(request)
    packs = [pack_summary(p, catalog.subjects, lang) for p in catalog.packs.values()]
    packs.sort(key=lambda p: (p["region"], p["id"]))
    return render(request, "packs.html", packs=packs)


@router.get("/packs/{pack_id}", response_class=HTMLResponse)
def pack_page(request: Request, pack_id: Annotated[str, Path(max_length=100)]) -> Response:
    catalog = _catalog(request)
    lang = _lang(request)
    pack = catalog.packs.get(pack_id)
    if pack is None:
        near = did_you_mean(pack_id, catalog.packs)
        suggestion = pack_summary(catalog.packs[near], catalog.subjects, lang) if near else None
        listed = [pack_summary(p, catalog.subjects, lang) for p in catalog.packs.values()]
        return render(
            request, "pack_missing.html", status_code=404, asked=pack_id, suggestion=suggestion, packs=listed
        )
    titles = {p.id: bi(p.title, lang) for p in catalog.packs.values()}
    view = pack_detail(pack, catalog.subjects, date.today(), lang, titles)
    view["extends"] = [{"id": i, "title": titles.get(i, i), "served": i in titles} for i in view["extends"]]
    return render(request, "pack.html", pack=view, today=date.today().isoformat())


def matrix_rows(packs: list[Pack], lang: str) -> list[dict[str, Any]]:
    """The matrix's rows with cells, labels in ``lang`` (cells name packs by their titles)."""
    titles = {p.id: bi(p.title, lang) for p in packs}
    readings = {zh: en for zh, en in READINGS.values()}
    bases = {zh: en for zh, en in BASES.values()}
    out = []
    for row, cells in build(packs, None).items():
        if not cells:
            continue
        shown = []
        for c in cells:
            cell = c.to_dict()
            cell["title"] = titles.get(c.pack, c.pack)
            if lang == "en":
                cell["reading"] = readings.get(c.reading or "", c.reading)
                cell["basis"] = bases.get(c.basis or "", _fund_en(c.basis))
            shown.append(cell)
        out.append({"row": row, "title": ROWS[row][1 if lang == "en" else 0], "cells": shown})
    return out


def _fund_en(zh: str | None) -> str | None:
    """A fund kind's zh label back to its code, which is its English name."""
    from ..models.codes import FundKind

    for code, label in FundKind.__labels__.items():
        if label == zh:
            return code.replace("_", " ")
    return zh


@router.get("/matrix", response_class=HTMLResponse)
def matrix_page(
    request: Request, pack: Annotated[list[str] | None, Query(max_length=100)] = None
) -> Response:
    catalog = _catalog(request)
    lang = _lang(request)
    every = sorted(catalog.packs.values(), key=lambda p: p.id)
    chosen = [p for p in every if not pack or p.id in pack]
    # a pack's inherited values are shown under the pack that states them: keep its ancestors
    wanted = {a for p in chosen for a in p.chain}
    shown = [p for p in every if p.id in wanted]
    rows = matrix_rows(shown, lang)
    if pack:
        rows = [{**r, "cells": [c for c in r["cells"] if c["pack"] in wanted]} for r in rows if r["cells"]]
    options = [{"id": p.id, "title": bi(p.title, lang), "checked": p.id in (pack or [])} for p in every]
    unknown = [p for p in pack or [] if p not in catalog.packs]
    return render(request, "matrix.html", rows=rows, options=options, filtered=bool(pack), unknown=unknown)
