"""What a monitor kind is: the one place each kind's pieces are declared together."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from ...models.events import Event
from ...packs.monitors import CompiledMonitor
from ...packs.schema import Monitor
from ..findings import MonitorFinding

#: A backend's run of one monitor: ``(monitor, events in order, until, parameters) -> findings``.
Run = Callable[[CompiledMonitor, Sequence[Event], date, Mapping[str, Any]], list[MonitorFinding]]

#: The observation window's first day (``Monitor.observe``, ``--from``), passed to every run in
#: its parameters under this key (no pack parameter can be named so); absent when not given.
#: Kinds that judge calendar periods judge every one from the period containing it.
WINDOW_START = "@window_start"


def window_start(params: Mapping[str, Any]) -> date | None:
    """The observation window's first day, or None when the run was given none."""
    start = params.get(WINDOW_START)
    return start if isinstance(start, date) else None


@dataclass(frozen=True)
class MonitorKind:
    """One kind of monitor (``kind:`` in a pack's ``monitors:``), complete.

    Every piece is required, so a kind that lacks one fails where it is declared, at import:
    ``spec`` is the pydantic model of a monitor of this kind (the fields the pack may give);
    ``placeholders`` the ``{names}`` its messages may use; ``plain`` and ``durable`` its run
    on each backend, which must give identical findings.
    """

    name: str
    spec: type[Monitor]
    placeholders: frozenset[str]
    plain: Run
    durable: Run


S = TypeVar("S", bound=Monitor)


def spec_of(mon: CompiledMonitor, cls: type[S]) -> S:
    """The monitor's spec as its kind's model (the loader validated it against that model)."""
    if not isinstance(mon.spec, cls):
        raise TypeError(f"monitor `{mon.id}` is a {mon.spec.kind}, not a {cls.__name__}")
    return mon.spec


def kind_of(mon: CompiledMonitor) -> MonitorKind:
    """The kind a compiled monitor was checked against at load: its runs dispatch through it."""
    if not isinstance(mon.kind, MonitorKind):
        raise TypeError(f"monitor `{mon.id}` has no runnable kind ({mon.kind!r})")
    return mon.kind
