"""``/api/v1/packs``: the packs this service evaluates with, and one pack in full — its rules
with their citations and quotes, and its parameters as in force on a date."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from ..evaluate.report import jsonable
from ..packs.runtime import Pack
from .responses import PROBLEMS
from .schemas import Day, PackDetail, PackSummary

router = APIRouter(prefix="/api/v1", tags=["packs"])


def _bi(text: Any) -> dict[str, str]:
    return {"zh": text.zh, "en": text.en or text.zh}


def summary(pack: Pack) -> dict[str, Any]:
    region = pack.meta.region or {}
    return {
        "id": pack.id,
        "version": pack.version,
        "content_hash": pack.content_hash,
        "title": _bi(pack.title),
        "extends": pack.chain[1:],
        "subjects": pack.subjects(),
        "rules": len(pack.rules),
        "monitors": len(pack.monitors),
        "scorecards": len(pack.scorecards),
        "region": {k: str(v) for k, v in region.items() if v},
    }


def detail(pack: Pack, when: date) -> dict[str, Any]:
    values, absent = pack.params_at(when)
    parameters = []
    for name, param in pack.parameters.items():
        cite = pack.param_cite(name, when)
        parameters.append(
            {
                "name": name,
                "title": _bi(param.title),
                "unit": param.unit,
                "value": None if name in absent else jsonable(values.get(name)),
                "in_force": name not in absent and name in values,
                "cite": {"source": cite.source, "clause": cite.clause, "quote": cite.quote} if cite else None,
            }
        )
    return {
        "id": pack.id,
        "version": pack.version,
        "content_hash": pack.content_hash,
        "title": _bi(pack.title),
        "extends": pack.chain[1:],
        "as_of": when,
        "sources": [
            {
                "id": s.id,
                "title": _bi(s.title),
                "authority": _bi(s.authority) if s.authority else None,
                "number": s.number,
                "published": s.published,
                "url": s.url,
            }
            for s in pack.sources.values()
        ],
        "parameters": parameters,
        "rules": [
            {
                "id": r.id,
                "subject": r.subject,
                "severity": r.severity,
                "title": _bi(r.rule.title),
                "when": r.rule.when,
                "require": r.rule.require,
                "citation": r.citation.to_dict(),
            }
            for r in pack.rules
        ],
        "monitors": [
            {
                "id": m.id,
                "kind": m.spec.kind,
                "severity": m.spec.severity,
                "title": _bi(m.spec.title),
                "citation": m.citation.to_dict(),
            }
            for m in pack.monitors
        ],
    }


@router.get(
    "/packs",
    response_model=list[PackSummary],
    responses=PROBLEMS,
    summary="the packs this service evaluates with",
)
def list_packs(request: Request) -> list[dict[str, Any]]:
    catalog = request.app.state.service.catalogs.current
    return [summary(p) for p in catalog.packs.values()]


@router.get(
    "/packs/{pack_id}",
    response_model=PackDetail,
    responses=PROBLEMS,
    summary="one pack: rules with citations and quotes, parameters on a date",
)
def show_pack(
    request: Request,
    pack_id: Annotated[str, Path(max_length=100)],
    as_of: Annotated[
        Day | None, Query(description="parameters in force on this date (default: today)")
    ] = None,
) -> dict[str, Any]:
    catalog = request.app.state.service.catalogs.current
    return detail(catalog.pack(pack_id), as_of or date.today())
