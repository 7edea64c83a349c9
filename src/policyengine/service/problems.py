"""Errors as RFC 9457 problem documents (``application/problem+json``).

Every error the service answers with is one document: ``type`` (a URI naming the kind of
problem, listed in docs/service.md), ``title``, ``status``, ``detail``, and ``problems`` — the
same list of positions and hints the command line prints (:meth:`policyengine.errors.Problem.to_dict`:
``code``, ``message``, ``hint``, ``file``, ``line``, ``column``, ``path``), each with a JSON
``pointer`` into the request body when the problem is about a field of it. A JSON body that
does not parse gives its line and column. No error ever answers with a traceback.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from .._text import json_utf8
from ..errors import PolicyEngineError, Problem, RecordError

log = logging.getLogger("policyengine.service")

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "tag:policyengine,2026:problem/"

#: slug → (status, title)
KINDS: dict[str, tuple[int, str]] = {
    "invalid-json": (400, "请求不是有效的 JSON / the body is not valid JSON"),
    "invalid-request": (422, "请求内容有误 / the request is not as the API describes it"),
    "invalid-record": (422, "记录不符合格式 / the record does not fit its model"),
    "invalid-input": (422, "上传的文件无法使用 / the uploaded file cannot be used"),
    "invalid-pack": (422, "规则包有误 / a pack cannot be loaded"),
    "pack-not-found": (404, "没有这个规则包 / no such pack"),
    "not-found": (404, "没有找到 / not found"),
    "unauthorized": (401, "需要令牌 / a token is needed"),
    "forbidden": (403, "令牌无权执行此操作 / the token may not do this"),
    "out-of-scope": (403, "超出令牌的地区范围 / outside the token's region"),
    "too-large": (413, "请求过大 / the request is too large"),
    "unsupported-media-type": (415, "不支持的文件类型 / a file of this type is not accepted"),
    "method-not-allowed": (405, "不支持此方法 / method not allowed"),
    "conflict": (409, "结果尚未就绪 / not ready yet"),
    "history": (503, "评估记录库不可用 / the history database cannot be used"),
    "internal": (500, "服务内部错误 / internal error"),
}


class ProblemError(Exception):
    """An error to answer with one problem document of kind ``slug``."""

    def __init__(
        self,
        slug: str,
        detail: str | None = None,
        problems: Sequence[Problem] = (),
        status: int | None = None,
        root: str = "",
        files: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or slug)
        self.slug = slug
        self.detail = detail
        self.problems = list(problems)
        self.status = status or KINDS[slug][0]
        self.root = root  # the pointer to the part of the body the problems' paths are in
        self.files = files or {}  # a server path → the name the client gave the file

    @classmethod
    def of(cls, exc: PolicyEngineError, root: str = "", files: dict[str, str] | None = None) -> ProblemError:
        """A library error as a problem document (its kind from the error's class)."""
        slug, _ = from_engine_error(exc, root, files)
        first = exc.problems[0].message if exc.problems else None
        if files and first:
            for server, given in files.items():
                first = first.replace(server, given)
        return cls(slug, first, exc.problems, root=root, files=files)


def pointer(path: str | None, root: str = "") -> str | None:
    """A JSON pointer from a record path: ``staff[0].joined`` → ``/record/staff/0/joined``."""
    if not path:
        return None
    parts = [p for p in path.replace("[", ".").replace("]", "").split(".") if p]
    escaped = (p.replace("~", "~0").replace("/", "~1") for p in parts)
    return root + "".join(f"/{p}" for p in escaped)


def problem_item(problem: Problem, root: str = "", files: dict[str, str] | None = None) -> dict[str, Any]:
    item = problem.to_dict()
    for server, given in (files or {}).items():  # the client's file names, never the server's paths
        for key in ("file", "message", "hint"):
            if isinstance(item.get(key), str):
                item[key] = str(item[key]).replace(server, given)
    # a pointer into the request body; an uploaded file's problems have their line and column
    item["pointer"] = None if files else pointer(problem.location.path if problem.location else None, root)
    return item


def document(
    slug: str,
    request: Request | None,
    detail: str | None,
    items: list[dict[str, Any]],
    status: int | None = None,
) -> dict[str, Any]:
    code, title = KINDS[slug]
    return {
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status or code,
        "detail": detail,
        "instance": request.url.path if request is not None else None,
        "problems": items,
    }


def problem_response(doc: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    body = json_utf8(json.dumps(doc, ensure_ascii=False))
    return Response(body, status_code=int(doc["status"]), media_type=PROBLEM_JSON, headers=headers)


def from_engine_error(
    exc: PolicyEngineError, root: str = "", files: dict[str, str] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """The kind and items of a library error (a pack's, a record's, an upload's)."""
    from ..errors import PackError, PackNotFoundError

    if isinstance(exc, PackNotFoundError):
        slug = "pack-not-found"
    elif isinstance(exc, PackError):
        slug = "invalid-pack"
    elif isinstance(exc, RecordError):
        slug = "invalid-record" if root else "invalid-input"
    else:
        codes = {p.code for p in exc.problems}
        slug = "invalid-input" if "input" in codes or files else "invalid-request"
    return slug, [problem_item(p, root, files) for p in exc.problems]


def line_and_column(text: str, pos: int) -> tuple[int, int]:
    before = text[:pos]
    line = before.count("\n") + 1
    return line, pos - (before.rfind("\n") + 1) + 1


def _validation_items(exc: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    items: list[dict[str, Any]] = []
    slug = "invalid-request"
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ())]
        if error.get("type") == "json_invalid":
            slug = "invalid-json"
            body = exc.body if isinstance(exc.body, str) else ""
            pos = int(loc[1]) if len(loc) > 1 and loc[1].isdigit() else 0
            line, column = line_and_column(body, pos)
            why = (error.get("ctx") or {}).get("error", "invalid JSON")
            items.append(
                {
                    "code": "json",
                    "message": f"invalid JSON: {why}",
                    "hint": "check the JSON near this place",
                    "file": None,
                    "line": line,
                    "column": column,
                    "path": None,
                    "pointer": None,
                }
            )
            continue
        where = loc[1:] if loc and loc[0] == "body" else loc
        path = ".".join(where) or None
        items.append(
            {
                "code": "request",
                "message": f"{'.'.join(loc)}: {error.get('msg')}",
                "hint": None,
                "file": None,
                "line": None,
                "column": None,
                "path": path,
                "pointer": ("/" + "/".join(where)) if loc and loc[0] == "body" and where else None,
            }
        )
    return slug, items


def _methods(request: Request) -> set[str]:
    from starlette.routing import Match

    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "\x00"})
        if match is not Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return methods


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    items = [problem_item(p, exc.root, exc.files) for p in exc.problems]
    doc = document(exc.slug, request, exc.detail, items, exc.status)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return problem_response(doc, headers)


