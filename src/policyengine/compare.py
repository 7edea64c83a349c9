"""One subject under several packs, side by side: which clauses each region fails it on."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from io import StringIO
from typing import Any

from ._text import markup_text, terminal_text
from .evaluate.engine import Engine
from .outcomes import Verdict


@dataclass(frozen=True)
class Comparison:
    """One record under several packs, each evaluated on its own (``to_dict()`` is JSON-ready)."""

    data: dict[str, Any]

    @property
    def verdicts(self) -> dict[str, str]:
        """Pack id → verdict code."""
        return dict(self.data["verdicts"])

    @property
    def all_compliant(self) -> bool:
        return all(v == Verdict.COMPLIANT.value for v in self.data["verdicts"].values())

    def to_dict(self) -> dict[str, Any]:
        return self.data


def compare(
    packs: Sequence[str],
    record: Mapping[str, Any],
    *,
    as_of: date,
    kind: str | None = None,
    source: str | None = None,
) -> Comparison:
    """Evaluate ``record`` under each pack on its own."""
    columns = []
    verdicts: dict[str, str] = {}
    for spec in packs:
        engine = Engine.from_packs([spec], ignore_scope=True)  # "what if it were there"
        report = engine.evaluate(record, as_of=as_of, kind=kind, source=source, trace=False)
        pack = engine.packs[0]
        verdicts[pack.id] = report.verdict.value
        columns.append(
            {
                "pack": {
                    "id": pack.id,
                    "version": pack.version,
                    "title": pack.title.zh,
                    "content_hash": pack.content_hash,
                },
                "verdict": report.verdict.value,
                "checked": len(report.findings),
                "failed": [_item(f) for f in report.findings if f.outcome == "fail"],
                "unknown": [_item(f) for f in report.findings if f.outcome in ("unknown", "error")],
                "scores": [s.to_dict() for s in report.scores],
            }
        )
    subject = dict(record)
    return Comparison(
        {
            "as_of": as_of.isoformat(),
            "subject": {
                "kind": subject.get("kind", kind),
                "id": subject.get("id"),
                "name": subject.get("name"),
            },
            "verdicts": verdicts,
            "packs": columns,
        }
    )


def _item(f: Any) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "severity": f.severity,
        "clause": f.citation.clause,
        "document": f.citation.document,
        "message": dict(f.message),
    }


def render_json(comparison: Comparison, lang: str = "zh") -> str:
    return json.dumps(comparison.to_dict(), ensure_ascii=False, indent=2)


def _head(zh: bool) -> list[str]:
    return [
        ("结论" if zh else "verdict"),
        ("检查规则数" if zh else "rules checked"),
        ("不符合的条款" if zh else "failed clauses"),
        ("数据不足" if zh else "unknown"),
    ]


def _cell(col: dict[str, Any], i: int, zh: bool) -> str:
    """Row ``i`` of one pack's column (the rows are those of :func:`_head`)."""
    if i == 0:
        verdict = Verdict(col["verdict"])
        return (verdict.label_zh if zh else verdict.value) + "".join(
            f" {s['score']}/{s['total']} {(s['grade'] or {}).get('zh' if zh else 'en', '')}"
            for s in col["scores"]
        )
    if i == 1:
        return str(col["checked"])
    items = col["failed"] if i == 2 else col["unknown"]
    return "\n".join(f"{x['clause']} {x['rule']}: {x['message']['zh' if zh else 'en']}" for x in items) or "—"


def render_markdown(comparison: Comparison, lang: str = "zh") -> str:
    zh = lang != "en"
    cols = comparison.data["packs"]
    lines = [
        "| | " + " | ".join(f"{c['pack']['title']} (`{c['pack']['id']}`)" for c in cols) + " |",
        "|---|" + "---|" * len(cols),
    ]
    for i, h in enumerate(_head(zh)):
        lines.append(f"| {h} | " + " | ".join(_cell(c, i, zh).replace("\n", "<br>") for c in cols) + " |")
    return "\n".join(lines) + "\n"


def render_table(comparison: Comparison, lang: str = "zh") -> str:
    """A terminal table (rich). Text from the record and the packs shows as written: rich
    markup escaped, control characters as U+FFFD (:func:`policyengine._text.terminal_text`)."""
    from rich.console import Console  # the terminal table only: rich loads when it is asked for
    from rich.table import Table

    zh = lang != "en"
    cols = comparison.data["packs"]
    table = Table(show_lines=True, expand=True)
    table.add_column("")
    for c in cols:
        head = f"{c['pack']['title']}\n{c['pack']['id']} {c['pack']['version']}"
        table.add_column(markup_text(head), overflow="fold")
    for i, h in enumerate(_head(zh)):
        table.add_row(h, *[markup_text(_cell(c, i, zh)) for c in cols])
    console = Console(width=140, record=True, file=StringIO(), emoji=False)
    subj = comparison.data["subject"]
    console.print(
        terminal_text(f"{subj.get('name') or subj.get('id') or ''}  {comparison.data['as_of']}"), markup=False
    )
    console.print(table)
    return console.export_text()


FORMATS = {"json": render_json, "markdown": render_markdown, "table": render_table}
