"""Monitoring: events/s on a generated year of events, both backends.

python benchmarks/monitoring.py [--stations 100]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from event_logs import year_log  # noqa: E402
from policyengine.monitor import Monitor  # noqa: E402
from policyengine.monitor.api import durable_available  # noqa: E402

PACKS = ["haining", "chengdu", "hunan", "lanzhou_2022"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stations", type=int, default=100)
    args = ap.parse_args()
    log = year_log(stations=args.stations, seed=7)
    print(
        f"# monitoring: a year of {len(log):,} events over {args.stations} stations, packs {', '.join(PACKS)}"
    )
    backends = ["plain", "durable"] if durable_available()[0] else ["plain"]
    results = {}
    for backend in backends:
        for isolate in (True, False) if backend == "durable" else (True,):
            t = time.perf_counter()
            found = []
            for pack in PACKS:
                m = Monitor([pack], backend=backend, isolate=isolate).feed(log).advance(date(2023, 12, 31))
                found.extend(f.to_dict() for f in m.findings())
            secs = time.perf_counter() - t
            label = backend + (
                "" if backend == "plain" else (", forked per monitor" if isolate else ", in-process")
            )
            results[label] = found
            print(
                f"{label}: {len(PACKS) * len(log) / secs:,.0f} events/s ({secs:.2f} s, {len(found)} findings)"
            )
    first = next(iter(results.values()))
    print("all backends agree:", all(r == first for r in results.values()))


if __name__ == "__main__":
    main()
