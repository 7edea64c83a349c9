"""Logging in to the pages with a service token: a signed session cookie, CSRF on every form.

The token is typed once on the login page; the cookie then holds the token's id, an expiry and
a random session id, signed with HMAC-SHA-256 under a secret that lives as long as the
service (``$POLICYENGINE_WEB_SECRET`` keeps sessions across restarts). Each request looks the
token up again, so revoking a token ends its sessions at once; logging out ends that session
(its id is remembered until it would have expired). Cookies are HttpOnly and SameSite=Strict.

CSRF: every form carries the value of the ``pe_csrf`` cookie (a random value set with the
first page) in a hidden ``csrf`` field, and every POST compares them (a double-submit cookie,
which a page on another site can neither read nor set).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from ..service.tokens import Principal

SESSION_COOKIE = "pe_session"
CSRF_COOKIE = "pe_csrf"
#: seconds a login lasts
LIFETIME = 8 * 3600


@dataclass
class WebState:
    secret: bytes
    ended: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def create(cls) -> WebState:
        given = os.environ.get("POLICYENGINE_WEB_SECRET")
        secret = hashlib.sha256(given.encode()).digest() if given else secrets.token_bytes(32)
        return cls(secret)

    def sign(self, payload: bytes) -> str:
        return hmac.new(self.secret, payload, hashlib.sha256).hexdigest()

    def end(self, sid: str, expires: float) -> None:
        with self.lock:
            now = time.time()
            for old in [s for s, e in self.ended.items() if e < now]:
                del self.ended[old]
            self.ended[sid] = expires

    def is_ended(self, sid: str) -> bool:
        with self.lock:
            return sid in self.ended


def _state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def session_cookie(request: Request, token_id: int) -> str:
    """The signed cookie value of a new session for ``token_id``."""
    body = json.dumps(
        {"tid": token_id, "exp": int(time.time()) + LIFETIME, "sid": secrets.token_urlsafe(12)},
        separators=(",", ":"),
    ).encode()
    encoded = base64.urlsafe_b64encode(body).decode().rstrip("=")
    return f"{encoded}.{_state(request).sign(encoded.encode())}"


def _session(request: Request) -> dict[str, Any] | None:
    value = request.cookies.get(SESSION_COOKIE)
    if not value or "." not in value or len(value) > 1000:
        return None
    encoded, signature = value.rsplit(".", 1)
    if not hmac.compare_digest(signature, _state(request).sign(encoded.encode())):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("exp", 0) < time.time():
        return None
    if _state(request).is_ended(str(data.get("sid"))):
        return None
    return data


def current_user(request: Request) -> Principal | None:
    """The logged-in principal (its token looked up again: a revoked token is logged out)."""
    if hasattr(request.state, "web_user"):
        cached: Principal | None = request.state.web_user
        return cached
    user = None
    data = _session(request)
    if data is not None:
        user = principal_by_id(request, int(data["tid"]))
    request.state.web_user = user
    return user


def principal_by_id(request: Request, token_id: int) -> Principal | None:
    from ..history.regions import Scope
    from ..history.tables import ApiToken

    history = request.app.state.service.history
    with history.reading() as session:
        row = session.get(ApiToken, token_id)
        if row is None or row.revoked_at is not None:
            return None
        return Principal(row.id, row.name, row.role, Scope.parse(row.scope) if row.scope else None)


def end_session(request: Request) -> None:
    data = _session(request)
    if data is not None:
        _state(request).end(str(data["sid"]), float(data["exp"]))


def csrf_token(request: Request) -> str:
    """This browser's form token: its ``pe_csrf`` cookie, or a new one set with the page."""
    if hasattr(request.state, "csrf"):
        token: str = request.state.csrf
        return token
    given = request.cookies.get(CSRF_COOKIE, "")
    token = given if 20 <= len(given) <= 64 and given.isascii() else secrets.token_urlsafe(24)
    request.state.csrf = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a POST whose form token is missing or is not this browser's (403)."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not submitted or not hmac.compare_digest(cookie, submitted):
        raise HTTPException(403, "csrf")


class LoginRequired(Exception):
    """Raised by :func:`need`; answered by a redirect to the login page."""


class RoleRequired(Exception):
    """The logged-in token's role is too low for this page; answered 403 with a page."""

    def __init__(self, needed: str) -> None:
        self.needed = needed


def need(role: str) -> Any:
    """A dependency: the logged-in principal, holding ``role`` or more."""

    def dependency(request: Request) -> Principal:
        user = current_user(request)
        if user is None:
            raise LoginRequired()
        if not user.can(role):
            raise RoleRequired(role)
        return user

    return Depends(dependency)


WebViewer = Annotated[Principal, need("viewer")]
WebAssessor = Annotated[Principal, need("assessor")]
