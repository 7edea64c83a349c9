"""``Monitor``: feed events, advance the watermark, read findings."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import PolicyEngineError, Problem
from ..models.events import Event, parse_events
from ..outcomes import Outcome
from ..packs.runtime import Pack
from ..plugins import get_registry
from . import durable
from .events import PLAUSIBLE_YEARS, SetAside, ordered, read_events, screen
from .findings import MonitorFinding, finding
from .kinds.base import WINDOW_START
from .plain import run_plain
from .population import MEMBERS, Member

BACKENDS = ("auto", "plain", "durable", "duckdb")


def durable_available() -> tuple[bool, str]:
    return durable.AVAILABLE, durable.IMPORT_ERROR


def default_backend() -> str:
    """``durable`` where durable-rules imports, otherwise ``plain``."""
    return "durable" if durable_available()[0] else "plain"


class Monitor:
    """Event-time rules (``monitors:`` in packs) over an event log.

    >>> m = Monitor(["haining"])                       # doctest: +SKIP
    >>> m.feed(events); m.advance(date(2023, 12, 31))   # doctest: +SKIP
    >>> m.findings()                                    # doctest: +SKIP

    Findings depend on event time only: replaying last year's log gives last year's findings.
    Events may be fed in any order; they are sorted by date (ties keep their order).
    ``observe(start, until)`` sets an observation window: periodic monitors then judge every
    period from the one containing ``start``, also those before a group's first event.
    """

    def __init__(
        self,
        packs: Iterable[str | Path | Pack],
        backend: str = "auto",
        isolate: bool = True,
        plausible_years: int = PLAUSIBLE_YEARS,
    ) -> None:
        if backend not in BACKENDS:
            raise PolicyEngineError([Problem(f"unknown backend `{backend}`", None, f"use one of {BACKENDS}")])
        if backend == "durable" and not durable_available()[0]:
            raise PolicyEngineError(
                [
                    Problem(
                        f"the durable-rules backend is not available here ({durable_available()[1]})",
                        None,
                        "use backend='plain' (same findings), or Python < 3.13 with policyengine[monitor]",
                    )
                ]
            )
        if backend == "duckdb":
            _sql_available()
        self.backend = default_backend() if backend == "auto" else backend
        registry = get_registry()
        self.packs = [p if isinstance(p, Pack) else registry.load(p) for p in packs]
        self.monitors = [m for p in self.packs for m in p.monitors]
        if not self.monitors:
            raise PolicyEngineError(
                [
                    Problem(
                        "none of these packs has monitors", None, "monitors live under `monitors:` in a pack"
                    )
                ]
            )
        self._events: list[Event] = []
        self._screen_key: tuple[Any, ...] | None = None
        self._screen: tuple[list[Event], list[SetAside]] = ([], [])
        self._until: date | None = None
        self._start: date | None = None
        self._members: list[Member] = []
        self._files: list[Path] = []  # logs DuckDB reads itself (backend "duckdb")
        self._sql: tuple[tuple[Any, ...], Any] | None = None
        #: events further than this from the log's bulk (or the window) are set aside as typos
        self.plausible_years = plausible_years
        #: run durable-rules in a child process (a crash in its C engine cannot take this one down)
        self.isolate = isolate

    def feed(self, events: Iterable[Event | Mapping[str, Any]], source: str = "<events>") -> Monitor:
        self._events.extend(parse_events(events, source))
        return self

    def read(self, path: Path) -> Monitor:
        """A log file (.jsonl, .csv; .parquet with backend "duckdb"): DuckDB reads it itself,
        out of core, with backend "duckdb"; the other backends read it with ``read_events``."""
        if self.backend == "duckdb":
            self._files.append(path)
            return self
        return self.feed(read_events(path), path.name)

    def events_read(self) -> int:
        """How many events were fed and read (before screening)."""
        return self._log().read if self.backend == "duckdb" else len(self._events)

    def _log(self) -> Any:
        """The SQL backend's log (:class:`policyengine.plan.monitors.SqlLog`), screened once
        for a given log, window and horizon."""
        key = (len(self._events), tuple(self._files), self._start, self._until, self.plausible_years)
        if self._sql is None or self._sql[0] != key:
            from ..plan.monitors import SqlLog  # DuckDB loads only for this backend

            log = SqlLog(
                self._files,
                self._events,
                start=self._start,
                until=self._until,
                plausible_years=self.plausible_years,
            )
            self._sql = (key, log)
        return self._sql[1]

    def advance(self, until: date) -> Monitor:
        """Take the log as complete up to and including ``until``."""
        self._until = until
        return self

    def observe(self, start: date, until: date | None = None) -> Monitor:
        """Observe from ``start`` through ``until`` (default: the last event's day), inclusive.

        Periodic monitors (``at_least_per_period``) judge every period from the one containing
        ``start`` for each group in the log, including periods before the group's first event
        and periods with no event at all (which fail, count 0). Without a start, a group's
        periods are judged from its first event's on, and earlier ones not at all.
        """
        self._start = start
        if until is not None:
            self._until = until
        return self

    def members(self, members: Iterable[Member]) -> Monitor:
        """Subjects the periodic monitors must judge whether or not they have events: each
        :class:`Member` names its group fields (``{"project": "P1"}``; used by the monitors
        grouped by exactly those fields) and its own period. A member with no events fails
        every period inside its period and the window (see :mod:`.population`)."""
        self._members.extend(members)
        return self

    def _screened(self) -> tuple[list[Event], list[SetAside]]:
        """The log sorted and screened, once for a given log, window and horizon (``window``,
        ``set_aside`` and ``findings`` each need it; a national log is millions of events)."""
        key = (len(self._events), self._start, self._until, self.plausible_years)
        if self._screen_key != key:
            self._screen = screen(
                ordered(self._events),
                start=self._start,
                until=self._until,
                plausible_years=self.plausible_years,
            )
            self._screen_key = key
        return self._screen

    def set_aside(self) -> list[SetAside]:
        """The events a run leaves out, with the reason: duplicates, id conflicts, implausible
        dates (:func:`.events.screen`)."""
        return self._log().set_aside() if self.backend == "duckdb" else self._screened()[1]

    def window(self) -> tuple[date | None, date | None]:
        """The window observed: its start (None when not given), and ``until`` (the last
        plausible event's day when not given; None when there are no events)."""
        if self.backend == "duckdb":
            return self._start, self._until or self._log().last_day()
        until = self._until or max((e.date for e in self._screened()[0]), default=None)
        return self._start, until

    def findings(self) -> list[MonitorFinding]:
        sql = self._log() if self.backend == "duckdb" else None
        events = [] if sql is not None else self._screened()[0]
        if not (sql.count() if sql is not None else events) and not self._members:
            return []
        start, until = self.window()
        if until is None:
            raise PolicyEngineError(
                [
                    Problem(
                        "no events and no `until`",
                        None,
                        "give the day the log runs through (advance or observe)",
                    )
                ]
            )
        if start is not None and start > until:
            raise PolicyEngineError(
                [
                    Problem(
                        f"the window starts on {start}, after it ends ({until})",
                        None,
                        "the start must be on or before `until`",
                    )
                ]
            )
        if sql is not None:
            runs = [(m, _params(p, until, start, self._members)) for p in self.packs for m in p.monitors]
            return sorted(sql.findings(runs, until), key=MonitorFinding.sort_key)
        events = [e for e in events if e.date <= until]
        if self.backend == "durable" and self.isolate:
            out = _isolated(self, events, until)
        else:
            out = _run_all(self.packs, self.backend, events, until, start, self._members)
        return sorted(out, key=MonitorFinding.sort_key)


def _sql_available() -> None:
    try:
        from ..plan.monitors import sql_available  # imports SQLGlot

        ok, why = sql_available()
    except ImportError as exc:
        ok, why = False, str(exc)
    if not ok:
        raise PolicyEngineError(
            [
                Problem(
                    f"DuckDB 后端不可用 / the duckdb backend is not available here ({why})",
                    None,
                    'pip install "policyengine[plan]" (DuckDB, SQLGlot), or backend plain (same findings)',
                )
            ]
        )


def _params(
    pack: Pack, until: date, start: date | None, members: list[Member] | None = None
) -> dict[str, Any]:
    """The pack's parameters in force on ``until``, and the window start and the members
    (when given) under their reserved keys."""
    params, _ = pack.params_at(until)
    if start is not None:
        params = {**params, WINDOW_START: start}
    if members:
        params = {**params, MEMBERS: tuple(members)}
    return params


def _run_all(
    packs: list[Pack],
    backend: str,
    events: list[Event],
    until: date,
    start: date | None = None,
    members: list[Member] | None = None,
) -> list[MonitorFinding]:
    out: list[MonitorFinding] = []
    for pack in packs:
        params = _params(pack, until, start, members)
        for mon in pack.monitors:
            run = durable.run_durable if backend == "durable" else run_plain
            try:
                out.extend(run(mon, events, until, params))
            except Exception as exc:  # a monitor never takes the others down with it
                text = f"{type(exc).__name__}: {exc}"
                why = {"why_zh": f"监测规则运行出错:{text}", "why_en": f"the monitor failed: {text}"}
                out.append(finding(mon, Outcome.ERROR, [], why))
    return out


def _isolated(monitor: Monitor, events: list[Event], until: date) -> list[MonitorFinding]:
    """Each monitor in its own forked child, whose durable-rules engine has never run anything:
    state that durable-rules' C engine accumulates over many runs in one process can crash it
    (a segmentation fault seen after a few runs of different monitors), so no process ever runs
    more than one. Where fork is not available, one spawned child runs them all."""
    if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover - not Linux
        return _in_child(monitor, events, until)
    out: list[MonitorFinding] = []
    for pack in monitor.packs:
        params = _params(pack, until, monitor._start, monitor._members)
        for mon in pack.monitors:
            out.extend(_forked(mon, events, until, params))
    return out


def _run_one(mon: Any, events: list[Event], until: date, params: Any, conn: Any) -> None:
    try:
        conn.send(("ok", durable.run_durable(mon, events, until, params)))
    except BaseException as exc:  # reported, never lost
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _forked(mon: Any, events: list[Event], until: date, params: Any, tries: int = 2) -> list[MonitorFinding]:
    ctx = multiprocessing.get_context("fork")
    why_en = "durable-rules crashed twice; the plain backend gives the same findings"
    for _ in range(tries):
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_run_one, args=(mon, events, until, params, send), daemon=True)
        proc.start()
        send.close()
        try:
            status, payload = recv.recv()
        except EOFError:  # the child died before answering
            status, payload = "crashed", None
        proc.join()
        recv.close()
        if status == "ok":
            return payload  # type: ignore[no-any-return]
        if status == "error":
            return [finding(mon, Outcome.ERROR, [], {"why_zh": payload, "why_en": payload})]
    return [
        finding(
            mon,
            Outcome.ERROR,
            [],
            {"why_zh": "durable-rules 进程两次意外终止;plain 后端给出相同结论", "why_en": why_en},
        )
    ]


def _child(
    pack_dirs: list[str],
    events: list[Event],
    until: date,
    start: date | None = None,
    members: list[Member] | None = None,
) -> list[MonitorFinding]:
    """Runs in a fresh process: load the packs, run the durable backend."""
    registry = get_registry()
    return _run_all([registry.load(d) for d in pack_dirs], "durable", events, until, start, members)


def _in_child(
    monitor: Monitor, events: list[Event], until: date, tries: int = 2, target: Any = None
) -> list[MonitorFinding]:
    """durable-rules' C engine can crash the process it runs in (a segmentation fault that
    depends on what ran before in that process). Run it in a child; retry once if it dies."""
    dirs = [str(p.path) for p in monitor.packs]
    for _ in range(tries):
        try:
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
                job = pool.submit(target or _child, dirs, events, until, monitor._start, monitor._members)
                return job.result()  # type: ignore[no-any-return]
        except BrokenProcessPool:
            continue
    why = "durable-rules 进程意外终止;plain 后端给出相同结论"
    return [
        finding(
            m,
            Outcome.ERROR,
            [],
            {
                "why_zh": why,
                "why_en": "durable-rules crashed twice; the plain backend gives the same findings",
            },
        )
        for m in monitor.monitors
    ]
