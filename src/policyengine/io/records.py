"""Records from YAML, JSON and JSON Lines files.

Each record comes with a label naming where it came from (``file``, ``file[3]``,
``file:12``) so that an error can point at it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from .._yaml import MAX_RECORD_YAML_BYTES, load_yaml_file, strip_positions
from ..errors import Location, PackError, Problem, RecordError

SUFFIXES = (".yaml", ".yml", ".json", ".jsonl")


def _unreadable(path: Path, line: int | None, exc: Exception) -> Problem:
    why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:200]
    return Problem(
        f"the JSON cannot be read: {why} (无法读取)", Location(str(path), line), "check the value", "input"
    )


def read_records(path: Path) -> Iterator[tuple[str, Any]]:
    """Yield ``(label, record)`` pairs. Raises :class:`RecordError` for unreadable files."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise RecordError([Problem("no such file", Location(str(path)), None, "input")])
    if suffix in (".yaml", ".yml"):
        try:
            data = strip_positions(load_yaml_file(path, MAX_RECORD_YAML_BYTES))
        except PackError as exc:
            raise RecordError(exc.problems) from None
        yield from _many(path, data)
    elif suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"), parse_float=_decimal)
        except json.JSONDecodeError as exc:
            raise RecordError(
                [Problem(f"invalid JSON: {exc.msg}", Location(str(path), exc.lineno, exc.colno))]
            ) from None
        except (ValueError, RecursionError) as exc:  # a 5,000-digit integer, deep nesting
            raise RecordError([_unreadable(path, None, exc)]) from None
        yield from _many(path, data)
    elif suffix == ".jsonl":
        with path.open(encoding="utf-8-sig", errors="surrogateescape") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    yield f"{path}:{n}", json.loads(line, parse_float=_decimal)
                except json.JSONDecodeError as exc:
                    raise RecordError(
                        [Problem(f"invalid JSON: {exc.msg}", Location(str(path), n, exc.colno))]
                    ) from None
                except (ValueError, RecursionError) as exc:
                    raise RecordError([_unreadable(path, n, exc)]) from None
    else:
        raise RecordError(
            [
                Problem(
                    f"cannot read {suffix or 'this'} files",
                    Location(str(path)),
                    f"give one of {', '.join(SUFFIXES)}",
                    "input",
                )
            ]
        )


def _decimal(text: str) -> Any:
    return Decimal(text)


def _many(path: Path, data: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(data, list):
        for i, item in enumerate(data):
            yield f"{path}[{i}]", item
    else:
        yield str(path), data
