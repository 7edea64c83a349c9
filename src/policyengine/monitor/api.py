"""``Monitor``: feed events, advance the watermark, read findings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import PolicyEngineError, Problem
from .events import Event, ordered, parse_events
from .plain import MonitorFinding, run_plain

if TYPE_CHECKING:
    from ..packs.loader import Pack

BACKENDS = ("auto", "plain", "durable")


def durable_available() -> tuple[bool, str]:
    from . import durable

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
    """

    def __init__(self, packs: Iterable[str | Path | Pack], backend: str = "auto") -> None:
        from ..packs.loader import Pack
        from ..plugins import get_registry

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
        self._until: date | None = None

    def feed(self, events: Iterable[Event | Mapping[str, Any]], source: str = "<events>") -> Monitor:
        self._events.extend(parse_events(events, source))
        return self

    def advance(self, until: date) -> Monitor:
        """Take the log as complete up to and including ``until``."""
        self._until = until
        return self

    def findings(self) -> list[MonitorFinding]:
        events = ordered(self._events)
        if not events:
            return []
        until = self._until or events[-1].date
        events = [e for e in events if e.date <= until]
        out: list[MonitorFinding] = []
        for mon in self.monitors:
            pack = next(p for p in self.packs if p.id == mon.pack_id)
            params, _ = pack.params_at(until)
            if self.backend == "durable":
                from .durable import run_durable

                out.extend(run_durable(mon, events, until, params))
            else:
                out.extend(run_plain(mon, events, until, params))
        return sorted(out, key=MonitorFinding.sort_key)
