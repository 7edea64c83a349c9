"""How answers are written: JSON as the library writes it, and the error answers every
operation documents (RFC 9457 problem documents)."""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse

from .._text import json_utf8
from .problems import PROBLEM_JSON
from .schemas import ProblemDocument


class JsonBody(JSONResponse):
    """JSON, UTF-8, with control characters and lone surrogates escaped (as every JSON output
    of the library: :func:`policyengine._text.json_utf8`); dates and other values as text.
    (A JSONResponse, so that the OpenAPI document takes each operation's response model.)"""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json_utf8(json.dumps(content, ensure_ascii=False, default=str))


#: where the OpenAPI document holds the problem document's schema (JobDoc refers to it, so it is
#: always among the components)
PROBLEM_SCHEMA = {"$ref": f"#/components/schemas/{ProblemDocument.__name__}"}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}}


#: the error answers of an operation that takes a body and a token
PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: _problem("the body is not valid JSON (the problem gives its line and column)"),
    401: _problem("no token, or an unknown or revoked one"),
    403: _problem("the token's role or region does not allow it"),
    404: _problem("no such pack, evaluation, item or job"),
    413: _problem("the request is too large"),
    415: _problem("an upload of a type that is not accepted"),
    422: _problem("the request, the record or an upload is not as it must be (positions and hints)"),
    503: _problem("the history database cannot be used"),
}
