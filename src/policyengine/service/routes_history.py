"""``/api/v1/subjects/{id}/evaluations``, ``/api/v1/evaluations/{id}`` (and its stored input),
``/api/v1/rectification`` (the ledger, an item's deadline and note, the quarterly trend).

Every answer is limited to the token's region scope: what lies outside it answers 404, as if it
were not there.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from ..errors import Problem
from ..history.queries import evaluation, rectification_items, stored_input, subject_evaluations, update_item
from ..history.trend import quarterly_trend
from ..history.trend_formats import MEDIA_TYPES, render_trend
from .auth import Assessor, Viewer
from .problems import ProblemError
from .responses import PROBLEMS, JsonBody
from .schemas import EvaluationDoc, ItemDoc, ItemPatch, StoredInput, TrendRow

router = APIRouter(prefix="/api/v1", tags=["history"])

SubjectId = Annotated[str, Path(max_length=200, description="the subject's id, e.g. HN-ZJ-01")]
Number = Annotated[int, Path(ge=1, le=2**62)]
#: a region scope as written: 1 to 4 levels from the province down, each 1–100 characters
REGION_PATTERN = r"^[^/\s][^/]{0,99}(/[^/\s][^/]{0,99}){0,3}$"
RegionQuery = Annotated[
    str | None,
    Query(pattern=REGION_PATTERN, description="only this region: 浙江省/嘉兴市/海宁市 (province down)"),
]


def _not_found(what: str) -> ProblemError:
    return ProblemError(
        "not-found",
        f"no {what}",
        [Problem(f"no {what} (or not in the token's region)", None, None, "not-found")],
    )


@router.get(
    "/subjects/{subject_id}/evaluations",
    response_model=list[EvaluationDoc],
    response_class=JsonBody,
    responses=PROBLEMS,
    summary="a subject's evaluations over time, oldest first",
)
def subject_history(
    request: Request,
    who: Viewer,
    subject_id: SubjectId,
    kind: Annotated[str | None, Query(max_length=64)] = None,
) -> JsonBody:
    rows = subject_evaluations(request.app.state.service.history, subject_id, kind=kind, scope=who.scope)
    return JsonBody([r.to_dict() for r in rows])


@router.get(
    "/evaluations/{evaluation_id:int}",
    response_model=EvaluationDoc,
    response_class=JsonBody,
    responses=PROBLEMS,
    summary="one recorded evaluation: packs with versions and hashes, each finding's outcome",
)
def get_evaluation(request: Request, who: Viewer, evaluation_id: Number) -> JsonBody:
    row = evaluation(request.app.state.service.history, evaluation_id, scope=who.scope)
    if row is None:
        raise _not_found(f"evaluation #{evaluation_id}")
    return JsonBody(row.to_dict())


@router.get(
    "/evaluations/{evaluation_id:int}/input",
    response_model=StoredInput,
    response_class=JsonBody,
    responses=PROBLEMS,
    summary="the evaluated record as stored (personal data masked); only when the service keeps inputs",
)
def get_input(request: Request, who: Assessor, evaluation_id: Number) -> JsonBody:
    data = stored_input(request.app.state.service.history, evaluation_id, scope=who.scope)
    if not isinstance(data, dict):
        raise _not_found(f"stored input of evaluation #{evaluation_id}")
    return JsonBody({"evaluation_id": evaluation_id, "input": data})


@router.get(
    "/rectification",
    response_model=list[ItemDoc],
    response_class=JsonBody,
    responses=PROBLEMS,
    summary="the rectification ledger (整改台账), newest opened first",
)
def list_items(
    request: Request,
    who: Viewer,
    open_only: Annotated[bool, Query(alias="open", description="only items still open")] = False,
    region: RegionQuery = None,
    subject: Annotated[str | None, Query(max_length=200)] = None,
) -> JsonBody:
    items = rectification_items(
        request.app.state.service.history,
        open_only=open_only,
        region=region,
        subject_id=subject,
        scope=who.scope,
    )
    return JsonBody([i.to_dict() for i in items])


@router.patch(
    "/rectification/{item_id:int}",
    response_model=ItemDoc,
    response_class=JsonBody,
    responses=PROBLEMS,
    summary="set an item's deadline and note (fields left out stay as they are)",
)
def patch_item(request: Request, who: Assessor, item_id: Number, body: ItemPatch) -> JsonBody:
    changes: dict[str, Any] = {k: getattr(body, k) for k in body.model_fields_set}
    item = update_item(request.app.state.service.history, item_id, scope=who.scope, **changes)
    if item is None:
        raise _not_found(f"rectification item #{item_id}")
    return JsonBody(item.to_dict())


@router.get(
    "/rectification/trend",
    response_model=list[TrendRow],
    response_class=JsonBody,
    responses={
        **PROBLEMS,
        200: {
            "description": "JSON rows, or the table as a file in the format asked for",
            "content": {media: {} for suffix, media in MEDIA_TYPES.items() if suffix != ".json"},
        },
    },
    summary="per quarter and region: subjects compliant, items opened and closed, still open",
)
def trend(
    request: Request,
    who: Viewer,
    region: RegionQuery = None,
    kind: Annotated[str | None, Query(max_length=64)] = None,
    format: Annotated[
        Literal["json", "csv", "xlsx", "jsonl", "html"], Query(description="json, or a file")
    ] = "json",
    lang: Annotated[Literal["zh", "en"], Query()] = "zh",
) -> Response:
    rows = quarterly_trend(request.app.state.service.history, region=region, kind=kind, scope=who.scope)
    if format == "json":
        return JsonBody([r.to_dict() for r in rows])
    suffix = f".{format}"
    headers = {"Content-Disposition": f'attachment; filename="rectification-trend{suffix}"'}
    return Response(render_trend(rows, suffix, lang), media_type=MEDIA_TYPES[suffix], headers=headers)
