"""整改台账: the region's rectification items — open ones with their deadlines (overdue ones
marked), closed ones with the evaluation that closed them — filtered by status and by station.

The items are :func:`policyengine.history.queries.rectification_items` with the token's scope,
the query ``GET /api/v1/rectification`` answers with: a county token sees its county's items only.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from ..history.queries import ItemView, rectification_items
from ..history.tables import Evaluation
from ..service.tokens import Principal
from .i18n import language, severity_text
from .pages_stations import SOURCES
from .session import WebViewer
from .templating import render

router = APIRouter(include_in_schema=False)

STATUSES = ("open", "closed", "all")


def _closing(request: Request, who: Principal, items: list[ItemView]) -> dict[int, dict[str, Any]]:
    """The evaluations that closed ``items``: id → as-of date, source, who, job (one query)."""
    ids = [i.closed_evaluation_id for i in items if i.closed_evaluation_id is not None]
    if not ids:
        return {}
    query = select(
        Evaluation.id, Evaluation.as_of, Evaluation.source, Evaluation.recorded_by, Evaluation.job_id
    ).where(Evaluation.id.in_(ids))
    if who.scope is not None:
        query = query.where(who.scope.where(Evaluation))
    jobs = request.app.state.service.jobs
    out: dict[int, dict[str, Any]] = {}
    with request.app.state.service.history.reading() as session:
        for eid, as_of, source, by, job_id in session.execute(query):
            job = jobs.get(job_id) if job_id else None
            visible = job is not None and job.visible_to(who.token_id, who.role, who.scope is not None)
            out[int(eid)] = {"as_of": as_of, "source": source, "by": by, "job": job_id if visible else None}
    return out


@router.get("/rectification", response_class=HTMLResponse)
def rectification(request: Request, who: WebViewer, status: str = "all", q: str = "") -> Response:
    status = status if status in STATUSES else "all"
    history = request.app.state.service.history
    items = rectification_items(history, open_only=status == "open", scope=who.scope)
    if status == "closed":
        items = [i for i in items if i.status != "open"]
    text = q.strip()
    if text:
        items = [i for i in items if text in i.subject_id or text in (i.subject_name or "")]
    today = date.today()
    open_items = sorted(
        (i for i in items if i.status == "open"),
        key=lambda i: (i.deadline is None, i.deadline or today, i.subject_id),
    )
    closed_items = [i for i in items if i.status != "open"]
    lang = language(request)
    return render(
        request,
        "rectification.html",
        status=status,
        q=text,
        open_items=open_items,
        closed_items=closed_items,
        overdue={i.id for i in open_items if i.overdue(today)},
        closing=_closing(request, who, closed_items),
        sources=SOURCES,
        today=today,
        severity_text=lambda c: severity_text(c, lang),
    )
