"""The web app: zh-first pages for policy officers and assessors, served by ``policyengine serve``.

Server-rendered (Jinja2 templates, a little plain JavaScript for progress and live forms; no
build step, nothing fetched from outside — it works on a bureau intranet and prints). Pages
read what the HTTP API reads: the service's packs, history and batch jobs. Pack pages, the
policy matrix and try-a-rule are public, as the policies are; ledgers, stations, history and
rectification need a login with a service token, and show only the token's region.

:func:`install` adds the pages to the service's application.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

__all__ = ["install"]


def install(app: FastAPI) -> None:
    """Add the web pages and their static files to ``app`` (the service's application)."""
    from pathlib import Path

    from fastapi.staticfiles import StaticFiles

    from . import routes_home, session

    app.state.web = session.WebState.create()
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    app.include_router(routes_home.router)
    routes_home.install_handlers(app)
    _page_errors(app)
    for router in _page_routers():
        app.include_router(router)


def _page_routers() -> list[APIRouter]:
    """The routers of the page modules present (each page module has ``router``)."""
    import importlib

    routers: list[APIRouter] = []
    for name in PAGE_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        routers.append(module.router)
    return routers


def _page_errors(app: FastAPI) -> None:
    """HTTP errors on a page's path get a page; the API's paths keep their problem documents."""
    import inspect

    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import Response

    from .routes_home import error_page

    api = app.exception_handlers[HTTPException]

    async def handler(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/api/") or not isinstance(exc, HTTPException):
            answer = api(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        return error_page(request, exc)

    app.add_exception_handler(HTTPException, handler)


#: page modules besides the home/login pages, each with a ``router``
PAGE_MODULES: tuple[str, ...] = (
    "pages_packs",
    "pages_try",
    "pages_draft",
    # the logged-in pages: ledgers and their checks, stations, the rectification ledger
    "pages_ledgers",
    "pages_jobs",
    "pages_stations",
    "pages_rectification",
)
