"""Monitoring over event logs: event-time rules from packs' ``monitors:`` (docs/monitoring.md).

Names are imported on first use, because the pack loader imports ``monitor.spec``.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "Event",
    "EventType",
    "Monitor",
    "MonitorFinding",
    "default_backend",
    "durable_available",
    "read_events",
]

_WHERE = {
    "Monitor": "api",
    "default_backend": "api",
    "durable_available": "api",
    "Event": "events",
    "EventType": "events",
    "read_events": "events",
    "MonitorFinding": "plain",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        from importlib import import_module

        return getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(name)
