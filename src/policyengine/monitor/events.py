"""Event logs: read from JSON Lines, CSV or Python iterables, put in event-time order.

The event models themselves live with the other models (:mod:`policyengine.models.events`).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import Location, Problem, RecordError
from ..models.events import EVENT_FIELDS, Event, EventType, parse_events

__all__ = ["EVENT_FIELDS", "Event", "EventType", "ordered", "parse_events", "read_events"]


def ordered(events: Iterable[Event]) -> list[Event]:
    """By event time, ties by event id: any feed order gives the same sequence."""
    return sorted(events, key=lambda e: (e.date, e.id or ""))


def read_events(path: Path) -> list[Event]:
    """Events from .jsonl or .csv (headers: field names or their Chinese titles)."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise RecordError([Problem("no such file", Location(str(path)), None, "input")])
    if suffix == ".jsonl":
        rows: list[dict[str, Any]] = []
        with path.open(encoding="utf-8-sig") as fh:
            for n, line in enumerate(fh, start=1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise RecordError(
                            [
                                Problem(
                                    f"not valid JSON: {exc.msg}",
                                    Location(str(path), n),
                                    "each line must be one JSON object",
                                    "input",
                                )
                            ]
                        ) from None
        return parse_events(rows, path.name)
    if suffix == ".csv":
        titles = {fi.title: name for name, fi in Event.model_fields.items()}
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            rows = [{titles.get(k, k): v for k, v in r.items() if v not in (None, "")} for r in reader]
        return parse_events(rows, path.name)
    raise RecordError(
        [
            Problem(
                f"cannot read {suffix or 'this kind of'} event files",
                Location(str(path)),
                "give .jsonl or .csv",
                "input",
            )
        ]
    )
