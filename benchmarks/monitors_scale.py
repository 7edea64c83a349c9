"""Monitors at scale: one shipped monitor of each kind over a generated log of 10,000, 100,000
and 1,000,000 events, end to end from the JSON Lines file (read, screen, run, every finding
made), plain Python against DuckDB (durable-rules at the smallest size).

python benchmarks/monitors_scale.py [--sizes 10000,100000,1000000] [--runs 3] [--plain-runs-largest 1]

Each measurement is a fresh process (so its peak RSS is its own) that times only its own work:
process CPU time (all threads: DuckDB's included) and wall time. The backends take turns
(plain, duckdb, then duckdb, plain …) for each run; figures are medians of the runs. Where
both ran, the findings are compared (their SHA-256 digest), and the script exits 1 if they
differ.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
YEAR = date(2023, 1, 1)
UNTIL = date(2023, 12, 31)

#: kind → (pack, monitor id) of the shipped monitor measured
MONITORS = {
    "followed_by": ("haining", "staff.departure_filed"),
    "preceded_by": ("haining", "staff.notice_given"),
    "at_least_per_period": ("chengdu", "visits.twice_monthly"),
    "at_most_distinct": ("lanzhou_2022", "staffing.stability"),
    "no_overlap": ("haining", "worker.one_project"),
}


def _day(rng: random.Random, lo: int = 0, hi: int = 364) -> date:
    return YEAR + timedelta(days=rng.randint(lo, hi))


def generate(kind: str, n: int, seed: int = 1) -> list[dict[str, Any]]:
    """About ``n`` events for the kind's monitor: most pass, some fail, some are undecided."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []

    def add(**e: Any) -> None:
        e["id"] = f"x{len(out):08d}"
        for k in ("date", "start", "end"):
            if k in e:
                e[k] = e[k].isoformat()
        out.append(e)

    i = 0
    while len(out) < n:
        i += 1
        staff, station = f"W{i:07d}", f"S{i % 40000:05d}"
        if kind in ("followed_by", "preceded_by"):
            left = _day(rng, 40)
            add(type="staff_left", date=left, staff=staff, station=station, project=f"P{i % 9000}")
            late = rng.randint(0, 12) if kind == "followed_by" else rng.randint(-60, 3)
            if rng.random() < 0.9:
                typ = "staff_filed" if kind == "followed_by" else "staff_notice"
                add(type=typ, date=left + timedelta(days=late), staff=staff, station=station)
        elif kind == "at_least_per_period":
            person = f"L{i:07d}"
            add(type="enrolled", date=YEAR - timedelta(days=rng.randint(1, 400)), person=person)
            for month in range(1, 13):
                for _ in range(2 if rng.random() < 0.95 else 1):
                    add(type="visit", date=date(2023, month, rng.randint(1, 28)), person=person)
        elif kind == "at_most_distinct":
            project = f"LZ{i:06d}"
            for k in range(rng.choice([1, 1, 2, 3])):
                add(type="staff_left", date=_day(rng), project=project, staff=f"{project}-{k}")
        else:
            for k in range(3):
                start = _day(rng, 0, 300)
                add(
                    type="assignment",
                    date=start,
                    start=start,
                    end=start + timedelta(days=rng.randint(20, 120)),
                    staff=staff,
                    project=f"P{i}-{k}",
                )
    return out[:n]


def child(kind: str, backend: str, path: str) -> None:
    """Runs in a fresh process: one monitor over the log file, timed; prints JSON."""
    from policyengine.monitor import Monitor
    from policyengine.plugins import get_registry

    pack_id, monitor_id = MONITORS[kind]
    pack = get_registry().load(pack_id)
    pack = dataclasses.replace(pack, monitors=[m for m in pack.monitors if m.id == monitor_id])
    cpu, wall = _cpu(), time.perf_counter()
    m = Monitor([pack], backend=backend).read(Path(path)).advance(UNTIL)
    found = m.findings()
    cpu, wall = _cpu() - cpu, time.perf_counter() - wall
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MB (Linux: KiB), before the digest
    digest = hashlib.sha256(json.dumps([f.to_dict() for f in found], default=str).encode()).hexdigest()
    outcomes = {o: sum(f.outcome.value == o for f in found) for o in ("pass", "fail", "unknown", "error")}
    print(json.dumps({"cpu": cpu, "wall": wall, "rss": rss, "digest": digest, "findings": outcomes}))


