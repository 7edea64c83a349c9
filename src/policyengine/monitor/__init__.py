"""Monitoring over event logs: event-time rules from packs' ``monitors:`` (docs/monitoring.md).

One module per monitor kind (:mod:`.kinds`), each with its plain-Python and durable-rules run;
:class:`Monitor` runs a pack's monitors over a log. Names load on first use, so that importing
one kind does not load the others' backends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS = {
    "Monitor": ".api",
    "default_backend": ".api",
    "durable_available": ".api",
    "Event": "..models.events",
    "EventType": "..models.events",
    "read_events": ".events",
    "MonitorFinding": ".findings",
    "MonitorKind": ".kinds.base",
    "MonitorResult": ".render",
    "Member": ".population",
}
__all__ = sorted(_EXPORTS)


__getattr__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from ..models.events import Event as Event
    from ..models.events import EventType as EventType
    from .api import Monitor as Monitor
    from .api import default_backend as default_backend
    from .api import durable_available as durable_available
    from .events import read_events as read_events
    from .findings import MonitorFinding as MonitorFinding
    from .kinds.base import MonitorKind as MonitorKind
    from .population import Member as Member
    from .render import MonitorResult as MonitorResult
