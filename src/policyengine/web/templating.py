"""Rendering a page: one Jinja2 environment (autoescaped), the base layout's context."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

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
    return env


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """The page ``template`` with ``context`` and what every page has: ``t`` (zh/en), ``lang``,
    ``user`` (the logged-in principal or None), ``csrf`` (the form token) and ``path``."""
    lang = language(request)
    base = {
        "t": Texts(lang),
        "lang": lang,
        "user": current_user(request),
        "csrf": csrf_token(request),
        "path": request.url.path,
        "query": str(request.url.query),
    }
    html = environment().get_template(template).render(**base, **context)
    response = HTMLResponse(html, status_code=status_code)
    ensure_csrf_cookie(request, response)
    return response


def ensure_csrf_cookie(request: Request, response: HTMLResponse) -> None:
    from .session import CSRF_COOKIE

    if request.cookies.get(CSRF_COOKIE) != csrf_token(request):
        response.set_cookie(CSRF_COOKIE, csrf_token(request), httponly=True, samesite="strict", path="/")
