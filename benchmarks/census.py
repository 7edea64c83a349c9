"""A national census of social-work stations: `assess` with the row engine against the plan.

    python benchmarks/census.py [--stations 40000] [--runs 3] [--big 640000 [--big-runs 1]
                                [--big-engines plan]] [--seed 1]

China has about 40,000 township stations; a census of them (or of the 600,000 village rooms)
is one batch. The generator writes, with a fixed seed, what a ministry would collect: a
stations ledger (CSV, Chinese headers and labels, a few blank and unreadable cells), a staff
sheet (about 1.75 rows per station) and a services sheet (about 1.2), keyed by station id;
and the same census as the plan's typed tables (codes, exact decimals), as a data warehouse
would hold it.

Measured, for each size:

1. `policyengine assess` end to end (read the ledger, validate, evaluate, write a CSV of
   results) with `--engine rows` and with `--engine plan`, each a fresh process, run in turns
   (rows plan, then plan rows, ...): wall time, CPU time of the process (all threads) and its
   peak RSS, medians over the runs. The two result files must be identical, byte for byte.
   At ``--big`` the row engine takes minutes: ``--big-engines plan`` assesses with the plan
   only (its verdict counts are then compared with the plan alone's).
2. The plan alone over the typed tables: DuckDB reads the three CSV files and runs the plan,
   counting verdicts (process CPU time, all threads; wall time; run in this process after one
   warm-up run). Its verdict counts must equal those of `assess`.

The packs are `sichuan`, `fujian` and `hubei`, 13 station rules, with `--ignore-scope` so that
every rule judges every station (a ministry comparing its stations against three provinces'
standards). Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

PACKS = ["sichuan", "fujian", "hubei"]
AS_OF = date(2023, 6, 30)
LEVELS = [("乡镇(街道)社工站", "township_station")] * 22 + [
    ("村(居)社工室", "village_room"),
    ("县级社工总站", "county_centre"),
]
PLACES = [("四川省", "成都市", "金牛区"), ("福建省", "福州市", "鼓楼区"), ("湖北省", "武汉市", "江岸区")]
CERTS = [("初级", "assistant"), ("中级", "intermediate"), ("高级", "senior"), ("无证", "none"), ("", None)]
DOMAINS = [
    ("社会救助", "social_assistance"),
    ("提供救助服务", "assistance_services"),
    ("开展老幼关爱", "elder_child_care"),
    ("加强社区治理", "community_governance"),
    ("养老服务", "elderly_care"),
]
YES = {"是": True, "否": False, "": None}
STATION_HEADERS = [
    "编号",
    "名称",
    "层级",
    "省",
    "市",
    "县(市、区)",
    "服务面积(平方米)",
    "办公场地",
    "社工机构",
    "在民政部门登记",
    "服务功能",
    "规章制度",
]


def _yes(rng: random.Random, p: float = 0.85, blank: float = 0.03) -> str:
    r = rng.random()
    return "" if r < blank else "是" if r < blank + p else "否"


def stations(n: int, seed: int) -> Any:
    """The census, one station at a time: (ledger row, staff rows, service rows, typed record)."""
    rng = random.Random(seed)
    for i in range(n):
        sid = f"S{i:07d}"
        level_label, level = rng.choice(LEVELS)
        province, city, county = PLACES[i % len(PLACES)]
        area = "" if rng.random() < 0.04 else str(rng.randint(0, 200))
        if rng.random() < 0.002:
            area = "约一百"  # unreadable: the field is missing, the row still judged
        office, swo, registered = _yes(rng), _yes(rng, 0.9), _yes(rng, 0.9)
        functions = "" if rng.random() < 0.1 else "收集群众需求、链接社会资源"
        systems = "" if rng.random() < 0.08 else "考勤制度、财务制度"
        row = [sid, f"示例{i}社工站", level_label, province, city, county, area, office, swo, registered]
        row += [functions, systems]
        staff = []
        for k in range(rng.choice([0, 1, 2, 2, 2, 3, 3, 1])):
            cert = rng.choice(CERTS)
            staff.append([sid, f"社工{i}-{k}", cert[0], _yes(rng, 0.8), _yes(rng, 0.8)])
        services = []
        for _ in range(rng.choice([0, 1, 1, 1, 2, 2, 1, 2, 1, 1])):
            domain = rng.choice(DOMAINS)
            services.append([sid, domain[0], domain[0]])
        typed = {
            "level": level,
            "site": {"office_space": YES[office], "area_m2": area if area.isdigit() else None},
            "operator": {
                "social_work_organization": YES[swo],
                "registered_with_civil_affairs": YES[registered],
            },
            "functions": functions.split("、") if functions else None,
            "systems": systems.split("、") if systems else None,
            "staff": [{"professional": YES[s[3]], "certification": dict(CERTS)[s[2]]} for s in staff] or None,
            "services": [{"domain": dict(DOMAINS)[s[1]]} for s in services] or None,
        }
        yield row, staff, services, typed


def write_census(directory: Path, n: int, seed: int, plan: Any) -> dict[str, Path]:
    """The ledger (stations, staff, services CSV) and the plan's typed tables, in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {f"ledger:{name}": directory / f"{name}.csv" for name in ("stations", "staff", "services")}
    tables = {t.name: directory / f"table-{t.name}.csv" for t in plan.tables()}
    files = {name: p.open("w", encoding="utf-8", newline="") for name, p in {**paths, **tables}.items()}
    try:
        out = {name: csv.writer(f) for name, f in files.items()}
        out["ledger:stations"].writerow(STATION_HEADERS)
        out["ledger:staff"].writerow(["所属编号", "姓名", "职业水平证书", "专业社工", "全职"])
        out["ledger:services"].writerow(["所属编号", "服务领域", "服务名称"])
        columns = {t.name: [c for c in t.columns.values()] for t in plan.tables()}
        for t in plan.tables():
            keys = ["_key"] if t.parent is None else ["_key", "_parent", "_root"]
            out[t.name].writerow([*keys, *(c.name for c in columns[t.name])])
        keys: Counter[str] = Counter()
        for i, (row, staff, services, typed) in enumerate(stations(n, seed)):
            out["ledger:stations"].writerow(row)
            out["ledger:staff"].writerows(staff)
            out["ledger:services"].writerows(services)
            _typed_rows(plan, typed, i, out, columns, keys)
    finally:
        for f in files.values():
            f.close()
    return {**paths, **tables}


