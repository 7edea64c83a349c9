"""The part of a source file a pack covers (``sources[].section``), found in the file's text."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, model_validator

_LINES = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")


class Section(BaseModel):
    """From the line that reads ``from`` up to (not including) the next line that reads ``to``
    (lines compared stripped; without ``to``: to the end), or ``lines: "17-52"`` (both included)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: str | None = Field(default=None, alias="from", min_length=1, description="First line's text")
    to: str | None = Field(default=None, min_length=1, description="Text of the line after the last")
    lines: str | None = Field(default=None, pattern=_LINES.pattern, description='Line range, e.g. "17-52"')

    @model_validator(mode="after")
    def _one_way(self) -> Section:
        if (self.from_ is None) == (self.lines is None):
            raise ValueError("give either `from` (and `to`) or `lines`")
        if self.lines is not None and self.to is not None:
            raise ValueError("`to` goes with `from`, not with `lines`")
        return self


def section_lines(section: Section, raw: str) -> tuple[int, int] | str:
    """The section's first and last line numbers (1-based, both included), or why it is not
    in the text."""
    lines = raw.split("\n")  # lines as numbers.py counts them: only "\n" ends one
    if lines and lines[-1] == "":
        lines.pop()
    if section.lines is not None:
        m = _LINES.match(section.lines)
        assert m is not None  # the pattern was checked when the pack was read
        first, last = int(m.group(1)), int(m.group(2))
        if not 1 <= first <= last <= len(lines):
            return f"lines {section.lines} are not within the file's {len(lines)} lines"
        return first, last
    stripped = [line.strip() for line in lines]
    starts = [i for i, line in enumerate(stripped) if line == section.from_]
    if not starts:
        return f"no line reads “{section.from_}”"
    if len(starts) > 1:  # a table of contents above the text would make the section its TOC
        where = "、".join(str(i + 1) for i in starts[:5])
        return f'{len(starts)} lines read “{section.from_}” (lines {where}); name the section by lines: "N-M"'
    start = starts[0]
    if section.to is None:
        return start + 1, len(lines)
    try:
        end = stripped.index(section.to, start + 1)
    except ValueError:
        return f"no line after “{section.from_}” reads “{section.to}”"
    return start + 1, end
