"""Where a subject is, and which subjects a region scope covers.

A region is written from the province down, levels separated by ``/``:
``浙江省/嘉兴市/海宁市`` (a county), ``浙江省/嘉兴市`` (a city). Names compare without spaces
or their administrative suffix (海宁 = 海宁市), as a pack's region does.

A scope covers a subject when the subject states the scope's most specific level with the same
name, and every other level both state agrees. A record that names only its county (海宁市)
is covered by the county's scope 浙江省/嘉兴市/海宁市; one in 江苏省 with a county of the same
name is not; one that states no region is covered by no scope (only by an unscoped token).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from ..errors import PolicyEngineError, Problem
from ..evaluate.scope import place
from .tables import RegionColumns

LEVELS = ("province", "city", "county", "township")
LEVEL_ZH = {"province": "省", "city": "市", "county": "县(市、区)", "township": "乡镇(街道)"}
MAX_NAME = 100


@dataclass(frozen=True)
class Region:
    """A place as written (``names``) and as compared (``keys``), by level."""

    names: tuple[str | None, ...] = (None, None, None, None)

    @property
    def keys(self) -> tuple[str | None, ...]:
        return tuple(place(n) if n else None for n in self.names)

    @property
    def stated(self) -> bool:
        return any(self.names)

    def text(self) -> str | None:
        """``浙江省 嘉兴市 海宁市`` (down to the county: the trend's regions), or None when none
        of those levels is stated."""
        return " ".join(n for n in self.names[:3] if n) or None

    def columns(self) -> dict[str, Any]:
        """The :class:`~.tables.RegionColumns` values of this region."""
        keys = self.keys
        return {"region": self.text(), **{f"{level}_key": keys[i] for i, level in enumerate(LEVELS)}}

    @classmethod
    def of(cls, region: Any) -> Region:
        """The region of a record's ``region`` (a model or a mapping; None: not stated)."""
        if region is None:
            return cls()
        names: list[str | None] = []
        for level in LEVELS:
            value = region.get(level) if isinstance(region, Mapping) else getattr(region, level, None)
            text = str(value).strip()[:MAX_NAME] if value is not None else ""
            names.append(text or None)
        return cls(tuple(names))


@dataclass(frozen=True)
class Scope:
    """A region scope: the levels from the province down to the most specific one given."""

    text: str
    keys: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Scope:
        """``浙江省/嘉兴市/海宁市`` → a scope; raises :class:`PolicyEngineError` if malformed."""
        parts = [p.strip() for p in text.split("/")]
        if not text.strip() or any(not p for p in parts) or len(parts) > len(LEVELS):
            raise PolicyEngineError(
                [
                    Problem(
                        f"`{text}` is not a region scope (地区范围格式不对)",
                        None,
                        "write the levels from the province down, separated by /: 浙江省/嘉兴市/海宁市",
                        "usage",
                    )
                ]
            )
        if any(len(p) > MAX_NAME for p in parts):
            raise PolicyEngineError([Problem("a place name is too long", None, None, "usage")])
        return cls("/".join(parts), tuple(place(p) for p in parts))

    def covers(self, region: Region) -> bool:
        """Whether a subject in ``region`` is inside this scope (see the module)."""
        theirs = region.keys
        last = len(self.keys) - 1
        for i, key in enumerate(self.keys):
            if theirs[i] is None and i < last:
                continue
            if theirs[i] != key:
                return False
        return True

    def where(self, table: type[RegionColumns]) -> ColumnElement[bool]:
        """The same test as :meth:`covers`, as SQL over a table with region columns."""
        last = len(self.keys) - 1
        terms: list[ColumnElement[bool]] = []
        for i, key in enumerate(self.keys):
            column = getattr(table, f"{LEVELS[i]}_key")
            terms.append(column == key if i == last else or_(column.is_(None), column == key))
        return and_(*terms)

    def name_zh(self) -> str:
        return "".join(self.text.split("/"))


def region_filter(table: type[RegionColumns], region: str | None) -> ColumnElement[bool] | None:
    """A filter for ``--region`` (the same rule as a token's scope), or None for all."""
    return Scope.parse(region).where(table) if region else None
