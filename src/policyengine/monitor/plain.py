"""The plain-Python monitor backend: each kind's own algorithm over the sorted event list
(see :mod:`.kinds`). Identical findings to the durable-rules backend, by differential test."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from ..models.events import Event
from ..packs.monitors import CompiledMonitor
from .findings import MonitorFinding
from .kinds.base import kind_of

__all__ = ["MonitorFinding", "run_plain"]


def run_plain(
    mon: CompiledMonitor, events: Sequence[Event], until: date, params: Mapping[str, Any]
) -> list[MonitorFinding]:
    return kind_of(mon).plain(mon, events, until, params)
