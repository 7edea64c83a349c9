"""What the monitor kinds' SQL shares: event filters, group keys and fields as SQL over the
screened events table ``ev`` (``seq``: the position in event-time order), and rows back as
the objects the kinds' own message helpers read.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, cast

from ..models.events import EVENT_FIELDS, Event, EventType
from ..monitor.findings import GroupKey, MonitorFinding, _Safe
from ..outcomes import Outcome
from ..packs.monitors import CompiledMonitor
from ..packs.schema import EventFilter, Window
from .monitor_log import DATE_FIELDS, lit, one, q

if TYPE_CHECKING:
    import duckdb

#: The last day a date may be (Python's ``date.max``): a deadline past it is an error in the
#: plain backend, so such a monitor runs there.
LAST_DAY = "DATE '9999-12-31'"
FIRST_DAY = "DATE '0001-01-01'"

#: The columns a row of ``ev`` is fetched with, in this order.
EVENT_COLUMNS = ", ".join(q(f) for f in EVENT_FIELDS)
#: The same, of the table ``ev`` in a join.
EV_COLUMNS = ", ".join(f"ev.{q(f)}" for f in EVENT_FIELDS)


class NeedsPlain(Exception):
    """This monitor, on this log, is left to the plain backend (a date past the calendar)."""


def text(field: str, alias: str = "") -> str:
    """A field as the kinds read it (``value_of``): codes for types, ISO text for dates."""
    col = f"{alias}.{q(field)}" if alias else q(field)
    return f"CAST({col} AS VARCHAR)" if field in DATE_FIELDS else col


def where(f: EventFilter, alias: str = "") -> str:
    """``matches(e, f)``: the type, and each ``where`` field's text ("" when absent)."""
    terms = [f"{text('type', alias)} = {lit(f.type)}"]
    terms += [f"coalesce({text(k, alias)}, '') = {lit(v)}" for k, v in f.where.items()]
    return "(" + " AND ".join(terms) + ")"


def keys(fields: Sequence[str], alias: str = "", prefix: str = "k") -> str:
    """The group fields as columns ``k0, k1, …`` (a constant when there are none)."""
    if not fields:
        return f"'' AS {prefix}0"
    return ", ".join(f"{text(f, alias)} AS {prefix}{i}" for i, f in enumerate(fields))


def key_names(fields: Sequence[str], alias: str = "", prefix: str = "k") -> list[str]:
    n = max(len(fields), 1)
    return [f"{alias}.{prefix}{i}" if alias else f"{prefix}{i}" for i in range(n)]


def same_key(fields: Sequence[str], a: str, b: str) -> str:
    return " AND ".join(f"{x} = {y}" for x, y in zip(key_names(fields, a), key_names(fields, b), strict=True))


def all_known(fields: Sequence[str], alias: str = "") -> str:
    return " AND ".join(f"{k} IS NOT NULL" for k in key_names(fields, alias)) or "TRUE"


def shifted(column: str, w: Window, sign: int) -> str:
    """``column`` plus (``sign`` 1) or minus (-1) the window, calendar months clamped to the
    month's end as ``add_months`` does."""
    op = "+" if sign > 0 else "-"
    if w.months is not None:
        return f"CAST({column} {op} INTERVAL ({int(w.months)}) MONTH AS DATE)"
    return f"CAST({column} {op} INTERVAL ({int(w.days or 0)}) DAY AS DATE)"


_TYPES = {t.value: t for t in EventType}


class Row:
    """An event as fetched from ``ev``: the attributes the kinds' helpers read (``id``,
    ``date``, ``type`` …), without validating it again."""

    __slots__ = EVENT_FIELDS

    def __init__(self, values: Sequence[Any]) -> None:
        for f, v in zip(EVENT_FIELDS, values, strict=True):
            setattr(self, f, _TYPES[v] if f == "type" else v)

    def event(self) -> Event:
        return cast(Event, self)


class Ref:
    """An event named by a finding, by its id alone."""

    __slots__ = ("id",)

    def __init__(self, ident: str) -> None:
        self.id = ident


def refs(ids: Sequence[str] | None) -> list[Event]:
    return [cast(Event, Ref(i)) for i in ids or ()]


def group(fields: Sequence[str], values: Sequence[Any]) -> tuple[tuple[str, str | None], ...]:
    """The ``GroupKey`` of ``fields`` from the row's key columns."""
    return tuple((f, v) for f, v in zip(fields, values, strict=False))


def check_days(con: duckdb.DuckDBPyConnection, table: str, column: str) -> None:
    """Leave the monitor to the plain backend if a computed day is off the calendar."""
    row = one(con, f"SELECT count(*) FROM {table} WHERE {column} > {LAST_DAY} OR {column} < {FIRST_DAY}")
    if row is not None and row[0]:
        raise NeedsPlain(column)


def day_literal(day: date) -> str:
    return f"DATE {lit(day.isoformat())}"


class Maker:
    """Findings of one monitor as :func:`policyengine.monitor.findings.finding` makes them,
    from values already shown as text (computed in SQL): a passing finding's message is the
    title, a failing one's the pack's template filled in. The parts every finding of the
    monitor shares are made once."""

    def __init__(self, mon: CompiledMonitor) -> None:
        spec = mon.spec
        self.mon = mon
        self.title = {"zh": spec.title.zh, "en": spec.title.en or spec.title.zh}
        self.zh, self.en = spec.message.zh, spec.message.en or spec.message.zh

    def passing(self, ids: tuple[str, ...], key: GroupKey, period: str | None = None) -> MonitorFinding:
        return self._make(Outcome.PASS, self.title, ids, key, period)

    def failing(
        self, ids: tuple[str, ...], shown: dict[str, str], key: GroupKey, period: str | None = None
    ) -> MonitorFinding:
        values = _Safe(shown)
        message = {"zh": self.zh.format_map(values), "en": self.en.format_map(values)}
        return self._make(Outcome.FAIL, message, ids, key, period)

    def _make(
        self,
        outcome: Outcome,
        message: dict[str, str],
        ids: tuple[str, ...],
        key: GroupKey,
        period: str | None,
    ) -> MonitorFinding:
        mon = self.mon
        return MonitorFinding(
            mon.pack_id,
            mon.spec.id,
            self.title,
            outcome,
            mon.spec.severity,
            message,
            mon.citation,
            ids,
            key,
            period,
        )


def shown(column: str) -> str:
    """A value as a message shows it (``findings._show``): ISO dates, ``—`` for absent."""
    return f"coalesce(CAST({column} AS VARCHAR), '—')"
