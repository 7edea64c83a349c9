"""A signed report as blocks — headings, paragraphs, cards, charts, tables, the seal block —
built once and drawn twice: as HTML (and from it the PDF, :mod:`.html`, :mod:`.pdf`) and as
DOCX (:mod:`.docx_writer`). Both drawings hold the same words because they draw these blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from .labels import pack_line
from .options import OutputOptions

#: the colour of each tone (verdicts and outcomes): the same in HTML, PDF, DOCX and XLSX
TONE_COLOURS = {"ok": "2E7D32", "bad": "C62828", "warn": "B26A00", "muted": "616161"}
#: each verdict's bar colour in the charts
VERDICT_COLOURS = {
    "compliant": "#2e7d32",
    "non_compliant": "#c62828",
    "incomplete": "#f9a825",
    "not_assessed": "#1565c0",
    "invalid": "#616161",
}


@dataclass(frozen=True)
class Cell:
    text: str
    tone: str | None = None  # a key of TONE_COLOURS


@dataclass
class Heading:
    kind: ClassVar[str] = "heading"
    text: str
    level: int = 2
    id: str | None = None


@dataclass
class Paragraph:
    kind: ClassVar[str] = "paragraph"
    text: str
    note: bool = False  # smaller and grey: an explanation, not a finding
    id: str | None = None


@dataclass
class Card:
    key: str
    label: str
    value: int
    colour: str


@dataclass
class Cards:
    """Big numbers in a row (the verdict counts)."""

    kind: ClassVar[str] = "cards"
    title: str
    items: list[Card]


@dataclass
class Bar:
    label: str
    value: int
    colour: str


@dataclass
class Chart:
    """A horizontal bar chart with a title; bars labelled in full."""

    kind: ClassVar[str] = "chart"
    id: str
    title: str
    bars: list[Bar]


@dataclass
class Table:
    """A titled table: ``widths`` are the columns' shares of the page width (they add to 100);
    ``nowrap`` columns (short codes, counts) never break."""

    kind: ClassVar[str] = "table"
    id: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    widths: list[int]
    nowrap: frozenset[int] = frozenset()
    note: str | None = None


Block = Heading | Paragraph | Cards | Chart | Table


@dataclass
class Party:
    """One column of the seal block: who signs and seals (评估单位 or 出具单位), and its name."""

    role: str
    name: str


@dataclass
class Document:
    """A whole report: title, the lines under it, the blocks, the seal block."""

    title: str
    subtitle: str
    meta: list[tuple[str, str]]
    blocks: list[Block]
    parties: list[Party]
    running_head: str
    replaced: int = 0  # characters the file could not hold (set by the HTML writer)
    extra: dict[str, Any] = field(default_factory=dict)


def generated_text(moment: datetime) -> str:
    """``2023-06-30 14:05``: the generation time as the reports print it."""
    return moment.strftime("%Y-%m-%d %H:%M")


def meta_lines(
    options: OutputOptions, as_of: date, generated_at: datetime, source: str | None = None
) -> list[tuple[str, str]]:
    """The lines under a report's title: issuer, assessor, as-of date, generation time, input."""
    lines = [
        ("出具单位", options.issuer or ""),
        ("评估单位", options.assessor or ""),
        ("评估基准日", as_of.isoformat()),
        ("生成时间", generated_text(generated_at)),
    ]
    if source or options.source:
        lines.append(("数据来源", source or options.source or ""))
    return [(k, v) for k, v in lines if v]


def packs_table(packs: list[dict[str, Any]], empty: str = "无:没有一条记录得到评估结果") -> Table:
    """表 评估依据: each pack with its version and content hash (which file the verdicts rest on)."""
    return Table(
        id="packs",
        title="评估依据(政策包)",
        headers=["政策包", "版本", "内容哈希(SHA-256)"],
        rows=[
            [
                Cell(p["title"]["zh"]),
                Cell(str(p["version"])),
                Cell(str(p["content_hash"]).removeprefix("sha256:")),
            ]
            for p in packs
        ],
        widths=[38, 10, 52],
        nowrap=frozenset({1}),
        note=None if packs else empty,
    )


def parties(options: OutputOptions) -> list[Party]:
    """The seal block's columns: 评估单位 (the assessor, or a blank to fill in by hand), and
    出具单位 when an issuer other than the assessor is given."""
    out = [Party("评估单位(盖章)", options.assessor or "")]
    if options.issuer and options.issuer != options.assessor:
        out.append(Party("出具单位(盖章)", options.issuer))
    return out


def running_head(options: OutputOptions, title: str) -> str:
    """What the top of each printed page says: issuer and title."""
    return " · ".join(p for p in (options.issuer, title) if p)


def packs_summary(packs: list[dict[str, Any]]) -> str:
    return "、".join(pack_line(p) for p in packs)
