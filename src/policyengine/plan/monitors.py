"""Monitors as SQL on DuckDB (``Monitor(..., backend="duckdb")``, ``policyengine monitor
--backend duckdb``): the log read by DuckDB itself, screened, and each monitor kind run as
window and join queries over it, with findings identical to the plain backend's.

- **the log**: :mod:`.monitor_log` (JSON Lines, CSV, Parquet read out of core; a log DuckDB
  cannot read exactly as Python does is read by Python's reader, and said so in ``notes``);
- **screening**: duplicates, id conflicts and implausible dates as
  :func:`policyengine.monitor.events.screen` sets them aside, in SQL;
- **the kinds**: :mod:`.monitor_kinds` and :mod:`.monitor_periods`. A monitor of a kind the
  plan has no SQL for (a plugin's), or whose dates run off the calendar (a deadline after
  9999-12-31, which the plain backend reports as an error), runs in the plain backend over
  the same screened events, fetched from DuckDB; ``notes`` names it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ..models.events import EVENT_FIELDS, Event
from ..monitor.events import PLAUSIBLE_YEARS, SetAside, _shift, _words, read_events
from ..monitor.findings import MonitorFinding, finding
from ..monitor.kinds.at_least_per_period import AtLeastPerPeriod
from ..monitor.kinds.at_most_distinct import AtMostDistinct
from ..monitor.kinds.followed_by import FollowedBy
from ..monitor.kinds.no_overlap import NoOverlap
from ..monitor.kinds.preceded_by import PrecededBy
from ..monitor.plain import run_plain
from ..outcomes import Outcome
from ..packs.monitors import CompiledMonitor
from . import monitor_kinds as mk
from .monitor_log import DATE_FIELDS, ddl, load_events, load_file, one, q
from .monitor_periods import at_least_per_period
from .monitor_sql import EVENT_COLUMNS, NeedsPlain, day_literal

Con = Any  # duckdb.DuckDBPyConnection, imported only when a log is read
SqlRun = Callable[[Con, CompiledMonitor, date, Mapping[str, Any]], list[MonitorFinding]]

#: The kinds the plan runs in SQL, by their spec model.
SQL_KINDS: dict[type, SqlRun] = {
    FollowedBy: lambda con, mon, until, params: mk.followed_by(con, mon, until),
    PrecededBy: lambda con, mon, until, params: mk.preceded_by(con, mon, until),
    AtMostDistinct: mk.at_most_distinct,
    NoOverlap: lambda con, mon, until, params: mk.no_overlap(con, mon),
    AtLeastPerPeriod: at_least_per_period,
}

_SCHEMA = ", ".join(
    ["src INTEGER", "pos BIGINT"]
    + [f"{q(f)} DATE" if f in DATE_FIELDS else f"{q(f)} VARCHAR" for f in EVENT_FIELDS]
)


def sql_available() -> tuple[bool, str]:
    """Whether the plan extra (DuckDB, SQLGlot) imports here, and why not."""
    try:
        import duckdb  # noqa: F401
        import sqlglot  # noqa: F401
    except ImportError as exc:
        return False, str(exc)
    return True, ""


class SqlLog:
    """An event log in DuckDB, screened for a window: what the Monitor's SQL backend runs on."""

    def __init__(
        self,
        files: Sequence[Path],
        events: Sequence[Event] = (),
        *,
        start: date | None = None,
        until: date | None = None,
        plausible_years: int = PLAUSIBLE_YEARS,
    ) -> None:
        import duckdb

        self.con = duckdb.connect()
        #: what was left to Python, in words (zh, en)
        self.notes: list[dict[str, str]] = []
        ddl(self.con, f"CREATE TEMP TABLE log ({_SCHEMA})")
        if events:
            self._add(0, lambda: load_events(self.con, events))
        for i, path in enumerate(files, start=1):
            self._add(i, lambda path=path: self._read(path))  # type: ignore[misc]
        row = one(self.con, "SELECT count(*) FROM log")
        #: events read (before screening)
        self.read = int(row[0]) if row else 0
        self._aside = self._screen(start, until, plausible_years)

    def _add(self, src: int, create_raw: Callable[[], None]) -> None:
        create_raw()
        ddl(self.con, f"INSERT INTO log BY NAME SELECT {src} AS src, * FROM raw")
        ddl(self.con, "DROP TABLE raw")

    def _read(self, path: Path) -> None:
        if not load_file(self.con, path):
            load_events(self.con, read_events(path))  # the same events, or its error and line
            self.notes.append(
                {
                    "zh": f"{path.name}:有 DuckDB 无法按事件模型读取的行,改由 Python 读取;监测仍以 SQL 运行",
                    "en": f"{path.name}: rows DuckDB cannot read as the event model does were read "
                    "by Python; the monitors still ran in SQL",
                }
            )

    def _screen(self, start: date | None, until: date | None, years: int) -> list[SetAside]:
        """``screen``: the first event of each id (by date, then feed order) is kept; later ones
        are duplicates or id conflicts; then dates too far from the window start or median."""
        c = self.con
        # ids used more than once are few: only their events are ranked and compared
        ddl(c, "CREATE TEMP TABLE shared AS SELECT id FROM log GROUP BY id HAVING count(*) > 1")
        ddl(
            c,
            "CREATE TEMP TABLE firsts AS SELECT *, row_number() OVER "
            "(PARTITION BY id ORDER BY date, src, pos) AS k FROM log WHERE id IN (SELECT id FROM shared)",
        )
        same = " AND ".join(f"a.{q(f)} IS NOT DISTINCT FROM b.{q(f)}" for f in EVENT_FIELDS)
        twice = c.execute(
            f"SELECT {', '.join(f'a.{q(f)}' for f in EVENT_FIELDS)}, {same} FROM firsts a "
            "JOIN firsts b ON a.id = b.id AND b.k = 1 WHERE a.k > 1 ORDER BY a.date, a.id, a.src, a.pos"
        ).fetchall()
        aside = []
        for row in twice:
            e = _event(row[:-1])
            kind = "duplicate" if row[-1] else "id_conflict"
            aside.append(SetAside(e, kind, _words(kind, e)))
        ddl(
            c,
            "CREATE TEMP VIEW kept AS SELECT * FROM log WHERE id NOT IN (SELECT id FROM shared) "
            "UNION ALL SELECT * EXCLUDE (k) FROM firsts WHERE k = 1",
        )
        counted = one(c, "SELECT count(*) FROM kept")
        n = int(counted[0]) if counted else 0
        if n == 0:
            ddl(c, "CREATE TEMP VIEW ok AS SELECT * FROM kept")
            return aside
        median_row = one(c, f"SELECT date FROM kept ORDER BY date LIMIT 1 OFFSET {n // 2}")
        median: date = median_row[0] if median_row else date.min
        span = timedelta(days=round(365.25 * years))
        lo = _shift(start or median, -span)
        hi = None if until is not None else _shift(median, span)
        out = f"date < {day_literal(lo)}" + (f" OR date > {day_literal(hi)}" if hi else "")
        for row in c.execute(f"SELECT {EVENT_COLUMNS} FROM kept WHERE {out} ORDER BY date, id").fetchall():
            e = _event(row)
            aside.append(SetAside(e, "implausible_date", _words("implausible_date", e, lo, hi)))
        ddl(c, f"CREATE TEMP VIEW ok AS SELECT * FROM kept WHERE NOT ({out})")
        return aside

    def set_aside(self) -> list[SetAside]:
        return list(self._aside)

    def count(self) -> int:
        """Events kept after screening."""
        row = one(self.con, "SELECT count(*) FROM ok")
        return int(row[0]) if row else 0

    def last_day(self) -> date | None:
        row = one(self.con, "SELECT max(date) FROM ok")
        return row[0] if row else None

    def findings(
        self, runs: Sequence[tuple[CompiledMonitor, Mapping[str, Any]]], until: date
    ) -> list[MonitorFinding]:
        """Every monitor's findings over the screened events up to ``until``; a monitor that
        fails gives an ``error`` finding, as in the other backends."""
        ddl(
            self.con,
            "CREATE OR REPLACE TEMP TABLE ev AS SELECT row_number() OVER (ORDER BY date, id) AS seq, "
            f"{EVENT_COLUMNS} FROM ok WHERE date <= {day_literal(until)}",
        )
        self._plain: list[Event] | None = None
        out: list[MonitorFinding] = []
        for mon, params in runs:
            try:
                out.extend(self._run(mon, until, params))
            except Exception as exc:  # a monitor never takes the others down with it
                text = f"{type(exc).__name__}: {exc}"
                why = {"why_zh": f"监测规则运行出错:{text}", "why_en": f"the monitor failed: {text}"}
                out.append(finding(mon, Outcome.ERROR, [], why))
        return out

    def _run(self, mon: CompiledMonitor, until: date, params: Mapping[str, Any]) -> list[MonitorFinding]:
        run = SQL_KINDS.get(type(mon.spec))
        if run is not None:
            try:
                return run(self.con, mon, until, params)
            except NeedsPlain:
                why = "a date computed from the log falls outside the calendar"
        else:
            why = f"the plan has no SQL for the kind `{mon.spec.kind}`"
        self.notes.append(
            {"zh": f"{mon.id}:由 plain 后端运行({why})", "en": f"{mon.id}: run by the plain backend ({why})"}
        )
        return run_plain(mon, self._events(), until, params)

    def _events(self) -> list[Event]:
        """The screened events as Python objects, for a monitor left to the plain backend."""
        if self._plain is None:
            rows = self.con.execute(f"SELECT {EVENT_COLUMNS} FROM ev ORDER BY seq").fetchall()
            self._plain = [_event(r) for r in rows]
        return self._plain

    def close(self) -> None:
        self.con.close()


def _event(row: Sequence[Any]) -> Event:
    return Event.model_validate({f: v for f, v in zip(EVENT_FIELDS, row, strict=True) if v is not None})
