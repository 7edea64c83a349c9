"""Who may do what: the bearer token of each request, its role and its region scope.

``Authorization: Bearer pe_…``. Reading the packs and the health check need no token; every
other read needs one (viewer or more), every write an assessor's (evaluating records the
evaluation), reloading an admin's (:mod:`.tokens` describes the roles). A token with a region
scope sees only the subjects in its region, and may write only about them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..errors import Problem
from ..history.regions import Region
from .problems import ProblemError
from .tokens import Principal, authenticate

bearer = HTTPBearer(auto_error=False, description="a token from `policyengine serve token create`")


def _principal(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ProblemError(
            "unauthorized",
            "this needs a token (Authorization: Bearer …)",
            [Problem("no token given", None, "create one with `policyengine serve token create`", "auth")],
        )
    principal = authenticate(request.app.state.service.history, credentials.credentials)
    if principal is None:
        raise ProblemError(
            "unauthorized",
            "the token is unknown or revoked",
            [Problem("unknown or revoked token", None, None, "auth")],
        )
    return principal


def role(needed: str) -> Callable[..., Principal]:
    """A dependency: the request's principal, which must hold ``needed`` (or a higher role)."""

    def dependency(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
    ) -> Principal:
        principal = _principal(request, credentials)
        if not principal.can(needed):
            raise ProblemError(
                "forbidden",
                f"a {principal.role} token may not do this; it needs {needed} or more",
                [
                    Problem(
                        f"role {principal.role} < {needed}",
                        None,
                        "ask an admin for a token with that role",
                        "auth",
                    )
                ],
            )
        return principal

    return dependency


Viewer = Annotated[Principal, Depends(role("viewer"))]
Assessor = Annotated[Principal, Depends(role("assessor"))]
Admin = Annotated[Principal, Depends(role("admin"))]


def check_history_scope(principal: Principal, history: Any, kind: str, subject_id: Any) -> None:
    """A scoped token may not write about a subject the history has from outside its scope
    (naming another county's station id, and claiming its own county, would move that
    county's rectification items)."""
    if principal.scope is None or not subject_id:
        return
    if history.elsewhere(kind, str(subject_id), principal.scope):
        raise ProblemError(
            "out-of-scope",
            f"{kind} {subject_id} was evaluated before outside the token's region ({principal.scope.text})",
            [
                Problem(
                    f"该编号的记录曾在令牌范围({principal.scope.name_zh()})以外的地区评估,不能以本令牌写入",
                    None,
                    "check the record's id, or use a token of the subject's region",
                    "scope",
                )
            ],
        )


def check_scope(principal: Principal, record: Any) -> Region:
    """The record's region, which must lie in the principal's scope (to write about it)."""
    region = Region.of(record.get("region") if isinstance(record, dict) else getattr(record, "region", None))
    if principal.scope is not None and not principal.scope.covers(region):
        where = region.text() or "未写明 / not stated"
        raise ProblemError(
            "out-of-scope",
            f"the record's region ({where}) is outside the token's ({principal.scope.text})",
            [
                Problem(
                    f"记录所在地区({where})不在令牌范围({principal.scope.name_zh()})内",
                    None,
                    "use a token of that region, or state the record's region (province, city, county)",
                    "scope",
                )
            ],
        )
    return region
