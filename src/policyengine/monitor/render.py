"""A monitor run's result and its renderings (``policyengine monitor --format``): JSON,
Markdown and a terminal table, registered as the built-in monitor formats."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from io import StringIO
from typing import Any

from .._text import markup_text, terminal_text
from ..outcomes import Outcome
from .findings import MonitorFinding

#: what a window without a start leaves out, for readers of every format
NO_START = {
    "zh": "未给出观察期起点:各组自其首个事件所在周期起判断,此前的周期未判断",
    "en": "no window start given: each group is judged from its first event's period; "
    "earlier periods were not judged",
}
WINDOW_NOT_GIVEN = {
    "zh": "观察期 至 {until}(" + NO_START["zh"] + ")",
    "en": "window to {until} (" + NO_START["en"] + ")",
}


@dataclass(frozen=True)
class MonitorResult:
    """What one monitor run concluded: the findings to show, and counts over all of them."""

    backend: str
    until: date | None
    events: int
    findings: tuple[MonitorFinding, ...]  # the findings shown (all, or those not passing)
    counts: dict[str, int]  # every finding, by outcome
    start: date | None = None  # the observation window's first day (None: not given)

    @classmethod
    def of(
        cls,
        backend: str,
        until: date | None,
        events: int,
        findings: list[MonitorFinding],
        show_all: bool,
        start: date | None = None,
    ) -> MonitorResult:
        shown = findings if show_all else [f for f in findings if f.outcome is not Outcome.PASS]
        counts = {
            o: sum(1 for f in findings if f.outcome.value == o) for o in ("pass", "fail", "unknown", "error")
        }
        return cls(backend, until, events, tuple(shown), counts, start)

    def window(self, lang: str = "zh") -> str:
        """The observation window in words, saying so when no start was given."""
        until = self.until.isoformat() if self.until else "—"
        if self.start is not None:
            return f"观察期 {self.start} 至 {until}" if lang != "en" else f"window {self.start} to {until}"
        return WINDOW_NOT_GIVEN[lang if lang == "en" else "zh"].format(until=until)

    @property
    def ok(self) -> bool:
        """No finding failed or could not be evaluated."""
        return not (self.counts["fail"] or self.counts["error"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "from": self.start.isoformat() if self.start else None,
            "until": self.until.isoformat() if self.until else None,
            # None when the window has a start; otherwise what that leaves unjudged
            "window_note": None if self.start else dict(NO_START),
            "events": self.events,
            "findings": [f.to_dict() for f in self.findings],
        }


def render_json(result: MonitorResult, lang: str = "zh") -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False, indent=2)


def render_markdown(result: MonitorResult, lang: str = "zh") -> str:
    zh = lang != "en"
    lines = [
        f"# {'监测结果' if zh else 'Monitoring'} ({result.backend}, {result.start or '—'} – {result.until})",
        "",
        result.window(lang),
        "",
        "| monitor | outcome | message | clause | events |",
        "|---|---|---|---|---|",
    ]
    for f in result.findings:
        lines.append(
            f"| `{f.monitor}` | {f.outcome.label_zh if zh else f.outcome.value} | "
            f"{f.message['zh' if zh else 'en']} | {f.citation.clause} | {', '.join(f.events)} |"
        )
    return "\n".join(lines)


def render_table(result: MonitorResult, lang: str = "zh") -> str:
    """A terminal table (rich). Text from the pack and the event log shows as written: rich
    markup escaped, control characters as U+FFFD (:func:`policyengine._text.terminal_text`)."""
    from rich.console import Console  # the terminal table only: rich loads when it is asked for
    from rich.table import Table

    zh = lang != "en"
    table = Table(
        "monitor",
        "结果" if zh else "outcome",
        "说明" if zh else "message",
        "依据" if zh else "clause",
        "事件" if zh else "events",
        expand=True,
    )
    for f in result.findings:
        table.add_row(
            markup_text(f.monitor),
            f.outcome.label_zh if zh else f.outcome.value,
            markup_text(f.message["zh" if zh else "en"]),
            markup_text(f.citation.clause),
            markup_text("\n".join(f.events)),
        )
    console = Console(width=140, record=True, file=StringIO(), emoji=False)
    console.print(f"{result.events} events, backend {terminal_text(result.backend)}", markup=False)
    console.print(terminal_text(result.window(lang)), markup=False)
    console.print(table)
    console.print("  ".join(f"{k} {v}" for k, v in result.counts.items()), markup=False)
    return console.export_text()


FORMATS = {"json": render_json, "markdown": render_markdown, "table": render_table}
