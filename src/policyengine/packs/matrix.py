"""The policy matrix: the packs' comparable parameters side by side, each cell citing its clause.

A parameter joins a row of the matrix by saying which (``matrix: {row: funding_share, basis:
social_assistance_special, reading: ceiling}``); the monitoring row is read from the packs'
monitors. ``policyengine matrix`` prints it and ``docs/policy-matrix.md`` is generated from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from .._format import MONEY, PERCENT, format_value
from ..models.codes import FundKind, StaffPost
from ..models.components import ServiceDomain
from ..models.subjects import StationLevel
from .matrix_tag import BASES, READINGS, ROWS
from .runtime import Pack


@dataclass(frozen=True)
class Cell:
    """One pack's entry in one row."""

    pack: str
    region: str
    value: str
    basis: str | None
    reading: str | None
    clause: str
    quote: str | None
    judged: str | None = None  # how the pack's rules judge a record that misses it (zh)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


#: Coded values a matrix list may hold, the first type that knows a code labels it.
_CHOICES = (StationLevel, ServiceDomain, FundKind, StaffPost)


def labelled(value: Any) -> Any:
    """A parameter's list of codes (station levels, service domains, …) by their Chinese labels."""
    if not isinstance(value, list):
        return value
    out = []
    for v in value:
        choice = next((c for c in _CHOICES if isinstance(v, str) and v in c.__members__), None)
        out.append(choice.label(v) if choice else v)
    return out


def basis_label(code: str | None, lang: str = "zh") -> str | None:
    if code is None:
        return None
    if code in BASES:
        return BASES[code][0 if lang == "zh" else 1]
    return FundKind.label(code, lang) if code in FundKind.__members__ else code


def build(packs: list[Pack], as_of: date | None) -> dict[str, list[Cell]]:
    """Rows → cells, packs in the order given. ``as_of`` None: each parameter's latest value."""
    rows: dict[str, list[Cell]] = {row: [] for row in ROWS}
    by_id = {p.id: p for p in packs}
    for pack in packs:
        region = "".join((pack.meta.region or {}).values()) or "—"
        for name, param in pack.parameters.items():
            tag = param.matrix
            if tag is None or _inherited(pack, name, by_id):
                continue
            dates = sorted(d for d in param.values if as_of is None or d <= as_of)
            if not dates:
                continue
            pv = param.values[dates[-1]]
            kind = PERCENT if param.unit == "ratio" else MONEY if param.unit == "yuan" else None
            value = format_value(labelled(pv.value), "zh", kind)
            if param.unit in ("m2", "people"):
                value += "平方米" if param.unit == "m2" else "人"
            reading = READINGS[tag.reading][0] if tag.reading else None
            basis = basis_label(tag.basis)
            cell = Cell(
                pack.id,
                region,
                value,
                basis,
                reading,
                pv.cite.clause,
                pv.cite.quote,
                _judged(pack, name, tag.checked_by),
            )
            rows[tag.row].append(cell)
        for mon in pack.monitors:
            if any(mon.spec in [m.spec for m in by_id[a].monitors] for a in pack.chain[1:] if a in by_id):
                continue  # inherited unchanged: shown under the pack that states it
            cite = mon.spec.cite
            rows["monitoring"].append(
                Cell(
                    pack.id,
                    region,
                    mon.spec.title.zh,
                    None,
                    None,
                    cite.clause,
                    cite.quote,
                    SEVERITY_ZH[mon.spec.severity],
                )
            )
    return rows


def _inherited(pack: Pack, name: str, by_id: dict[str, Pack]) -> bool:
    """Whether the parameter is one the pack inherits unchanged from a pack also in the matrix
    (its row shows it once, under the pack that states it)."""
    mine = pack.parameters[name]
    for ancestor in pack.chain[1:]:
        theirs = by_id[ancestor].parameters.get(name) if ancestor in by_id else None
        if theirs is not None and theirs.values == mine.values:
            return True
    return False


#: Severities as the matrix shows them, most binding first.
SEVERITY_ZH = {"error": "不合规", "warning": "警告", "info": "提示"}


def _judged(pack: Pack, name: str, checked_by: list[str]) -> str | None:
    """How the pack's rules that use the parameter (or that its tag names) judge a record that
    misses it: the severities, most binding first (None: only stated, no rule checks it)."""
    found = {r.rule.severity for r in pack.rules if name in r.params_used or r.id in checked_by}
    return "、".join(SEVERITY_ZH[s] for s in SEVERITY_ZH if s in found) or None


def _cell(text: str) -> str:
    """Text as one Markdown table cell: on one line, its bars escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def render_markdown(rows: dict[str, list[Cell]], as_of: date | None) -> str:
    """The matrix in zh, a table per row, with an English summary."""
    when = as_of.isoformat() if as_of else "各参数最新值"
    out = [f"各政策包可比参数对照(取值日期:{when})。每格注明条款与原文。", ""]
    for row, cells in rows.items():
        if not cells:
            continue
        out += [
            f"## {ROWS[row][0]}",
            "",
            "| 政策包 | 地区 | 取值 | 口径 | 读法 | 判定 | 条款 | 原文 |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for c in cells:
            quote = _cell(c.quote or "—")
            judged = c.judged or "仅列明"
            out.append(
                f"| `{c.pack}` | {_cell(c.region)} | {_cell(c.value)} | {c.basis or '—'} "
                f"| {c.reading or '—'} | {judged} | {_cell(c.clause)} | {quote} |"
            )
        out.append("")
    filled = [(row, len({c.pack for c in cells})) for row, cells in rows.items() if cells]
    out.append(
        "Policy matrix: "
        + "; ".join(f"{ROWS[row][1]} ({n} pack{'s' if n > 1 else ''})" for row, n in filled)
        + "."
    )
    return "\n".join(out) + "\n"
