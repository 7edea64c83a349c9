"""The library's exceptions.

One base class, :class:`PolicyEngineError`, and precise subclasses. Every error carries
structured :class:`Problem` objects (file, line, column, the offending text with a caret,
a hint), so callers never need to parse message strings. ``str(error)`` renders them the
way the command line prints them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import get_close_matches

__all__ = [
    "ConditionError",
    "ConditionLimitError",
    "ConditionSyntaxError",
    "ConditionTypeError",
    "EvaluationLimitError",
    "Location",
    "PackError",
    "PackNotFoundError",
    "PluginError",
    "PolicyEngineError",
    "Problem",
    "RecordError",
    "UnknownFieldError",
    "UnknownFunctionError",
    "did_you_mean",
]


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """Return the closest candidate to ``word``, or None when nothing is close."""
    matches = get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


@dataclass(frozen=True)
class Location:
    """Where a problem is: a file (or a record), 1-based line and column, and the line's text."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    source_line: str | None = None
    length: int = 1
    path: str | None = None  # a field path inside a record or pack, e.g. "rules[3].require"

    def prefix(self) -> str:
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        text = ":".join(parts)
        if self.path:
            text += f" ({self.path})"
        return text


@dataclass(frozen=True)
class Problem:
    """One thing that is wrong, where it is, and what to do about it."""

    message: str
    location: Location | None = None
    hint: str | None = None
    code: str = "error"

    def render(self) -> str:
        head = f"{self.location.prefix()}: " if self.location else ""
        lines = [f"{head}{self.message}"]
        loc = self.location
        if loc and loc.source_line is not None and loc.column is not None:
            text = loc.source_line.rstrip("\n")
            lines.append(f"    | {text}")
            # Align the caret under wide (CJK) characters too.
            pad = "".join(_pad_for(ch) for ch in text[: loc.column - 1])
            width = sum(len(_pad_for(ch)) for ch in text[loc.column - 1 : loc.column - 1 + loc.length])
            lines.append(f"    | {pad}{'^' * max(1, width)}")
        if self.hint:
            lines.append(f"    = hint: {self.hint}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        loc = self.location
        return {
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "file": loc.file if loc else None,
            "line": loc.line if loc else None,
            "column": loc.column if loc else None,
            "path": loc.path if loc else None,
        }


def _pad_for(ch: str) -> str:
    if ch == "\t":
        return "\t"
    return "  " if unicodedata.east_asian_width(ch) in ("W", "F") else " "


class PolicyEngineError(Exception):
    """Base class of every error the library raises on purpose."""

    #: exit code the command line uses for this error
    exit_code = 2

    def __init__(self, problems: Sequence[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        self.problems: list[Problem] = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(p.render() for p in self.problems)


class PackError(PolicyEngineError):
    """A pack could not be loaded: YAML, schema, condition or reference problems (all of them)."""


class PackNotFoundError(PackError):
    """No registered pack has the requested id, and no directory has that path."""


class PluginError(PolicyEngineError):
    """A plugin registered something inconsistent (two packs with one id, a bad function)."""


class RecordError(PolicyEngineError):
    """A record does not fit its subject model (wrong type, unknown key, bad amount...)."""


class EvaluationLimitError(PolicyEngineError):
    """A condition used more evaluation steps than the budget allows."""


class EvaluationError(PolicyEngineError):
    """A condition failed while evaluating (division by zero, a function raising, ...)."""


class ConditionError(PolicyEngineError):
    """A problem in one condition expression.

    ``start``/``end`` are 0-based character offsets into ``source`` (the expression text);
    the pack loader turns them into file line and column.
    """

    code = "condition"

    def __init__(
        self,
        message: str,
        source: str = "",
        start: int = 0,
        end: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.start = start
        self.end = end if end is not None else start + 1
        self.hint = hint
        line_no, col, text = _line_col(source, start)
        loc = Location(
            file="<condition>",
            line=line_no,
            column=col,
            source_line=text,
            length=max(1, min(self.end, start + len(text) - col + 1) - start),
        )
        super().__init__([Problem(message, loc, hint, self.code)])


def _line_col(source: str, offset: int) -> tuple[int, int, str]:
    """1-based line and column of ``offset`` in ``source``, and that line's text."""
    offset = max(0, min(offset, len(source)))
    line_start = source.rfind("\n", 0, offset) + 1
    line_end = source.find("\n", offset)
    if line_end == -1:
        line_end = len(source)
    line_no = source.count("\n", 0, offset) + 1
    return line_no, offset - line_start + 1, source[line_start:line_end]


class ConditionSyntaxError(ConditionError):
    """The expression does not follow the grammar."""

    code = "syntax"


class UnknownFieldError(ConditionError):
    """A field path names nothing in the subject model (or a parameter the pack lacks)."""

    code = "unknown-field"


class UnknownFunctionError(ConditionError):
    """A call names no function in the function table."""

    code = "unknown-function"


class ConditionTypeError(ConditionError):
    """Operands that cannot go together (a date compared with a number, ...)."""

    code = "type"


class ConditionLimitError(ConditionError):
    """The expression is too long, too deep or too large to accept."""

    code = "limit"
