"""What the checker checks against (:class:`Scope`) and what it produces (:class:`Checked`).

Shared by the checker, which fills a :class:`Checked`, and the compiler, which reads it:
the kind of every node and what every path refers to (a record field, a lambda
variable's field, a parameter, or the evaluation date).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel

from ..models.introspect import TypeInfo
from . import ast
from .functions import Function

#: Names that are not fields: the evaluation date and the parameter namespace.
RESERVED_ROOTS = ("as_of", "param")


@dataclass(frozen=True)
class FieldRef:
    """A record field path; ``var`` is a lambda variable, or None for the record itself."""

    var: str | None
    steps: tuple[str, ...]


@dataclass(frozen=True)
class ParamRef:
    name: str


@dataclass(frozen=True)
class AsOfRef:
    pass


Ref = FieldRef | ParamRef | AsOfRef


@dataclass(frozen=True)
class Scope:
    """What a condition can see."""

    subject: type[BaseModel]
    params: Mapping[str, TypeInfo]
    functions: Mapping[str, Function]


@dataclass
class Checked:
    """Output of the checker: the tree, the kind of every node, what every path means."""

    source: str
    root: ast.Node
    types: dict[ast.Node, TypeInfo] = field(default_factory=dict)
    refs: dict[ast.Path, Ref] = field(default_factory=dict)
    field_paths: set[str] = field(default_factory=set)
    params_used: set[str] = field(default_factory=set)


def same_kind(a: TypeInfo, b: TypeInfo) -> bool:
    """Whether values of kinds ``a`` and ``b`` may meet (compared, in one list, ...)."""
    if "any" in (a.kind, b.kind) or "null" in (a.kind, b.kind):
        return True
    return a.kind == b.kind
