"""Reading one ``pack.yaml``: positioned data, the schema check, and what can be salvaged.

Every position (file, line, column, the line's text) a later pass reports comes from here.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .._yaml import Pos, YamlMap, load_yaml_file, locate, value_pos
from ..errors import Location, PackError, PackNotFoundError, Problem
from ..models.base import pydantic_problems
from .schema import (
    CorrelationEntry,
    Monitor,
    NotChecked,
    PackFile,
    PackMeta,
    Parameter,
    Rule,
    Scorecard,
    Source,
)

PACK_FILE = "pack.yaml"


@dataclass
class PackSourceFile:
    """One ``pack.yaml`` as read: its text, its positioned data and its validated model."""

    path: Path
    lines: list[str]
    data: Any
    model: PackFile
    #: schema problems found while reading; compilation goes on with what was valid
    problems: list[Problem] = field(default_factory=list)
    #: position of each of ``model.rules`` in the file's `rules:` list
    rule_index: list[int] | None = None
    #: parameters declared but invalid: rules may still name them without a second error
    broken_params: frozenset[str] = frozenset()

    def location(self, loc: tuple[Any, ...], *, value: bool = False) -> Location:
        pos = value_pos(self.data, loc) if value else locate(self.data, loc)[0]
        return self._loc(pos, loc)

    def _loc(self, pos: Pos | None, loc: tuple[Any, ...], length: int = 1) -> Location:
        if pos is None:
            return Location(str(self.path), path=_loc_text(loc))
        text = self.lines[pos.line - 1] if 0 < pos.line <= len(self.lines) else None
        return Location(str(self.path), pos.line, pos.column, text, length, _loc_text(loc))

    def expr_location(self, loc: tuple[Any, ...], expr: str, start: int, end: int, base: int = 0) -> Location:
        """Location of characters ``start:end`` of the expression stored at ``loc``.

        ``base`` is the expression's offset inside the YAML string (message templates).
        """
        pos = value_pos(self.data, loc)
        if pos is None:
            return self._loc(None, loc)
        start += base
        end += base
        full = self._value_text(loc)
        length = max(1, end - start)
        if pos.style in (None, "'", '"') and "\n" not in full:
            quote = 1 if pos.style in ("'", '"') else 0
            line = pos.line
            col = pos.column + quote + start
            return self._loc(Pos(line, col), loc, length)
        if pos.style == "|":
            line_index = full.count("\n", 0, start)
            line_start = full.rfind("\n", 0, start) + 1
            line_no = pos.line + 1 + line_index
            if line_no <= len(self.lines):
                text = self.lines[line_no - 1]
                indent = len(text) - len(text.lstrip(" "))
                return self._loc(Pos(line_no, indent + (start - line_start) + 1), loc, length)
        # Folded or multi-line plain scalars: find the token's text in the lines below.
        token = full[start:end].strip() or full[start : start + 1]
        for line_no in range(pos.line, min(len(self.lines), pos.line + 200) + 1):
            col = self.lines[line_no - 1].find(token) if token else -1
            if col >= 0:
                return self._loc(Pos(line_no, col + 1), loc, len(token))
        return self._loc(pos, loc)

    def _value_text(self, loc: tuple[Any, ...]) -> str:
        node: Any = self.data
        for step in loc:
            node = node[step]
        return str(node)


def _loc_text(loc: tuple[Any, ...]) -> str:
    out = ""
    for step in loc:
        if isinstance(step, date):
            step = step.isoformat()
        out += f"[{step}]" if isinstance(step, int) else ("." if out else "") + str(step)
    return out


def read_pack_file(directory: Path) -> PackSourceFile:
    """Read and schema-check one pack directory's ``pack.yaml`` (no ``extends:`` yet)."""
    path = directory / PACK_FILE if directory.is_dir() else directory
    if not path.exists():
        raise PackNotFoundError(
            [
                Problem(
                    f"no {PACK_FILE} here",
                    Location(str(path)),
                    "a pack is a directory holding pack.yaml",
                    "not-found",
                )
            ]
        )
    data = load_yaml_file(path, inside=path.parent)
    lines = path.read_text(encoding="utf-8-sig").split("\n")
    if not isinstance(data, YamlMap):
        raise PackError(
            [
                Problem(
                    "a pack file must be a mapping with a `pack:` section",
                    Location(str(path), 1, 1),
                    None,
                    "schema",
                )
            ]
        )
    try:
        model = PackFile.model_validate(data)
    except ValidationError as exc:
        stub = PackSourceFile(path, lines, data, PackFile.model_construct())  # type: ignore[call-arg]
        locs: list[tuple[Any, ...]] = []

        def where(loc: tuple[Any, ...]) -> Location:
            locs.append(loc)
            return stub.location(loc)

        problems = [
            _flow_comma_hint(p, loc, data)
            for p, loc in zip(pydantic_problems(exc, PackFile, where, code="schema"), locs, strict=True)
        ]
        salvaged, index = _salvage(data)
        if salvaged is None:
            raise PackError(problems) from None
        raw = data.get("parameters")
        broken = (
            frozenset(str(n) for n in raw if str(n) not in salvaged.parameters)
            if isinstance(raw, dict)
            else frozenset()
        )
        return PackSourceFile(path, lines, data, salvaged, problems, index, broken)
    return PackSourceFile(path, lines, data, model)