def _typed_rows(
    plan: Any, typed: dict[str, Any], key: int, out: Any, columns: Any, keys: Counter[str]
) -> None:
    def value(obj: Any, steps: tuple[str, ...], kind: str) -> Any:
        for s in steps:
            obj = obj.get(s) if isinstance(obj, dict) else None
        if kind == "length":
            return "" if obj is None else len(obj)
        return "" if obj is None else ("true" if obj is True else "false" if obj is False else obj)

    def emit(table: Any, obj: Any, k: int, parent: int | None) -> None:
        keys_ = [k] if parent is None else [k, parent, key]
        out[table.name].writerow([*keys_, *(value(obj, c.steps, c.kind) for c in columns[table.name])])
        for child in table.lists.values():
            items = obj
            for s in child.steps:
                items = items.get(s) if isinstance(items, dict) else None
            for item in items or []:
                n = keys[child.name]
                keys[child.name] += 1
                emit(child, item, n, k)

    emit(plan.layout.records, typed, key, None)


def assess(directory: Path, engine: str, out: Path) -> dict[str, Any]:
    """One `policyengine assess` in a fresh process: wall and CPU seconds, peak RSS (MB), stdout."""
    args = [sys.executable, "-m", "policyengine.cli", "assess", *(a for p in PACKS for a in ("-p", p))]
    args += [str(directory / "stations.csv"), "--sheet", f"staff={directory / 'staff.csv'}"]
    args += ["--sheet", f"services={directory / 'services.csv'}", "--kind", "station"]
    args += ["--as-of", AS_OF.isoformat(), "--ignore-scope", "--no-progress", "--engine", engine]
    args += ["--out", str(out)]
    wrapper = (
        "import json, resource, subprocess, sys, time; t = time.perf_counter(); "
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
        "print(json.dumps({'wall': time.perf_counter() - t, 'cpu': u.ru_utime + u.ru_stime, "
        "'rss': u.ru_maxrss / 1024, 'code': r.returncode, 'out': r.stdout, 'err': r.stderr[-2000:]}))"
    )
    done = subprocess.run([sys.executable, "-c", wrapper, *args], capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    if result["code"] not in (0, 1, 3) or "Traceback" in result["err"]:
        raise SystemExit(f"assess --engine {engine} failed:\n{result['err']}")
    return result


def plan_alone(directory: Path, plan: Any, suffix: str = ".csv") -> tuple[float, float, Counter[str]]:
    """The plan over the typed tables, files DuckDB reads itself: CPU and wall seconds (median
    of three runs after a warm-up), and the verdict counts."""
    import duckdb

    from policyengine.plan.load import read_tables

    con = duckdb.connect()
    files = {t.name: directory / f"table-{t.name}{suffix}" for t in plan.tables()}
    if suffix == ".parquet":  # a warehouse's copy of the CSV tables (not timed)
        for t in plan.tables():
            csv_file = str(directory / f"table-{t.name}.csv").replace("'", "''")
            con.execute(f"COPY (SELECT * FROM read_csv('{csv_file}', header = true)) TO '{files[t.name]}'")
    read_tables(con, plan, files)
    query = f"SELECT verdict, count(*) FROM ({plan.sql(pretty=False)}) GROUP BY verdict"
    con.execute(query).fetchall()  # warm-up
    cpu, wall = [], []
    for _ in range(3):
        c0, w0 = time.process_time(), time.perf_counter()
        counts = Counter({str(v): n for v, n in con.execute(query).fetchall()})
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu), statistics.median(wall), counts


def verdicts_of(stdout: str) -> Counter[str]:
    """The verdict counts `assess` prints (合规 900  不合规 100 ...)."""
    labels = {
        "合规": "compliant",
        "不合规": "non_compliant",
        "数据不全": "incomplete",
        "未评估": "not_assessed",
    }
    first = stdout.splitlines()[0]
    found = Counter()
    for label, code in labels.items():
        for part in first.replace(":", " ").split("  "):
            words = part.split()
            if len(words) >= 2 and words[-2] == label:
                found[code] = int(words[-1])
    return found


