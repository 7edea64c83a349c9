"""Monitoring: events/s on a generated year of events, both backends.

python benchmarks/monitoring.py [--stations 100]

durable-rules' C engine crashes after several different monitors have run in one
process (see docs/embedding.md), which is why the library forks a child per monitor by
default. The in-process figure is therefore measured one pack per fresh interpreter:
each child times only its own feed/advance and sends its findings back as JSON.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from event_logs import year_log  # noqa: E402
from policyengine.monitor import Monitor  # noqa: E402
from policyengine.monitor.api import durable_available  # noqa: E402
from policyengine.plugins import get_registry  # noqa: E402

PACKS = ["haining", "chengdu", "hunan", "lanzhou_2022"]


def _run_pack(pack: str, log: list, backend: str, isolate: bool) -> tuple[float, list]:
    t = time.perf_counter()
    m = Monitor([pack], backend=backend, isolate=isolate).feed(log).advance(date(2023, 12, 31))
    found = [f.to_dict() for f in m.findings()]
    secs = time.perf_counter() - t
    # The same JSON form for every backend, so findings from a child compare equal.
    return secs, json.loads(json.dumps(found, default=str))


def _in_fresh_interpreter(pack: str, stations: int) -> tuple[float, list]:
    """Run one pack on the in-process durable backend in a child that has run nothing else."""
    out = subprocess.run(
        [sys.executable, __file__, "--stations", str(stations), "--one-in-process", pack],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    secs, found = json.loads(out)
    return secs, found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stations", type=int, default=100)
    ap.add_argument("--one-in-process", metavar="PACK", help=argparse.SUPPRESS)
    args = ap.parse_args()
    log = year_log(stations=args.stations, seed=7)
    # Packs are loaded and compiled before any timing (start-up is startup.py's business).
    for pack in [args.one_in_process] if args.one_in_process else PACKS:
        get_registry().load(pack)
    if args.one_in_process:
        import policyengine.monitor.durable  # noqa: F401  (importing the C engine is not monitoring)

        secs, found = _run_pack(args.one_in_process, log, "durable", isolate=False)
        print(json.dumps([secs, found]))
        return
    print(
        f"# monitoring: a year of {len(log):,} events over {args.stations} stations, packs {', '.join(PACKS)}"
    )
    runs: dict[str, Callable[[str], tuple[float, list]]] = {
        "plain": lambda pack: _run_pack(pack, log, "plain", isolate=True)
    }
    if durable_available()[0]:
        runs["durable, forked per monitor"] = lambda pack: _run_pack(pack, log, "durable", isolate=True)
        runs["durable, in-process (one fresh interpreter per pack)"] = lambda pack: _in_fresh_interpreter(
            pack, args.stations
        )
    results = {}
    for label, run in runs.items():
        secs = 0.0
        found = []
        for pack in PACKS:
            pack_secs, pack_found = run(pack)
            secs += pack_secs
            found.extend(pack_found)
        results[label] = found
        print(f"{label}: {len(PACKS) * len(log) / secs:,.0f} events/s ({secs:.2f} s, {len(found)} findings)")
    first = next(iter(results.values()))
    print("all backends agree:", all(r == first for r in results.values()))


if __name__ == "__main__":
    main()
