"""Batch end to end: `policyengine assess` on generated CSV and JSONL, 1 and 2 processes.

    python benchmarks/batch.py [--rows 100000] [--projects 20000] [--million]

Two workloads: flat funding rows under `sichuan` (one rule per row: reading and writing
dominate), and nested Lanzhou pilot projects under `lanzhou_2022` (39 rules per row, the mix
of benchmarks/throughput.py: evaluation dominates). Prints rows/s and the peak memory of the
command's largest process. `--million` also runs a 1,000,000-row JSONL (about 1 minute) to
show that memory stays flat.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

HEADERS = [
    "编号",
    "名称",
    "省",
    "县(市、区)",
    "资金/社会救助专项资金(元)",
    "资金/其中:社会救助专项资金列支(元)",
]


def write_inputs(directory: Path, rows: int, seed: int = 1) -> tuple[Path, Path]:
    rng = random.Random(seed)
    jsonl, csv_path = directory / f"funding-{rows}.jsonl", directory / f"funding-{rows}.csv"
    with jsonl.open("w", encoding="utf-8") as fj, csv_path.open("w", encoding="utf-8-sig", newline="") as fc:
        out = csv.writer(fc)
        out.writerow(HEADERS)
        for i in range(rows):
            special = rng.randint(100, 10000) * 1000
            spent = int(special * rng.choice([0.02, 0.03, 0.035]))
            county = f"县{i % 40}"
            fj.write(
                json.dumps(
                    {
                        "kind": "funding",
                        "id": f"F{i}",
                        "region": {"province": "四川省", "county": county},
                        "funds": {"social_assistance": special, "purchase_from_special": spent},
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
            out.writerow([f"F{i}", f"县{i}", "四川省", county, f"{special / 10000:g}万", spent])
    return jsonl, csv_path


def write_projects(directory: Path, rows: int, seed: int = 1) -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from throughput import project_dicts

    path = directory / f"projects-{rows}.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for rec in project_dicts(rows, seed):
            f.write(json.dumps(rec, ensure_ascii=False, default=str) + "\n")
    return path


def run(args: list[str], cwd: Path) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one command, measured by a wrapper process."""
    wrapper = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], check=False, stdout=subprocess.DEVNULL); "
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapper, *args], capture_output=True, text=True, cwd=cwd, check=True
    )
    seconds, kb = out.stdout.split()
    return float(seconds), int(kb) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--projects", type=int, default=20_000)
    ap.add_argument("--million", action="store_true")
    args = ap.parse_args()
    cli = [
        sys.executable,
        "-m",
        "policyengine.cli",
        "assess",
        "-p",
        "sichuan",
        "--as-of",
        "2022-12-31",
        "--no-progress",
        "--kind",
        "funding",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        jsonl, csv_path = write_inputs(d, args.rows)
        print(
            "# method: each command once, one after the other (not interleaved), wall time of the "
            "whole command and the peak RSS of its largest process, measured by a wrapper process"
        )
        print(f"# batch: sichuan over {args.rows:,} funding rows")
        for name, path in (("JSONL", jsonl), ("CSV", csv_path)):
            for jobs in (1, 2):
                secs, mb = run([*cli, str(path), "-o", "out.jsonl", "--jobs", str(jobs)], d)
                print(
                    f"{name}, {jobs} process(es): {args.rows / secs:,.0f} rows/s, {secs:.1f} s, "
                    f"peak {mb:.0f} MB (largest process)"
                )
        projects = write_projects(d, args.projects)
        print(f"# batch: lanzhou_2022 over {args.projects:,} pilot projects (JSONL, 39 rules each)")
        lanzhou = [*cli[:5], "lanzhou_2022", "--as-of", "2023-09-28", "--no-progress"]
        for jobs in (1, 2):
            secs, mb = run([*lanzhou, str(projects), "-o", "out.jsonl", "--jobs", str(jobs)], d)
            print(
                f"JSONL, {jobs} process(es): {args.projects / secs:,.0f} rows/s, {secs:.1f} s, "
                f"peak {mb:.0f} MB (largest process)"
            )
        if args.million:
            big, _ = write_inputs(d, 1_000_000)
            secs, mb = run([*cli, str(big), "-o", "out.jsonl"], d)
            print(
                f"JSONL 1,000,000 funding rows, 1 process: {1_000_000 / secs:,.0f} rows/s, "
                f"peak {mb:.0f} MB (target < 300 MB)"
            )


if __name__ == "__main__":
    main()
