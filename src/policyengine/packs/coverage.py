"""A pack's coverage of its sources, from the pack itself: for each clause it cites, what
encodes it (parameters, rules, monitors, batch checks, scorecard indicators) and what it
declares `not_checked`, and why. Nothing here is hand-maintained: ``pack coverage`` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .runtime import Pack

#: How each kind of item reads in a table (zh, en).
KIND_LABELS = {
    "parameter": ("参数", "parameter"),
    "rule": ("规则", "rule"),
    "monitor": ("监测", "monitor"),
    "correlation": ("批量核查", "batch check"),
    "indicator": ("评分指标", "indicator"),
}


@dataclass
class ClauseCoverage:
    """One clause of one source: the items citing it, and the reasons it is not checked."""

    source: str
    clause: str
    items: list[tuple[str, str]] = field(default_factory=list)  # (kind, id)
    not_checked: list[dict[str, str]] = field(default_factory=list)  # reason zh/en

    @property
    def status(self) -> str:
        """``encoded`` (something checks it), ``partly`` (checked, and some of it listed as
        not checked), ``not_checked`` or ``parameter`` (only a value, nothing judges it)."""
        judged = [k for k, _ in self.items if k != "parameter"]
        if judged and self.not_checked:
            return "partly"
        if judged:
            return "encoded"
        if self.not_checked:
            return "not_checked"
        return "parameter"

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "clause": self.clause,
            "status": self.status,
            "items": [{"kind": k, "id": i} for k, i in self.items],
            "not_checked": list(self.not_checked),
        }


def coverage(pack: Pack) -> list[ClauseCoverage]:
    """Every clause the pack cites, in the order the pack first cites it."""
    default = next(iter(pack.sources), "")
    rows: dict[tuple[str, str], ClauseCoverage] = {}

    def add(source: str | None, clause: str, kind: str | None, ident: str | None) -> ClauseCoverage:
        key = (source or default, clause)
        row = rows.setdefault(key, ClauseCoverage(*key))
        if kind is not None and ident is not None and (kind, ident) not in row.items:
            row.items.append((kind, ident))
        return row

    for name, param in pack.parameters.items():
        for value in param.values.values():
            add(value.cite.source, value.cite.clause, "parameter", name)
    for rule in pack.rules:
        add(rule.citation.source_id, rule.citation.clause, "rule", rule.id)
    for mon in pack.monitors:
        add(mon.citation.source_id, mon.citation.clause, "monitor", mon.id)
    for corr in pack.correlations:
        add(corr.citation.source_id, corr.citation.clause, "correlation", corr.id)
    for card in pack.scorecards:
        for ci in card.indicators:
            cite = ci.indicator.cite
            add(cite.source, cite.clause, "indicator", f"{card.id}.{ci.indicator.id}")
    for entry in pack.not_checked:
        row = add(entry.cite.source, entry.cite.clause, None, None)
        row.not_checked.append({"zh": entry.reason.zh, "en": entry.reason.en or entry.reason.zh})
    return list(rows.values())


def summary(rows: list[ClauseCoverage]) -> dict[str, int]:
    """Clauses by status."""
    out = {"clauses": len(rows), "encoded": 0, "partly": 0, "not_checked": 0, "parameter": 0}
    for r in rows:
        out[r.status] += 1
    return out


def render_markdown(pack: Pack, rows: list[ClauseCoverage]) -> str:
    """The coverage table a pack's README can embed (zh, with an English summary line)."""
    status_zh = {"encoded": "已编码", "partly": "部分编码", "not_checked": "未检查", "parameter": "仅参数"}
    lines = [
        "| 来源 | 条款 | 状态 | 编码为 | 未检查的原因 |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        items = "、".join(f"{KIND_LABELS[k][0]} `{i}`" for k, i in r.items) or "—"
        reasons = ";".join(n["zh"] for n in r.not_checked).replace("|", "\\|").replace("\n", " ") or "—"
        lines.append(f"| {r.source} | {r.clause} | {status_zh[r.status]} | {items} | {reasons} |")
    s = summary(rows)
    lines += [
        "",
        f"{pack.id} {pack.version}: {s['clauses']} clauses cited — {s['encoded']} encoded, "
        f"{s['partly']} partly encoded, {s['not_checked']} not checked (with the reason), "
        f"{s['parameter']} with a value only.",
    ]
    return "\n".join(lines) + "\n"
