"""The hostile-input bounds at the door: request sizes, and what an uploaded file may be.

- A JSON request may be at most ``max_json_bytes`` (default 8 MiB: a record with its events), an
  upload at most ``max_upload_bytes`` (default 50 MiB); a larger body is refused with 413 as it
  arrives, before it is read whole (:class:`BodyLimit`, also when no Content-Length is sent).
- An upload's type is judged by its name's suffix and by its first bytes: a spreadsheet must
  start as one (``PK`` for .xlsx/.ods, the OLE signature for .xls/.et), a text file (.csv,
  .jsonl) must hold no NUL byte in its first 64 KiB. What the client says the type is does
  not count. The file is written to the job's directory under a name the server chooses.
- Past the door the library's own bounds apply, as on the command line: nesting depth, number
  length, list sizes, the evaluation step limit.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fastapi import UploadFile
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .._text import json_utf8
from ..errors import Location, Problem
from .problems import PROBLEM_JSON, ProblemError, document

MIB = 1024 * 1024
#: paths whose bodies are uploads (multipart): the larger limit (``/ledgers``: the web page's form)
UPLOAD_PATHS = frozenset({"/api/v1/jobs", "/api/v1/monitor", "/ledgers"})
#: the pages whose form uploads a file, and the session cookie they need (web/session.py)
PAGE_UPLOADS = frozenset({"/ledgers"})
SESSION = b"pe_session="

_SPREADSHEETS = {
    ".xlsx": b"PK\x03\x04",
    ".xlsm": b"PK\x03\x04",
    ".xlsb": b"PK\x03\x04",
    ".ods": b"PK\x03\x04",
    ".xls": b"\xd0\xcf\x11\xe0",
    ".et": b"\xd0\xcf\x11\xe0",
    ".ett": b"\xd0\xcf\x11\xe0",
}
TEXT_SUFFIXES = (".csv", ".jsonl")
LEDGER_SUFFIXES = (*_SPREADSHEETS, *TEXT_SUFFIXES)
EVENT_SUFFIXES = TEXT_SUFFIXES


WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _bearer(headers: dict[bytes, bytes]) -> bool:
    """The request states a bearer token (whether it is known is the route's question)."""
    scheme, _, token = headers.get(b"authorization", b"").partition(b" ")
    return scheme.lower() == b"bearer" and bool(token.strip())


class BodyLimit:
    """ASGI middleware: refuse a request body over its limit with a 413 problem document."""

    def __init__(self, app: ASGIApp, max_json_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_json = max_json_bytes
        self.max_upload = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        limit = self.max_upload if path in UPLOAD_PATHS else self.max_json
        headers = dict(scope.get("headers") or [])
        if (
            path in PAGE_UPLOADS
            and scope.get("method") == "POST"
            and SESSION not in headers.get(b"cookie", b"")
        ):
            # the upload page's form without a login: sent to log in before its body is read
            await self._to_login(send, path)
            return
        if path.startswith("/api/") and scope.get("method") in WRITES and not _bearer(headers):
            # every write needs a token: refused before its body is read or parsed
            await self._problem(
                scope,
                send,
                401,
                "unauthorized",
                "this needs a token (Authorization: Bearer …)",
                "create one with `policyengine serve token create`",
            )
            return
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, send, limit)
            return
        seen = 0
        started = refused = False

        async def counted() -> Message:
            # Over the limit, the 413 is sent from here and the app is told the client left:
            # an exception raised here would reach the framework's body parser, which answers
            # 400 ("error parsing the body") instead.
            nonlocal seen, started, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    refused = True
                    if not started:
                        started = True
                        await self._refuse(scope, send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 has been sent: nothing the app says after it goes out
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, sending)
        except Exception:
            if not refused:  # the app's own fault: its error handling is not ours
                raise

    async def _to_login(self, send: Send, path: str) -> None:
        location = b"/login?next=" + path.encode()
        headers = [(b"location", location), (b"content-length", b"0"), (b"connection", b"close")]
        await send({"type": "http.response.start", "status": 303, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        await self._problem(
            scope,
            send,
            413,
            "too-large",
            f"the request is larger than {limit // MIB} MiB (请求超过 {limit // MIB} MiB)",
            "split the input, or start the server with a larger --max-upload-mb",
        )

    async def _problem(
        self, scope: Scope, send: Send, status: int, slug: str, message: str, hint: str
    ) -> None:
        """Answer with a problem document, the connection then closed (the body is unread)."""
        item = {
            "code": slug if slug == "too-large" else "auth",
            "message": message,
            "hint": hint,
            "file": None,
            "line": None,
            "column": None,
            "path": None,
            "pointer": None,
        }
        doc: dict[str, Any] = document(slug, None, message, [item])
        doc["instance"] = scope.get("path")
        body = json_utf8(json.dumps(doc, ensure_ascii=False))
        headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())]
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [*headers, (b"connection", b"close")],
            }
        )
        await send({"type": "http.response.body", "body": body})


_SAFE_NAME = re.compile(r"[^\w.\-一-鿿]+")


def client_name(upload: UploadFile, default: str) -> str:
    """The uploaded file's name as the client gave it, reduced to a harmless display name."""
    name = Path(upload.filename or default).name
    return _SAFE_NAME.sub("_", name)[:120] or default


def save_upload(upload: UploadFile, target: Path, suffixes: tuple[str, ...], what: str) -> tuple[Path, str]:
    """Check ``upload``'s type (suffix and first bytes) and write it to ``target`` with the
    upload's suffix. Returns where it was written and the client's name for the file."""
    name = client_name(upload, f"upload{suffixes[0]}")
    suffix = Path(name).suffix.lower()
    if suffix not in suffixes:
        raise ProblemError(
            "unsupported-media-type",
            f"{what} must be one of {', '.join(suffixes)}, not `{suffix or name}`",
            [
                Problem(
                    f"cannot read {suffix or 'this kind of'} files",
                    Location(name),
                    f"give one of {', '.join(suffixes)}",
                    "input",
                )
            ],
        )
    head = upload.file.read(64 * 1024)
    upload.file.seek(0)
    magic = _SPREADSHEETS.get(suffix)
    if (magic is not None and not head.startswith(magic)) or (magic is None and b"\x00" in head):
        kind = "a spreadsheet" if magic is not None else "text"
        raise ProblemError(
            "unsupported-media-type",
            f"{name} is not {kind} as its name says (文件内容与扩展名不符)",
            [
                Problem(
                    f"the file's content is not a {suffix} file",
                    Location(name),
                    "upload the file as saved by the program that made it",
                    "input",
                )
            ],
        )
    path = target.with_suffix(suffix)
    with path.open("wb") as out:
        while chunk := upload.file.read(MIB):
            out.write(chunk)
    return path, name
