"""Rendering a page: one Jinja2 environment (autoescaped), the base layout's context."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .i18n import Texts, language
from .session import csrf_token, current_user

TEMPLATES = Path(__file__).parent / "templates"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["clock"] = clock
    return env


#: the time pages show: Beijing time, as a bureau's clock reads (the service keeps UTC)
BEIJING = timezone(timedelta(hours=8))


def clock(moment: datetime) -> str:
    """A moment (UTC when it carries no zone) in Beijing time, to the minute."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """The page ``template`` with ``context`` and what every page has: ``t`` (zh/en), ``lang``,
    ``user`` (the logged-in principal or None), ``csrf`` (the form token), ``path`` and ``here``
    (the path with its query, less any ``lang=``: where the language switch and the login
    link come back to)."""
    lang = language(request)
    base = {
        "t": Texts(lang),
        "lang": lang,
        "user": current_user(request),
        "csrf": csrf_token(request),
        "path": request.url.path,
        "query": str(request.url.query),
        "here": here(request),
    }
    html = environment().get_template(template).render(**base, **context)
    response = HTMLResponse(html, status_code=status_code)
    ensure_csrf_cookie(request, response)
    return response


def here(request: Request) -> str:
    """The page's path and query, without ``lang=`` (which would outrank the switch's cookie)."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return request.url.path + (f"?{urlencode(kept)}" if kept else "")


def ensure_csrf_cookie(request: Request, response: HTMLResponse) -> None:
    from .session import CSRF_COOKIE

    if request.cookies.get(CSRF_COOKIE) != csrf_token(request):
        response.set_cookie(
            CSRF_COOKIE,
            csrf_token(request),
            httponly=True,
            samesite="strict",
            path="/",
            secure=request.url.scheme == "https",  # behind TLS, never sent in the clear
        )