def measure(
    n: int, runs: int, seed: int, plan: Any, root: Path, engines: tuple[str, ...] = ("rows", "plan")
) -> dict[str, Any]:
    """Generate ``n`` stations; ``runs`` rounds of assess with each of ``engines`` (none: the
    plan alone)."""
    directory = root / f"census-{n}"
    t = time.perf_counter()
    write_census(directory, n, seed, plan)
    sizes = ", ".join(
        f"{p.name} {sum(1 for _ in p.open(encoding='utf-8')) - 1:,} rows"
        for p in sorted(directory.glob("*.csv"))
    )
    print(f"# generated {n:,} stations in {time.perf_counter() - t:.0f} s: {sizes}")
    times: dict[str, list[dict[str, Any]]] = {e: [] for e in engines}
    for k in range(runs):
        for engine in engines if k % 2 == 0 else engines[::-1]:
            times[engine].append(assess(directory, engine, directory / f"results-{engine}.csv"))
            r = times[engine][-1]
            print(
                f"  run {k + 1} {engine:4}: wall {r['wall']:.1f} s, CPU {r['cpu']:.1f} s, "
                f"peak RSS {r['rss']:.0f} MB"
            )
    same = (
        None
        if runs == 0 or len(engines) < 2
        else (directory / "results-rows.csv").read_bytes() == (directory / "results-plan.csv").read_bytes()
    )
    alone = {suffix: plan_alone(directory, plan, suffix) for suffix in (".csv", ".parquet")}
    assessed = verdicts_of(times[engines[0]][0]["out"]) if runs else None
    return {"n": n, "times": times, "same": same, "alone": alone, "assessed": assessed}


def report(m: dict[str, Any]) -> bool:
    """Print the figures; whether the engines agreed."""
    n = m["n"]
    runs = max(len(t) for t in m["times"].values())
    agreed = m["same"] is not False
    if runs:
        med = {
            e: {k: statistics.median(r[k] for r in m["times"][e]) for k in ("wall", "cpu", "rss")}
            for e in m["times"]
        }
        print(f"## {n:,} stations, assess: {runs} run(s) with each engine (medians)")
        for e, v in med.items():
            print(
                f"assess --engine {e:4}: wall {v['wall']:.1f} s, CPU {v['cpu']:.1f} s "
                f"({n / v['cpu']:,.0f} rows per CPU-second), peak RSS {v['rss']:.0f} MB"
            )
        if len(med) == 2:
            print(
                f"plan / rows: wall {med['rows']['wall'] / med['plan']['wall']:.2f}, "
                f"CPU {med['rows']['cpu'] / med['plan']['cpu']:.2f} (rows' time / plan's time), "
                f"peak RSS {med['plan']['rss'] / med['rows']['rss']:.2f} (plan's / rows')"
            )
            print(f"result files identical: {m['same']}")
    else:
        print(f"## {n:,} stations: the plan alone (assess not run at this size)")
    for suffix, (cpu, wall, counts) in m["alone"].items():
        print(
            f"plan alone over the typed tables ({suffix[1:]}, read by DuckDB): "
            f"CPU {cpu:.2f} s, wall {wall:.2f} s, {n / cpu:,.0f} rows per CPU-second; "
            f"verdicts {dict(sorted(counts.items()))}"
        )
        if m["assessed"] is not None:
            print(f"  verdicts equal to assess's: {counts == m['assessed']}")
            agreed &= counts == m["assessed"]
    return agreed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stations", type=int, default=40_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--big", type=int, default=0, help="also this many stations (e.g. 640000)")
    parser.add_argument(
        "--big-runs", type=int, default=0, help="assess runs at --big (default: the plan alone)"
    )
    parser.add_argument(
        "--big-engines", default="rows,plan", help="engines assessed at --big (plan: only the plan)"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    from policyengine.plan import plan_for

    plan = plan_for(PACKS, "station", AS_OF, ignore_scope=True)
    print(
        "# method: each `assess` a fresh process, rows and plan in turns (rows plan, plan rows, ...); "
        "wall time, CPU time of the process and its threads (getrusage of the child), peak RSS; medians "
        "over runs. The plan alone: in this process after a warm-up run, process CPU time (all threads)."
    )
    print(
        f"# machine: {platform.machine()}, {_cpu()}, {_cores()} cores, Python {platform.python_version()}, "
        f"{len(plan.rules)} rules from {', '.join(PACKS)}, as of {AS_OF}"
    )
    agreed = True
    with tempfile.TemporaryDirectory() as tmp:
        big = tuple(args.big_engines.split(","))
        sizes = [(args.stations, args.runs, ("rows", "plan"))]
        sizes += [(args.big, args.big_runs, big)] if args.big else []
        for n, runs, engines in sizes:
            agreed &= report(measure(n, runs, args.seed, plan, Path(tmp), engines))
    return 0 if agreed else 1


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    raise SystemExit(main())
