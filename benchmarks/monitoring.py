"""Monitoring: events/s on a generated year of events, both backends.

python benchmarks/monitoring.py [--stations 100]

durable-rules' C engine crashes after several different monitors have run in one
process (see docs/monitoring.md; more often on a loaded machine), which is why the library
forks a child per monitor by default. The in-process figure is therefore measured one
monitor per fresh interpreter: each child times only its own feed/advance and sends its
findings back as JSON. When the backends disagree, the differing findings are printed.
"""

from __future__ import annotations

import argparse
import dataclasses
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


def _run_pack(
    pack: str, log: list, backend: str, isolate: bool, only: str | None = None
) -> tuple[float, list]:
    loaded = get_registry().load(pack)
    if only is not None:  # this monitor alone
        loaded = dataclasses.replace(loaded, monitors=[m for m in loaded.monitors if m.id == only])
    t = time.perf_counter()
    m = Monitor([loaded], backend=backend, isolate=isolate).feed(log).advance(date(2023, 12, 31))
    found = [f.to_dict() for f in m.findings()]
    secs = time.perf_counter() - t
    # The same JSON form for every backend, so findings from a child compare equal.
    return secs, json.loads(json.dumps(found, default=str))


def _in_fresh_interpreters(pack: str, stations: int) -> tuple[float, list]:
    """Run each of a pack's monitors on the in-process durable backend, each in a child that
    has run nothing else; the findings in the order Monitor.findings() gives them."""
    secs, found = 0.0, []
    for mon in get_registry().load(pack).monitors:
        out = subprocess.run(
            [sys.executable, __file__, "--stations", str(stations), "--one-in-process", f"{pack}:{mon.id}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        child_secs, child_found = json.loads(out)
        secs += child_secs
        found.extend(child_found)
    return secs, sorted(found, key=_sort_key)


def _sort_key(f: dict) -> tuple:
    """MonitorFinding.sort_key, on a finding's JSON form."""
    key = tuple((k, v or "") for k, v in f["key"].items())
    return (f["pack"], f["monitor"], key, f["period"] or "", tuple(f["events"]), f["outcome"])


def _differences(results: dict[str, list], limit: int = 10) -> list[str]:
    """Findings a backend gives that the first does not, and the reverse: what explains a
    disagreement."""
    (first_label, first), *others = results.items()
    lines = []
    for label, found in others:
        ours = [json.dumps(f, ensure_ascii=False, sort_keys=True) for f in first]
        theirs = [json.dumps(f, ensure_ascii=False, sort_keys=True) for f in found]
        only_first = [x for x in ours if x not in set(theirs)]
        only_other = [x for x in theirs if x not in set(ours)]
        if only_first or only_other or len(ours) != len(theirs):
            lines.append(f"{label} vs {first_label}: {len(theirs)} vs {len(ours)} findings")
            lines += [f"  only {first_label}: {x}" for x in only_first[:limit]]
            lines += [f"  only {label}: {x}" for x in only_other[:limit]]
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stations", type=int, default=100)
    ap.add_argument("--one-in-process", metavar="PACK", help=argparse.SUPPRESS)
    args = ap.parse_args()
    log = year_log(stations=args.stations, seed=7)
    # Packs are loaded and compiled before any timing (start-up is startup.py's business).
    for pack in [args.one_in_process.partition(":")[0]] if args.one_in_process else PACKS:
        get_registry().load(pack)
    if args.one_in_process:
        import policyengine.monitor.durable  # noqa: F401  (importing the C engine is not monitoring)

        pack, _, monitor = args.one_in_process.partition(":")
        secs, found = _run_pack(pack, log, "durable", isolate=False, only=monitor)
        print(json.dumps([secs, found]))
        return
    print(
        "# method: each backend once over every pack, one after the other (not interleaved), wall time "
        "(time.perf_counter) of feed, advance and findings, packs loaded before timing; the forked "
        "and fresh-interpreter backends spend their time in child processes, so no CPU-time figure"
    )
    print(
        f"# monitoring: a year of {len(log):,} events over {args.stations} stations, packs {', '.join(PACKS)}"
    )
    runs: dict[str, Callable[[str], tuple[float, list]]] = {
        "plain": lambda pack: _run_pack(pack, log, "plain", isolate=True)
    }
    if durable_available()[0]:
        runs["durable, forked per monitor"] = lambda pack: _run_pack(pack, log, "durable", isolate=True)
        runs["durable, in-process (one fresh interpreter per monitor)"] = lambda pack: _in_fresh_interpreters(
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
    for line in _differences(results):
        print(line)
    first = next(iter(results.values()))
    print("all backends agree:", all(r == first for r in results.values()))


if __name__ == "__main__":
    main()
