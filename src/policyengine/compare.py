"""One subject under several packs, side by side: which clauses each region fails it on."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from .evaluate.engine import Engine
from .outcomes import Verdict


def compare(
    packs: Sequence[str],
    record: Mapping[str, Any],
    *,
    as_of: date,
    kind: str | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """Evaluate ``record`` under each pack on its own; returns a JSON-ready comparison."""
    columns = []
    verdicts: dict[str, str] = {}
    for spec in packs:
        engine = Engine.from_packs([spec])
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
    return {
        "as_of": as_of.isoformat(),
        "subject": {"kind": subject.get("kind", kind), "id": subject.get("id"), "name": subject.get("name")},
        "verdicts": verdicts,
        "packs": columns,
    }


def _item(f: Any) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "severity": f.severity,
        "clause": f.citation.clause,
        "document": f.citation.document,
        "message": dict(f.message),
    }


_VERDICT = {"compliant": "合规", "non_compliant": "不合规", "incomplete": "数据不全"}


def render_compare(result: dict[str, Any], fmt: str, lang: str = "zh") -> str:
    if fmt == "json":
        return json.dumps(result, ensure_ascii=False, indent=2)
    zh = lang != "en"
    label = (lambda v: _VERDICT[v]) if zh else (lambda v: v)
    head = [
        ("结论" if zh else "verdict"),
        ("检查规则数" if zh else "rules checked"),
        ("不符合的条款" if zh else "failed clauses"),
        ("数据不足" if zh else "unknown"),
    ]

    def cell_lines(col: dict[str, Any], i: int) -> str:
        if i == 0:
            return label(col["verdict"]) + "".join(
                f" {s['score']}/{s['total']} {(s['grade'] or {}).get('zh' if zh else 'en', '')}"
                for s in col["scores"]
            )
        if i == 1:
            return str(col["checked"])
        items = col["failed"] if i == 2 else col["unknown"]
        return (
            "\n".join(f"{x['clause']} {x['rule']}: {x['message']['zh' if zh else 'en']}" for x in items)
            or "—"
        )

    cols = result["packs"]
    if fmt == "markdown":
        lines = [
            "| | " + " | ".join(f"{c['pack']['title']} (`{c['pack']['id']}`)" for c in cols) + " |",
            "|---|" + "---|" * len(cols),
        ]
        for i, h in enumerate(head):
            lines.append(
                f"| {h} | " + " | ".join(cell_lines(c, i).replace("\n", "<br>") for c in cols) + " |"
            )
        return "\n".join(lines) + "\n"
    from io import StringIO

    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=True, expand=True)
    table.add_column("")
    for c in cols:
        table.add_column(f"{c['pack']['title']}\n{c['pack']['id']} {c['pack']['version']}", overflow="fold")
    for i, h in enumerate(head):
        table.add_row(h, *[cell_lines(c, i) for c in cols])
    console = Console(width=140, record=True, file=StringIO())
    subj = result["subject"]
    console.print(f"{subj.get('name') or subj.get('id') or ''}  {result['as_of']}")
    console.print(table)
    return console.export_text()


def all_compliant(result: dict[str, Any]) -> bool:
    return all(v == Verdict.COMPLIANT.value for v in result["verdicts"].values())
