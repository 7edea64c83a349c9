"""The service's tokens: created once, shown once, stored as SHA-256 hashes.

A token is ``pe_`` and 43 characters of ``secrets.token_urlsafe(32)`` (256 random bits). Only its
SHA-256 is stored: a hash that fast is safe here because nobody can guess 256 random bits (slow
password hashes such as bcrypt exist for guessable passwords), and it lets the service find
a token by an indexed lookup of its hash on every request.

Roles, each with what the ones below it may do:

- ``viewer`` — read the packs, the history's decisions and the rectification ledger, run monitors;
- ``assessor`` — evaluate (which records the evaluation), submit batch jobs, set an item's
  deadline and note, read stored inputs;
- ``admin`` — reload the packs; with no region scope, everything everywhere.

A token's region scope (``浙江省/嘉兴市/海宁市``) limits what it reads and writes to the subjects
in that region (:class:`~policyengine.history.regions.Scope`); no scope means every region.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..errors import PolicyEngineError, Problem
from ..history.regions import Scope
from ..history.store import History, utcnow
from ..history.tables import ApiToken

ROLES = ("viewer", "assessor", "admin")
PREFIX = "pe_"
MAX_TOKEN_LENGTH = 200


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who a request comes from: the token's id, name, role and region scope."""

    token_id: int
    name: str
    role: str
    scope: Scope | None

    def can(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "scope": self.scope.text if self.scope else None}


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    role: str
    scope: str | None
    created_at: datetime
    revoked_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "scope": self.scope,
            "created_at": self.created_at.isoformat(timespec="seconds") + "Z",
            "revoked_at": self.revoked_at.isoformat(timespec="seconds") + "Z" if self.revoked_at else None,
        }


def create_token(history: History, name: str, role: str, scope: str | None = None) -> tuple[str, TokenInfo]:
    """A new token (the only time it is seen) and what is stored about it."""
    if role not in ROLES:
        raise PolicyEngineError(
            [Problem(f"unknown role `{role}`", None, f"use one of {', '.join(ROLES)}", "usage")]
        )
    if not name.strip() or len(name) > 200:
        raise PolicyEngineError([Problem("a token needs a name (1–200 characters)", None, None, "usage")])
    parsed = Scope.parse(scope) if scope else None
    token = PREFIX + secrets.token_urlsafe(32)
    with history.writing() as session:
        row = ApiToken(
            name=name.strip(),
            token_hash=hash_token(token),
            role=role,
            scope=parsed.text if parsed else None,
            created_at=utcnow(),
        )
        session.add(row)
        session.flush()
        return token, _info(row)


def list_tokens(history: History) -> list[TokenInfo]:
    with history.reading() as session:
        return [_info(r) for r in session.scalars(select(ApiToken).order_by(ApiToken.id)).all()]


def revoke_token(history: History, token_id: int) -> TokenInfo | None:
    with history.writing() as session:
        row = session.get(ApiToken, token_id)
        if row is None:
            return None
        if row.revoked_at is None:
            row.revoked_at = utcnow()
        return _info(row)


def authenticate(history: History, token: str) -> Principal | None:
    """The principal a presented token stands for, or None (unknown, revoked, malformed)."""
    if not token.startswith(PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        return None
    with history.reading() as session:
        row = session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
        if row is None or row.revoked_at is not None:
            return None
        return Principal(row.id, row.name, row.role, Scope.parse(row.scope) if row.scope else None)


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(row.id, row.name, row.role, row.scope, row.created_at, row.revoked_at)
