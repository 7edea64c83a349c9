"""The home page, logging in and out, and the language switch."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from ..service.tokens import authenticate
from .i18n import COOKIE as LANG_COOKIE
from .i18n import LANGS
from .session import (
    LIFETIME,
    SESSION_COOKIE,
    LoginRequired,
    RoleRequired,
    check_csrf,
    end_session,
    session_cookie,
)
from .templating import render

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """A local path (and query) to go back to after logging in or switching the language, never
    another site: ``//host``, a backslash or any control or space character gives ``/``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in target):
        return "/"
    return target


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    return render(request, "home.html")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", next=safe_next(next), error=None)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    token: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    check_csrf(request, csrf)
    principal = authenticate(request.app.state.service.history, token.strip())
    if principal is None:
        return render(request, "login.html", status_code=401, next=safe_next(next), error="unknown")
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_cookie(request, principal.token_id),
        max_age=LIFETIME,
        httponly=True,
        samesite="strict",
        path="/",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    end_session(request)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{code}")
def switch_language(code: str, next: str | None = None) -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if code in LANGS:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax", path="/")
    return response


def install_handlers(app: FastAPI) -> None:
    """Pages needing a login redirect to it; a role too low or a bad form token gets a page."""

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(RoleRequired)
    async def forbidden(request: Request, exc: RoleRequired) -> Response:
        return render(request, "error.html", status_code=403, error="role", needed=exc.needed)


def error_page(request: Request, exc: HTTPException) -> Response:
    """A page for an HTTP error raised by a page route (403 csrf, 404 not found)."""
    kind = "csrf" if exc.detail == "csrf" else "not-found" if exc.status_code == 404 else "other"
    return render(request, "error.html", status_code=exc.status_code, error=kind, needed=None)
