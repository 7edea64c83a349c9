"""``no_overlap``: no two events with one key (a worker) and different values of another (the
project) have overlapping periods — one registered social worker, one project at a time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Literal

from ...models.events import Event
from ...outcomes import Outcome
from ...packs.monitors import CompiledMonitor
from ...packs.schema import EventFilter, Monitor
from .. import durable as d
from ..findings import MonitorFinding, finding, lacks_fields, matches, overlap_values, value_of
from .base import MonitorKind, spec_of


class NoOverlap(Monitor):
    """Events with one ``key`` and different ``distinct`` values must not overlap in time."""

    kind: Literal["no_overlap"]
    event: EventFilter
    key: str
    distinct: str


PLACEHOLDERS = frozenset({"key", "first", "second", "first_start", "first_end", "second_start", "second_end"})


def run_plain(
    mon: CompiledMonitor, events: Sequence[Event], until: date, params: Mapping[str, Any]
) -> list[MonitorFinding]:
    spec = spec_of(mon, NoOverlap)
    by_key: dict[str | None, list[Event]] = defaultdict(list)
    out = []
    for e in events:
        if not matches(e, spec.event):
            continue
        if e.start is None or e.end is None or value_of(getattr(e, spec.key)) is None:
            out.append(lacks_fields(mon, e, what=f"start/end/{spec.key}"))
            continue
        by_key[value_of(getattr(e, spec.key))].append(e)
    for k, items in by_key.items():
        for i, a in enumerate(items):
            for b in items[i + 1 :]:
                assert a.start and a.end and b.start and b.end
                if (
                    value_of(getattr(a, spec.distinct)) != value_of(getattr(b, spec.distinct))
                    and a.start <= b.end
                    and b.start <= a.end
                ):
                    out.append(
                        finding(mon, Outcome.FAIL, [a, b], overlap_values(spec, k, a, b), ((spec.key, k),))
                    )
    return out


_RULES = {
    "overlap": {
        "all": [
            {"a": {"t": "assignment"}},
            {
                "b": d.and_(
                    {"t": "assignment"},
                    {"key": d.ref("a", "key")},
                    {"$neq": {"dist": d.ref("a", "dist")}},
                    {"$gt": {"seq": d.ref("a", "seq")}},
                    {"$lte": {"start": d.ref("a", "end")}},
                    {"$gte": {"end": d.ref("a", "start")}},
                )
            },
            d.SENTINEL,
        ]
    },
}


def run_durable(
    mon: CompiledMonitor, events: Sequence[Event], until: date, params: Mapping[str, Any]
) -> list[MonitorFinding]:
    spec = spec_of(mon, NoOverlap)
    run = d.Run(mon, _RULES)
    by_id = {str(e.id): e for e in events}
    out: list[MonitorFinding] = []
    pairs: list[MonitorFinding] = []
    try:
        seq = 0
        for e in events:
            if not matches(e, spec.event):
                continue
            key = value_of(getattr(e, spec.key))
            if e.start is None or e.end is None or key is None:
                out.append(lacks_fields(mon, e, what=f"start/end/{spec.key}"))
                continue
            run.assert_fact(
                {
                    "t": "assignment",
                    "eid": str(e.id),
                    "key": key,
                    "seq": seq,
                    "dist": value_of(getattr(e, spec.distinct)) or "",
                    "start": e.start.toordinal(),
                    "end": e.end.toordinal(),
                }
            )
            seq += 1
            for _, m in run.take():
                a, b = by_id[m["a"]["eid"]], by_id[m["b"]["eid"]]
                values = overlap_values(spec, m["a"]["key"], a, b)
                pairs.append(finding(mon, Outcome.FAIL, [a, b], values, ((spec.key, m["a"]["key"]),)))
        return out + pairs + d.errors(mon, run)
    finally:
        run.close()


KIND = MonitorKind("no_overlap", NoOverlap, PLACEHOLDERS, run_plain, run_durable)
