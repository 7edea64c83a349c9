"""A seeded generator of a year of events over N stations: staff changes (some filed late or
never), notices (some not refilled in time), elder visits (some months short), monthly
monitoring and quarterly scheduling (some missed), and worker assignments (some overlapping)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any


def year_log(stations: int = 100, seed: int = 7, year: int = 2023) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    start = date(year, 1, 1)

    def day(lo: int = 0, hi: int = 364) -> date:
        return start + timedelta(days=rng.randint(lo, hi))

    def add(**e: Any) -> None:
        e["id"] = f"g{len(out):06d}"
        e["date"] = e["date"].isoformat()
        for k in ("start", "end"):
            if k in e:
                e[k] = e[k].isoformat()
        out.append(e)

    for s in range(stations):
        sid, pid = f"S{s:03d}", f"P{s:03d}"
        # staff changes
        for k in range(rng.randint(1, 4)):
            staff = f"{sid}-W{k}"
            left = day(0, 355)
            add(type="staff_left", date=left, station=sid, staff=staff, project=pid)
            r = rng.random()
            if r < 0.7:
                add(
                    type="staff_filed",
                    date=left + timedelta(days=rng.randint(0, 7)),
                    station=sid,
                    staff=staff,
                )
            elif r < 0.9:
                add(
                    type="staff_filed",
                    date=left + timedelta(days=rng.randint(8, 30)),
                    station=sid,
                    staff=staff,
                )
            newcomer = f"{sid}-N{k}"
            joined = day(0, 358)
            add(type="staff_joined", date=joined, station=sid, staff=newcomer, project=pid)
            if rng.random() < 0.8:
                add(
                    type="staff_filed",
                    date=joined + timedelta(days=rng.randint(0, 10)),
                    station=sid,
                    staff=newcomer,
                )
        if rng.random() < 0.5:
            notice = day(0, 300)
            add(type="staff_notice", date=notice, station=sid, staff=f"{sid}-W9")
            if rng.random() < 0.6:
                add(
                    type="staff_joined",
                    date=notice + timedelta(days=rng.randint(10, 80)),
                    station=sid,
                    staff=f"{sid}-R9",
                )
        # elders visited 1-3 times a month
        for e in range(rng.randint(2, 5)):
            person = f"{sid}-E{e}"
            for month in range(1, 13):
                for _ in range(rng.choice([1, 2, 2, 2, 3])):
                    add(type="visit", date=date(year, month, rng.randint(1, 28)), station=sid, person=person)
        # oversight: monthly monitoring, quarterly scheduling, each sometimes missed
        for month in range(1, 13):
            if rng.random() < 0.92:
                add(type="monitoring", date=date(year, month, rng.randint(1, 28)), project=pid, station=sid)
        for q in range(4):
            if rng.random() < 0.9:
                add(
                    type="scheduling",
                    date=date(year, 3 * q + 2, rng.randint(1, 28)),
                    project=pid,
                    station=sid,
                )
        # assignments: one per worker; a few workers also on a neighbour's project
        worker = f"{sid}-A"
        add(type="assignment", date=start, staff=worker, project=pid, start=start, end=date(year, 12, 31))
        if rng.random() < 0.1:
            begin = day(0, 300)
            add(
                type="assignment",
                date=begin,
                staff=worker,
                project=f"P{(s + 1) % stations:03d}",
                start=begin,
                end=begin + timedelta(days=90),
            )
    rng.shuffle(out)  # logs arrive in any order
    return out
