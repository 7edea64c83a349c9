"""Numbers in a pack's section of its sources that nothing in the pack cites.

A pack names the part of each source file it covers (``sources[].section``). Every figure in
that part — 3%, 20万元, 2022, 14 — is either inside the quote of some parameter, rule,
monitor, batch check, indicator or ``not_checked`` entry, or it is listed here, so that
nothing in the text is skipped without a word. Figures the web capture lost ("建成社工站个")
cannot be found by looking for digits: a pack lists those as ``not_checked`` with
``capture_loss: true``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .merge import Resolver, merge, read_chain
from .quotes import SourceText, SourceTexts, citations, cited_source, fragments
from .sections import section_lines

#: A figure as written: digits (ASCII or full-width), a decimal part, a percent sign.
NUMBER = re.compile(r"[0-9０-９]+(?:[.．][0-9０-９]+)?\s*[%％]?")
#: Characters of context shown on each side of an uncited figure.
CONTEXT = 14


@dataclass(frozen=True)
class Uncited:
    """A figure in the section that no quote covers."""

    line: int
    number: str
    context: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "number": self.number, "context": self.context}


@dataclass
class SectionNumbers:
    """One source of the pack: its section's lines, and the figures no quote covers."""

    source: str
    file: str | None
    lines: tuple[int, int] | None = None
    problem: str | None = None  # why the section could not be read (no file, no section, ...)
    figures: int = 0
    uncited: list[Uncited] = field(default_factory=list)
    #: passages of the section the pack's own ``not_checked`` marks ``capture_loss`` (a figure
    #: lost in the web capture cannot be found by looking for digits)
    lost: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "file": self.file,
            "lines": list(self.lines) if self.lines else None,
            "problem": self.problem,
            "figures": self.figures,
            "uncited": [u.to_dict() for u in self.uncited],
            "capture_loss_passages": self.lost,
        }


def uncited_numbers(directory: Path, resolve: Resolver, texts: SourceTexts) -> list[SectionNumbers]:
    """For each source the pack at ``directory`` declares itself (not those it inherits), the
    figures in its section that no quote of the pack, or of what it extends, covers."""
    merged = merge(read_chain(directory, resolve))
    own = merged.chain[0].model.sources
    spans: dict[str, list[tuple[int, int]]] = {}
    loaded: dict[str, SourceText] = {}
    for q in citations(merged):
        found = cited_source(q, merged)
        if found is None or not found[0].file or not q.cite.quote:
            continue
        text = texts.get(found[0].file)
        if isinstance(text, SourceText):
            loaded[found[0].file] = text
            spans.setdefault(found[0].file, []).extend(_quote_spans(q.cite.quote, text))
    out: list[SectionNumbers] = []
    mine = merged.chain[0].model.not_checked
    for source in own:
        row = SectionNumbers(source.id, source.file)
        row.lost = sum(1 for nc in mine if nc.capture_loss and (nc.cite.source or own[0].id) == source.id)
        out.append(row)
        if source.file is None:
            row.problem = "no captured file"
            continue
        text = loaded.get(source.file) or texts.get(source.file)
        if not isinstance(text, SourceText):
            row.problem = text
            continue
        if source.section is None:
            row.problem = "the pack does not name its section of the file (sources[].section)"
            continue
        lines = section_lines(source.section, text.norm.raw)
        if isinstance(lines, str):
            row.problem = lines
            continue
        row.lines = lines
        _scan(row, text.norm.raw, lines, spans.get(source.file, []))
    return out


def _quote_spans(quote: str, text: SourceText) -> list[tuple[int, int]]:
    """Where each part of the quote occurs in the raw text (every occurrence: a short quote
    that occurs twice covers both places)."""
    out: list[tuple[int, int]] = []
    norm = text.norm
    for frag, _ in fragments(quote):
        start = norm.text.find(frag)
        while start >= 0:
            out.append((norm.origin[start], norm.origin[start + len(frag) - 1] + 1))
            start = norm.text.find(frag, start + 1)
    return out


def _scan(row: SectionNumbers, raw: str, lines: tuple[int, int], spans: list[tuple[int, int]]) -> None:
    offsets = [0, *(i + 1 for i, ch in enumerate(raw) if ch == "\n")]  # where each line starts
    if offsets[-1] < len(raw):
        offsets.append(len(raw))  # the last line has no "\n"
    first, last = lines
    begin, end = offsets[first - 1], offsets[min(last, len(offsets) - 1)]
    for m in NUMBER.finditer(raw, begin, end):
        row.figures += 1
        a = m.start()
        b = a + len(m.group().rstrip().rstrip("%％").rstrip())  # the digits, not the space after
        if any(s <= a and b <= e for s, e in spans):
            continue
        number = raw.count("\n", 0, a) + 1
        line_start = raw.rfind("\n", 0, a) + 1
        line_end = raw.find("\n", a)
        line_end = len(raw) if line_end < 0 else line_end
        context = raw[max(line_start, a - CONTEXT) : min(line_end, m.end() + CONTEXT)].strip()
        row.uncited.append(Uncited(number, m.group().strip(), context))
