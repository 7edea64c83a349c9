"""`Engine.evaluate` with generated row code against the closures and the hand-written checks.

Three candidates over the same validated Lanzhou projects (the records of `throughput.py`):
`Engine(..., codegen=True)` (each pack's rules as one generated Python function), the default
engine (closures) and `handwritten.py`, all through the same calls a caller makes, interleaved
in slices with process CPU time and wall time beside (see measure.py). Before any figure is
printed, the generated engine's reports must equal the closures' (`Report.to_dict()`, traces
off on every record, on for every tenth) and the hand-written outcomes on every record; any
difference exits 1.

    python benchmarks/codegen.py [--records 20000] [--seed 1] [--slice 1000] [--rounds 40] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from handwritten import lanzhou  # noqa: E402
from measure import interleave, method_line  # noqa: E402
from throughput import AS_OF, each, lanzhou_records  # noqa: E402

from policyengine import Engine  # noqa: E402

TARGET = 1.5  # generated / hand-written, from the national-scale issue


def check(generated: Engine, closures: Engine, records: list[Any], traced_every: int = 10) -> int:
    """Records on which the two engines' reports or the hand-written outcomes differ: traces
    off (what is timed) on every record, traces on for every ``traced_every``-th."""
    differ = 0
    for i, r in enumerate(records):
        same = {f.rule: f.outcome.value for f in closures.evaluate(r, as_of=AS_OF, trace=False).findings} == (
            lanzhou(r, AS_OF)
        )
        for trace in (False, True) if i % traced_every == 0 else (False,):
            a = generated.evaluate(r, as_of=AS_OF, trace=trace)
            b = closures.evaluate(r, as_of=AS_OF, trace=trace)
            same = same and a.to_dict() == b.to_dict()
        differ += not same
    return differ


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--slice", type=int, default=1000, help="records per slice (default 1000)")
    ap.add_argument("--rounds", type=int, default=40, help="rounds per run (default 40)")
    ap.add_argument("--runs", type=int, default=3, help="whole interleaved runs (default 3)")
    args = ap.parse_args()
    size = min(args.slice, args.records)
    runs = f"; the whole comparison run {args.runs} times, the last line the median over the runs"
    print(method_line(size, args.rounds, runs))
    records = lanzhou_records(args.records, args.seed)
    generated = Engine.from_packs(["lanzhou_2022"], codegen=True)
    closures = Engine.from_packs(["lanzhou_2022"])
    n_rules = len(closures.packs[0].rules)
    fallbacks = generated.generated(generated.packs[0], "project").fallbacks
    differ = check(generated, closures, records)
    print(
        f"lanzhou_2022: {n_rules} rules, {len(fallbacks)} left to the closures {sorted(fallbacks)}; "
        f"{len(records)} records; generated vs closures (Report.to_dict(), traces off; on for every "
        f"tenth) vs hand-written (outcomes) differ on {differ} records"
    )
    if differ:
        raise SystemExit("the generated code does not give the closures' reports: no figure to report")
    ratios: dict[str, list[float]] = {"hand": [], "closures": [], "hand_wall": [], "closures_wall": []}
    for run in range(1, args.runs + 1):
        t = interleave(
            {
                "generated": each(lambda r: generated.evaluate(r, as_of=AS_OF, trace=False)),
                "closures": each(lambda r: closures.evaluate(r, as_of=AS_OF, trace=False)),
                "hand": each(lambda r: lanzhou(r, AS_OF)),
            },
            records,
            size,
            args.rounds,
        )
        print(f"run {run}:")
        for name in ("generated", "closures", "hand"):
            print(
                f"  {name + ':':11s}{t.rate(name):,.0f} records/s, "
                f"{t.seconds(name) / (size * n_rules) * 1e6:.2f} µs per rule "
                f"(wall {t.rate(name, 'wall'):,.0f} records/s)"
            )
        print(
            f"  ratio generated/hand-written throughput: {t.describe('generated', 'hand')}"
            f"  (target >= {TARGET})"
        )
        print(f"  ratio generated/closures throughput:     {t.describe('generated', 'closures')}")
        for other in ("hand", "closures"):
            ratios[other].append(t.ratio("generated", other))
            ratios[f"{other}_wall"].append(t.ratio("generated", other, "wall"))
    hand, hand_wall = statistics.median(ratios["hand"]), statistics.median(ratios["hand_wall"])
    print(
        f"median of {args.runs} runs: generated/hand-written {hand:.2f} (wall {hand_wall:.2f}), "
        f"generated/closures {statistics.median(ratios['closures']):.2f} "
        f"(wall {statistics.median(ratios['closures_wall']):.2f}); "
        f"target generated/hand-written >= {TARGET}: {'met' if hand >= TARGET else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