def _flow_comma_hint(problem: Problem, loc: tuple[Any, ...], data: Any) -> Problem:
    """`{quote: a, b}` makes `b` a key: say so instead of "unknown field `b`"."""
    if not problem.message.startswith("unknown field") or not loc:
        return problem
    parent: Any = data
    for step in loc[:-1]:
        try:
            parent = parent[step]
        except (KeyError, IndexError, TypeError):
            return problem
    key = str(loc[-1])
    if isinstance(parent, YamlMap) and parent.pos.style == "{" and not (key.isascii() and key.isidentifier()):
        return Problem(
            problem.message,
            problem.location,
            "inside `{...}` a comma ends the value; put text that contains a comma in quotes, "
            'e.g. quote: "每个社区试点经费为30万元,共计300万元"',
            problem.code,
        )
    return problem


def _salvage(data: YamlMap) -> tuple[PackFile | None, list[int]]:
    """The valid parts of an invalid pack file, so that conditions can still be checked.

    Returns None when even the `pack:` header is unusable.
    """
    try:
        meta = PackMeta.model_validate(data.get("pack"))
    except ValidationError:
        return None, []

    def good(model: type[BaseModel], items: Any) -> list[tuple[int, Any]]:
        out = []
        for i, item in enumerate(items if isinstance(items, list) else []):
            with contextlib.suppress(ValidationError):
                out.append((i, model.model_validate(item)))
        return out

    params: dict[str, Parameter] = {}
    raw_params = data.get("parameters")
    if isinstance(raw_params, dict):
        for name, raw in raw_params.items():
            with contextlib.suppress(ValidationError):
                params[str(name)] = Parameter.model_validate(raw)
    rules = good(Rule, data.get("rules"))
    extends = data.get("extends")
    model = PackFile.model_construct(
        pack=meta,
        extends=extends if isinstance(extends, str) else None,
        sources=[s for _, s in good(Source, data.get("sources"))],
        parameters=params,
        rules=[r for _, r in rules],
        remove=None,
        not_checked=[n for _, n in good(NotChecked, data.get("not_checked"))],
        scorecards=[c for _, c in good(Scorecard, data.get("scorecards"))],
        monitors=[x for _, x in good(Monitor, data.get("monitors"))],
        correlations=[x for _, x in good(CorrelationEntry, data.get("correlations"))],
    )
    return model, [i for i, _ in rules]