async def _on_engine(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PolicyEngineError)
    slug, items = from_engine_error(exc)
    return problem_response(document(slug, request, items[0]["message"] if items else None, items))


async def _on_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    slug, items = _validation_items(exc)
    return problem_response(document(slug, request, items[0]["message"] if items else None, items))


async def _on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, (StarletteHTTPException, HTTPException))
    slug = {
        400: "invalid-json",
        401: "unauthorized",
        403: "forbidden",
        404: "not-found",
        405: "method-not-allowed",
        413: "too-large",
        415: "unsupported-media-type",
    }.get(exc.status_code, "invalid-request")
    detail = exc.detail if isinstance(exc.detail, str) else None
    if exc.status_code == 400 and detail == "There was an error parsing the body":
        detail = "the body cannot be read: nested too deeply, a number too long, or not UTF-8"
    item = {
        "code": "http",
        "message": detail or KINDS[slug][1],
        "hint": None,
        "file": None,
        "line": None,
        "column": None,
        "path": None,
        "pointer": None,
    }
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:  # every method of the path, not only the first route's
        headers["Allow"] = ", ".join(sorted(_methods(request)))
    return problem_response(document(slug, request, detail, [item], exc.status_code), headers or None)


async def _on_database(request: Request, exc: Exception) -> Response:
    log.error("history database error on %s: %s", request.url.path, exc)
    item = problem_item(
        Problem(
            f"the history database cannot be used ({type(exc).__name__})",
            None,
            "check that the database is reachable and not full; the server's log has the details",
            "history",
        )
    )
    return problem_response(document("history", request, item["message"], [item]))


async def _on_anything(request: Request, exc: Exception) -> Response:
    log.exception("internal error on %s", request.url.path)
    item = {
        "code": "internal",
        "message": f"{type(exc).__name__}",
        "hint": "the server's log has the details",
        "file": None,
        "line": None,
        "column": None,
        "path": None,
        "pointer": None,
    }
    return problem_response(document("internal", request, None, [item]))


def install(app: Any) -> None:
    """The exception handlers: every error becomes a problem document."""
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(PolicyEngineError, _on_engine)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(SQLAlchemyError, _on_database)
    app.add_exception_handler(Exception, _on_anything)
