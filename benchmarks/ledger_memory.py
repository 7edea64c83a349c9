"""Peak memory of `policyengine assess` with second sheets: stations with their staff and
services, at 640,000 stations and 1.9 M child rows by default (target: under 300 MB).

    python benchmarks/ledger_memory.py [--stations 640000] [--staff 2] [--services 1] [--xlsx N]

Before, the second sheets were read whole into a dict before the first station: 1.2 GB and
31 CPU-seconds at this size. Now they wait in a temporary SQLite file indexed by parent id
(src/policyengine/batch/children.py) and each station takes its rows with one look-up, so
memory should stay flat in the number of stations. The stations are a CSV ledger with a
staff and a services table (`--sheet`), in shuffled order against the stations' (a real
ledger's are in no order either); output goes to CSV. `--xlsx N` also runs N stations as one
workbook with 工作人员 and 服务 sheets (python-calamine holds a sheet in memory while it is
read: that figure grows with the workbook).

Measured by a wrapper process: wall seconds of the whole command, its CPU seconds, and the
peak RSS of the largest process it ran (``RUSAGE_CHILDREN``). Also the peak of a run at one
tenth of the stations, to show that memory does not grow with them.
"""

from __future__ import annotations

import argparse
import csv
import random
import subprocess
import sys
import tempfile
from pathlib import Path

AREAS = ["收集群众需求", "链接社会资源", "提供救助服务", "开展老幼关爱", "加强社区治理"]
HEADER = ["编号", "名称", "层级", "省", "市", "县(市、区)", "服务面积(平方米)", "年度运营经费(元)"]
HEADER += ["运营机构/社工机构", "运营机构/在民政部门登记"]


def write_ledger(directory: Path, stations: int, staff: int, services: int, seed: int = 7) -> list[str]:
    """stations.csv, staff.csv, services.csv; returns the `assess` arguments for them."""
    rng = random.Random(seed)
    with (directory / "stations.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for i in range(stations):
            row = [f"S{i:07d}", f"第{i}站", "乡镇(街道)社工站", "四川省", "眉山市", f"县{i % 120}"]
            out.writerow([*row, 100 + i % 90, f"{20 + i % 15}万", "是", "是"])
    ids = [f"S{i:07d}" for i in range(stations)]
    for name, per, header, make in (
        ("staff", staff, ["所属编号", "姓名", "职业水平证书", "专业社工", "全职"], _staff_row),
        ("services", services, ["所属编号", "服务领域", "服务名称"], _service_row),
    ):
        order = [sid for sid in ids for _ in range(per)]
        rng.shuffle(order)
        with (directory / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(header)
            for k, sid in enumerate(order):
                out.writerow(make(sid, k))
    return ["stations.csv", "--sheet", "staff=staff.csv", "--sheet", "services=services.csv"]


def _staff_row(sid: str, k: int) -> list[str]:
    return [sid, f"社工{k}", "中级" if k % 3 else "初级", "是", "是"]


def _service_row(sid: str, k: int) -> list[str]:
    return [sid, AREAS[k % 5], f"服务{k}"]


def write_workbook(directory: Path, stations: int, staff: int, services: int) -> list[str]:
    """The same ledger as one workbook (openpyxl, write-only)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for name, path in (("社工站", "stations.csv"), ("工作人员", "staff.csv"), ("服务", "services.csv")):
        ws = wb.create_sheet(name)
        with (directory / path).open(encoding="utf-8", newline="") as fh:
            for row in csv.reader(fh):
                ws.append(row)
    wb.save(directory / "stations.xlsx")
    return ["stations.xlsx"]


def measure(args: list[str], cwd: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB, largest process) of one `assess` run."""
    probe = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "r = subprocess.run(sys.argv[1:]); u = resource.getrusage(resource.RUSAGE_CHILDREN); "
        "print(time.perf_counter() - t, u.ru_utime + u.ru_stime, u.ru_maxrss); sys.exit(r.returncode > 1)"
    )
    command = [sys.executable, "-m", "policyengine.cli", "assess", "-p", "sichuan", "--kind", "station"]
    command += [*args, "--as-of", "2023-06-30", "-o", "results.csv", "--no-progress"]
    done = subprocess.run(
        [sys.executable, "-c", probe, *command], cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(f"assess failed:\n{done.stderr[-3000:]}")
    wall, cpu, kb = done.stdout.split()[-3:]
    return float(wall), float(cpu), int(kb) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=640_000)
    parser.add_argument("--staff", type=int, default=2, help="staff rows per station")
    parser.add_argument("--services", type=int, default=1, help="service rows per station")
    parser.add_argument("--xlsx", type=int, default=0, help="also a workbook of this many stations")
    opts = parser.parse_args()
    print(
        "# method: `policyengine assess -p sichuan` on a generated CSV ledger with staff and services "
        "tables (--sheet, child rows shuffled), output CSV; wall and CPU seconds of the whole command "
        "and the peak RSS of its largest process, measured by a wrapper process (RUSAGE_CHILDREN)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for n in (max(1, opts.stations // 10), opts.stations):
            args = write_ledger(directory, n, opts.staff, opts.services)
            children = n * (opts.staff + opts.services)
            wall, cpu, mb = measure(args, directory)
            print(
                f"CSV  {n:>9,} stations, {children:>10,} child rows: {wall:7.1f} s wall, "
                f"{cpu:7.1f} s CPU, {n / wall:8,.0f} stations/s, peak {mb:5.0f} MB (target < 300 MB)"
            )
        if opts.xlsx:
            write_ledger(directory, opts.xlsx, opts.staff, opts.services)
            args = write_workbook(directory, opts.xlsx, opts.staff, opts.services)
            children = opts.xlsx * (opts.staff + opts.services)
            wall, cpu, mb = measure(args, directory)
            print(
                f"XLSX {opts.xlsx:>9,} stations, {children:>10,} child rows: {wall:7.1f} s wall, "
                f"{cpu:7.1f} s CPU, peak {mb:5.0f} MB (a sheet is held in memory while it is read)"
            )


if __name__ == "__main__":
    main()
