"""The quarterly trend per region: how many subjects were compliant, how many rectification
items were opened and closed, how many were still open at the quarter's end.

A subject counts in a quarter when it was evaluated with an as-of date in it; its verdict is
that of its last such evaluation. Regions are counties (province, city, county as recorded;
names compared as a scope compares them). Items count by the as-of dates of the evaluations
that opened and closed them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select

from .regions import Scope, region_filter
from .store import History
from .tables import Evaluation, RectificationItem

VERDICTS = ("compliant", "non_compliant", "incomplete", "not_assessed")

#: the table's columns: key, 中文, English
COLUMNS = (
    ("quarter", "季度", "quarter"),
    ("region", "地区", "region"),
    ("kind", "对象类型", "kind"),
    ("subjects", "评估对象数", "subjects evaluated"),
    ("compliant", "合规", "compliant"),
    ("non_compliant", "不合规", "non-compliant"),
    ("incomplete", "数据不全", "incomplete"),
    ("not_assessed", "未评估", "not assessed"),
    ("compliance_rate", "合规率", "compliance rate"),
    ("opened", "新增整改事项", "items opened"),
    ("closed", "完成整改事项", "items closed"),
    ("open_at_end", "季末未完成", "open at quarter end"),
)


def quarter_of(day: date) -> str:
    return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"


def quarter_end(quarter: str) -> date:
    year, q = (int(part) for part in quarter.split("-Q"))
    return date(year, 12, 31) if q == 4 else date(year, q * 3 + 1, 1) - timedelta(days=1)


@dataclass
class QuarterRow:
    quarter: str
    region: str
    kind: str
    verdicts: Counter[str] = field(default_factory=Counter)
    opened: int = 0
    closed: int = 0
    open_at_end: int = 0

    @property
    def subjects(self) -> int:
        return sum(self.verdicts.values())

    def rate(self) -> str | None:
        """The share of subjects compliant, as a percentage with one decimal (``87.5%``)."""
        if not self.subjects:
            return None
        share = Decimal(self.verdicts["compliant"] * 100) / Decimal(self.subjects)
        return f"{share.quantize(Decimal('0.1'), ROUND_HALF_UP)}%"

    def to_dict(self) -> dict[str, Any]:
        return {
            "quarter": self.quarter,
            "region": self.region,
            "kind": self.kind,
            "subjects": self.subjects,
            **{v: self.verdicts[v] for v in VERDICTS},
            "compliance_rate": self.rate(),
            "opened": self.opened,
            "closed": self.closed,
            "open_at_end": self.open_at_end,
        }


RegionKey = tuple[str | None, str | None, str | None]


def quarterly_trend(
    history: History, *, region: str | None = None, kind: str | None = None, scope: Scope | None = None
) -> list[QuarterRow]:
    """One row per quarter, region and kind of subject, oldest quarter first."""
    rows: dict[tuple[str, RegionKey, str], QuarterRow] = {}
    labels: dict[RegionKey, Counter[str]] = defaultdict(Counter)
    last: dict[tuple[str, str, str], tuple[date, int, str, RegionKey]] = {}
    for ev in _evaluations(history, region, kind, scope):
        key = (quarter_of(ev.as_of), ev.subject_kind, ev.subject_id)
        where: RegionKey = (ev.province_key, ev.city_key, ev.county_key)
        labels[where][ev.region or "—"] += 1
        seen = last.get(key)
        if seen is None or (ev.as_of, ev.id) > seen[:2]:
            last[key] = (ev.as_of, ev.id, ev.verdict, where)
    for (quarter, subject_kind, _), (_, _, verdict, where) in last.items():
        _row(rows, quarter, where, subject_kind).verdicts[verdict] += 1
    items = _items(history, region, kind, scope)
    quarters = sorted({q for q, _, _ in rows} | {quarter_of(i.opened_on) for i in items})
    for item in items:
        where = (item.province_key, item.city_key, item.county_key)
        labels[where][item.region or "—"] += 1
        _row(rows, quarter_of(item.opened_on), where, item.subject_kind).opened += 1
        if item.closed_on is not None:
            _row(rows, quarter_of(item.closed_on), where, item.subject_kind).closed += 1
        for quarter in quarters:
            end = quarter_end(quarter)
            if item.opened_on <= end and (item.closed_on is None or item.closed_on > end):
                _row(rows, quarter, where, item.subject_kind).open_at_end += 1
    out = []
    for (_, where, _), row in sorted(rows.items(), key=lambda kv: (kv[0][0], str(kv[0][1]), kv[0][2])):
        row.region = labels[where].most_common(1)[0][0] if labels[where] else "—"
        out.append(row)
    return out


def _row(
    rows: dict[tuple[str, RegionKey, str], QuarterRow], quarter: str, where: RegionKey, kind: str
) -> QuarterRow:
    key = (quarter, where, kind)
    if key not in rows:
        rows[key] = QuarterRow(quarter, "", kind)
    return rows[key]


def _evaluations(history: History, region: str | None, kind: str | None, scope: Scope | None) -> list[Any]:
    e = Evaluation
    query = select(
        e.id,
        e.subject_kind,
        e.subject_id,
        e.as_of,
        e.verdict,
        e.region,
        e.province_key,
        e.city_key,
        e.county_key,
    )
    return _run(history, query, e, region, kind, scope)


def _items(history: History, region: str | None, kind: str | None, scope: Scope | None) -> list[Any]:
    i = RectificationItem
    query = select(
        i.subject_kind, i.opened_on, i.closed_on, i.region, i.province_key, i.city_key, i.county_key
    )
    return _run(history, query, i, region, kind, scope)


def _run(
    history: History, query: Any, table: Any, region: str | None, kind: str | None, scope: Scope | None
) -> list[Any]:
    where = region_filter(table, region)
    if where is not None:
        query = query.where(where)
    if scope is not None:
        query = query.where(scope.where(table))
    if kind:
        query = query.where(table.subject_kind == kind)
    with history.reading() as session:
        return list(session.execute(query).all())
