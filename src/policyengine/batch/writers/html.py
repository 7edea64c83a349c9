"""The HTML assessment report: one self-contained file (inline CSS and SVG charts), in Chinese,
that prints well. Up to MAX_ROWS subjects are listed in full; the XLSX/JSONL outputs hold all.

Text from the rows and packs is HTML-escaped by the template (autoescape) and by
:func:`bar_chart`; what the page cannot hold (characters XML cannot: control characters, lone
surrogates, U+FFFE, U+FFFF) becomes U+FFFD, counted in a note on the page and on the console.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from ..._text import xml_text
from ...outcomes import ROW_STATUSES
from ..rows import ResultRow
from ..summary import OutputChanges, Summary
from .base import Writer
from .tables import detail_rows, result_row

MAX_ROWS = 500

VERDICT_COLOURS = {
    "compliant": "#2e7d32",
    "non_compliant": "#c62828",
    "incomplete": "#f9a825",
    "not_assessed": "#1565c0",
    "invalid": "#616161",
}


@dataclass
class Bar:
    label: str
    value: int
    colour: str


def bar_chart(bars: list[Bar], title: str, width: int = 640, bar_height: int = 26) -> str:
    """A horizontal bar chart as inline SVG (no script, prints as vectors)."""
    label_w = 230
    top = 30
    height = top + max(1, len(bars)) * (bar_height + 8) + 10
    biggest = max((b.value for b in bars), default=0) or 1
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="18" class="chart-title">{escape(title)}</text>',
    ]
    for i, b in enumerate(bars):
        y = top + i * (bar_height + 8)
        w = int((width - label_w - 60) * b.value / biggest)
        label = b.label if len(b.label) <= 16 else b.label[:15] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar_height * 0.7:.0f}" text-anchor="end" '
            f'class="bar-label">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{y}" width="{max(w, 1)}" height="{bar_height}" '
            f'fill="{b.colour}" data-value="{b.value}"><title>{escape(b.label)}: {b.value}</title></rect>'
        )
        parts.append(
            f'<text x="{label_w + max(w, 1) + 6}" y="{y + bar_height * 0.7:.0f}" '
            f'class="bar-value">{b.value}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


@functools.cache
def _template() -> Any:
    """The report template, compiled once per process (60-140 ms each time otherwise). Jinja2
    (the `assess` extra, slow to import) loads only when an HTML report is written."""
    from jinja2 import Environment, select_autoescape

    env = Environment(autoescape=select_autoescape(default=True))
    return env.from_string(
        (files("policyengine.batch.writers") / "templates" / "report.html").read_text(encoding="utf-8")
    )


class HtmlWriter(Writer):
    """The report page: summary cards, charts, the table by district, then the details."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: list[list[Any]] = []
        self.details: list[dict[str, Any]] = []
        self.shown = 0

    def write(self, row: ResultRow) -> None:
        if self.shown >= MAX_ROWS:
            return
        self.shown += 1
        self.rows.append(result_row(row))
        items = detail_rows(row)
        if items or row.errors:
            self.details.append({"row": result_row(row), "findings": items, "verdict": row.verdict})

    def close(self, summary: Summary) -> None:
        template = _template()
        data = summary.to_dict()
        labels = {status.value: status.label_zh for status in ROW_STATUSES}
        verdict_bars = [Bar(labels[v], data["verdicts"].get(v, 0), VERDICT_COLOURS[v]) for v in labels]
        rule_bars = [
            Bar(f"{r['rule']} {r.get('title', '')}", r["count"], "#c62828") for r in data["top_failed_rules"]
        ]
        values = dict(
            s=data,
            verdict_zh=labels,
            verdict_colours=VERDICT_COLOURS,
            verdict_chart=bar_chart(verdict_bars, "结论分布"),
            rules_chart=bar_chart(rule_bars, "不符合次数最多的规则") if rule_bars else "",
            rows=self.rows,
            details=self.details,
            truncated=summary.rows > self.shown,
            shown=self.shown,
            errors=summary.errors,
            error_count=summary.error_count,
        )
        html, replaced = xml_text(template.render(**values, replaced=0))
        if replaced:  # once more, saying so at the top (the note holds nothing to replace)
            html, _ = xml_text(template.render(**values, replaced=replaced))
        changes = OutputChanges(replaced=replaced)
        summary.note_changes(self.path, changes)
        self.path.write_text(html, encoding="utf-8")