def _cpu() -> float:
    """CPU time of this process (all its threads) and of its children that have ended (the
    durable backend runs each monitor in a forked child)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def measure(kind: str, backend: str, path: Path) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", kind, backend, str(path)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--plain-runs-largest", type=int, default=1, help="plain runs at the largest size")
    ap.add_argument("--kinds", default=",".join(MONITORS))
    ap.add_argument(
        "--durable", action=argparse.BooleanOptionalAction, default=True, help="durable at 10,000"
    )
    ap.add_argument("--child", nargs=3, metavar=("KIND", "BACKEND", "LOG"))
    ap.add_argument("--generate", nargs=3, metavar=("KIND", "EVENTS", "LOG"))
    args = ap.parse_args()
    if args.generate:
        kind, n, path = args.generate
        with open(path, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(e) + "\n" for e in generate(kind, int(n)))
        return 0
    if args.child:
        child(*args.child)
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        "# method: one fresh process per measurement, process CPU time (all threads) and wall time, "
        f"backends in turns, medians of {args.runs} runs; peak RSS of the process; end to end from a "
        "JSON Lines file (read, screen, run, every finding made)"
    )
    print(f"# machine: {_machine()}")
    print(
        f"{'kind':20} {'events':>9} {'backend':8} {'runs':>4} {'CPU s':>8} {'wall s':>8} "
        f"{'events/CPU-s':>13} {'events/s wall':>13} {'peak MB':>8}  findings"
    )
    differ = False
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.kinds.split(","):
            for n in sizes:
                path = Path(tmp) / f"{kind}-{n}.jsonl"
                # generated in a child: a parent that once held a large log would pass its peak
                # RSS on to every child it starts (Linux keeps ru_maxrss across fork and exec)
                subprocess.run([sys.executable, __file__, "--generate", kind, str(n), str(path)], check=True)
                backends = ["plain", "duckdb"] + (["durable"] if args.durable and n <= 10_000 else [])
                results: dict[str, list[dict[str, Any]]] = {b: [] for b in backends}
                for r in range(args.runs):
                    order = backends if r % 2 == 0 else list(reversed(backends))
                    for b in order:
                        if b == "plain" and n == max(sizes) and len(results[b]) >= args.plain_runs_largest:
                            continue
                        results[b].append(measure(kind, b, path))
                digests = {b: {x["digest"] for x in rs} for b, rs in results.items() if rs}
                if len(set().union(*digests.values())) != 1:
                    differ = True
                    print(f"!! {kind} at {n}: the backends' findings differ: {digests}")
                for b, rs in results.items():
                    if rs:
                        _line(kind, n, b, rs)
                path.unlink()
    return 1 if differ else 0


def _line(kind: str, n: int, backend: str, rs: list[dict[str, Any]]) -> None:
    cpu = statistics.median(x["cpu"] for x in rs)
    wall = statistics.median(x["wall"] for x in rs)
    rss = max(x["rss"] for x in rs)
    print(
        f"{kind:20} {n:>9,} {backend:8} {len(rs):>4} {cpu:>8.2f} {wall:>8.2f} {n / cpu:>13,.0f} "
        f"{n / wall:>13,.0f} {rss:>8.0f}  {rs[0]['findings']}",
        flush=True,
    )


def _machine() -> str:
    import platform

    model = ""
    try:
        with open("/proc/cpuinfo") as fh:
            model = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"nproc {os.cpu_count()}, {model}, Python {platform.python_version()}, load average {load:.1f}"


if __name__ == "__main__":
    sys.exit(main())
