"""Correlations: a pack's checks across the records of one `assess` run.

`haining`'s `staffing.no_double_assignment`: one member of staff (by staff id) on two projects
whose periods overlap, both ends included. Each record involved fails naming the others; the
pairs found agree with the pack's `no_overlap` monitor over the same assignments as events.
"""

from __future__ import annotations

import csv
import json
import random
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from policyengine import Engine, PackError, load_pack
from policyengine.batch.pipeline import assess
from policyengine.batch.rows import InputRow
from policyengine.batch.run import run_assessment
from policyengine.cli import main
from policyengine.monitor import Monitor

ROOT = Path(__file__).resolve().parent.parent
CORR = "staffing.no_double_assignment"
AS_OF = date(2024, 1, 1)
HAINING = {"province": "浙江省", "city": "嘉兴市", "county": "海宁市"}

Project = dict[str, Any]


def project(
    pid: str, start: str | None, end: str | None, *staff: str | dict[str, Any], **more: Any
) -> Project:
    """A Haining project record; staff as ids or as dicts with `id`, `joined`, `left`."""
    return {
        "kind": "project",
        "id": pid,
        "name": f"项目{pid}",
        "region": more.pop("region", HAINING),
        "period": {k: v for k, v in (("start", start), ("end", end)) if v is not None},
        "staff": [s if isinstance(s, dict) else {"id": s, "name": f"社工{s}"} for s in staff],
        **more,
    }


# -- writing ledgers ---------------------------------------------------------------------------

PROJECT_HEADERS = ["编号", "名称", "省", "市", "县(市、区)", "period.start", "period.end"]
STAFF_HEADERS = ["所属编号", "人员编号", "姓名", "入职日期", "离职日期"]


def _main_row(p: Project) -> list[Any]:
    region, period = p["region"], p["period"]
    return [
        p["id"],
        p["name"],
        region["province"],
        region["city"],
        region["county"],
        period.get("start", ""),
        period.get("end", ""),
    ]


def _staff_rows(p: Project) -> list[list[Any]]:
    return [
        [p["id"], s.get("id", ""), s.get("name", ""), s.get("joined", ""), s.get("left", "")]
        for s in p["staff"]
    ]


def write_csv(directory: Path, projects: list[Project]) -> tuple[Path, list[str]]:
    main_path, staff_path = directory / "projects.csv", directory / "staff.csv"
    with main_path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(PROJECT_HEADERS)
        w.writerows(_main_row(p) for p in projects)
    with staff_path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(STAFF_HEADERS)
        for p in projects:
            w.writerows(_staff_rows(p))
    return main_path, [f"staff={staff_path}"]


def write_jsonl(directory: Path, projects: list[Project]) -> tuple[Path, list[str]]:
    path = directory / "projects.jsonl"
    path.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in projects), encoding="utf-8")
    return path, []


def write_xlsx(directory: Path, projects: list[Project]) -> tuple[Path, list[str]]:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "项目"
    ws.append(PROJECT_HEADERS)
    staff = wb.create_sheet("项目社工")
    staff.append(STAFF_HEADERS)
    for p in projects:
        ws.append(_main_row(p))
        for row in _staff_rows(p):
            staff.append(row)
    path = directory / "projects.xlsx"
    wb.save(path)
    return path, []


WRITERS: dict[str, Callable[[Path, list[Project]], tuple[Path, list[str]]]] = {
    "csv": write_csv,
    "jsonl": write_jsonl,
    "xlsx": write_xlsx,
}


def run_batch(
    tmp_path: Path,
    projects: list[Project],
    fmt: str = "jsonl",
    packs: tuple[str | Path, ...] = ("haining",),
    **kwargs: Any,
) -> dict[str, dict[str, Any] | None]:
    """Record id → its correlation finding (None when its report has none), through
    `run_assessment` as `assess` runs it."""
    directory = tmp_path / f"in-{fmt}"
    directory.mkdir(parents=True, exist_ok=True)
    path, sheets = WRITERS[fmt](directory, projects)
    out = directory / "out.jsonl"
    kind = None if fmt == "jsonl" else "project"
    run_assessment(list(packs), path, [out], as_of=AS_OF, kind=kind, sheets=sheets, **kwargs)
    return correlation_findings(out)


def correlation_findings(out: Path) -> dict[str, dict[str, Any] | None]:
    found: dict[str, dict[str, Any] | None] = {}
    for line in out.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        report = row["report"]
        assert report is not None, row["errors"]
        mine = [f for f in report["findings"] if f["origin"] == "correlation"]
        assert len(mine) <= 1
        found[report["subject"]["id"]] = mine[0] if mine else None
    return found


def outcome(found: dict[str, dict[str, Any] | None], pid: str) -> str | None:
    f = found[pid]
    return f["outcome"] if f else None


# -- the batch check ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx"])
def test_two_projects_sharing_a_worker_at_once_both_fail_naming_each_other(tmp_path: Path, fmt: str) -> None:
    found = run_batch(
        tmp_path,
        [
            project("P1", "2023-01-01", "2023-06-30", "S1", "S2"),
            project("P2", "2023-03-01", "2023-12-31", "S1"),
            project("P3", "2023-01-01", "2023-12-31", "S3"),
        ],
        fmt,
    )
    p1, p2 = found["P1"], found["P2"]
    assert p1 is not None and p2 is not None
    assert (p1["outcome"], p1["related"]) == ("fail", ["P2"])
    assert (p2["outcome"], p2["related"]) == ("fail", ["P1"])
    assert p1["message"]["zh"] == "人员 S1 同时在项目 P2 任职(2023-03-01 至 2023-06-30)"
    assert p2["message"]["en"] == "S1 is also on project P1 (2023-03-01 to 2023-06-30)"
    assert p1["severity"] == "error" and p1["citation"]["clause"] == "三 二"
    assert outcome(found, "P3") == "pass"


@pytest.mark.parametrize(
    ("second_start", "expected"),
    [("2023-06-30", "fail"), ("2023-07-01", "pass")],
    ids=["starts-on-the-last-day", "starts-the-day-after"],
)
def test_periods_include_both_ends(tmp_path: Path, second_start: str, expected: str) -> None:
    found = run_batch(
        tmp_path,
        [
            project("P1", "2023-01-01", "2023-06-30", "S1"),
            project("P2", second_start, "2023-12-31", "S1"),
        ],
    )
    assert outcome(found, "P1") == outcome(found, "P2") == expected
    if expected == "fail":
        assert found["P1"] is not None and "2023-06-30 至 2023-06-30" in found["P1"]["message"]["zh"]


def test_the_same_worker_on_projects_one_after_another_passes(tmp_path: Path) -> None:
    found = run_batch(
        tmp_path,
        [
            project("P1", "2023-01-01", "2023-03-31", "S1"),
            project("P2", "2023-04-01", "2023-06-30", "S1"),
            project("P3", "2023-07-01", "2023-12-31", "S1"),
        ],
        "csv",
    )
    assert {pid: outcome(found, pid) for pid in found} == {"P1": "pass", "P2": "pass", "P3": "pass"}
    assert all(f is not None and f["related"] == [] for f in found.values())


def test_three_projects_overlapping_pairwise_each_name_both_others(tmp_path: Path) -> None:
    found = run_batch(
        tmp_path,
        [
            project("P1", "2023-01-01", "2023-12-31", "S1"),
            project("P2", "2023-02-01", "2023-11-30", "S1"),
            project("P3", "2023-03-01", "2023-10-31", "S1"),
        ],
        "csv",
    )
    for pid in ("P1", "P2", "P3"):
        f = found[pid]
        assert f is not None and f["outcome"] == "fail"
        assert sorted(f["related"]) == sorted({"P1", "P2", "P3"} - {pid})
    p3 = found["P3"]
    assert p3 is not None
    assert p3["message"]["zh"] == (
        "人员 S1 同时在项目 P1 任职(2023-03-01 至 2023-10-31);"
        "人员 S1 同时在项目 P2 任职(2023-03-01 至 2023-10-31)"
    )


def test_a_row_without_its_period_is_unknown_and_so_is_a_row_sharing_its_worker(tmp_path: Path) -> None:
    found = run_batch(
        tmp_path,
        [
            project("P1", None, "2023-12-31", "S1"),
            project("P2", "2023-01-01", "2023-12-31", "S1"),
            project("P3", "2023-01-01", "2023-12-31", "S2", {"name": "无编号社工"}),
        ],
        "csv",
    )
    p1, p2, p3 = found["P1"], found["P2"], found["P3"]
    assert p1 is not None and (p1["outcome"], p1["missing"]) == ("unknown", ["period.start"])
    # P2 cannot be said to pass: S1 is also on P1, whose dates are not known
    assert p2 is not None and (p2["outcome"], p2["missing"], p2["related"]) == (
        "unknown",
        ["P1:period.start"],
        ["P1"],
    )
    assert p2["message"]["zh"] == "无法判断:缺少 P1 的 项目周期/开始日期"
    assert p3 is not None and (p3["outcome"], p3["missing"]) == ("unknown", ["staff[1].id"])


def test_a_conflict_outweighs_what_is_missing(tmp_path: Path) -> None:
    found = run_batch(
        tmp_path,
        [
            project("P1", "2023-01-01", "2023-12-31", "S1", {"name": "无编号社工"}),
            project("P2", "2023-06-01", "2023-06-30", "S1"),
        ],
    )
    assert outcome(found, "P1") == outcome(found, "P2") == "fail"


def test_joined_and_left_narrow_the_project_period(tmp_path: Path) -> None:
    found = run_batch(
        tmp_path,
        [
            # S1 left P1 before P2 began for them; S2 joined P3 after leaving P4
            project("P1", "2023-01-01", "2023-12-31", {"id": "S1", "left": "2023-03-31"}),
            project("P2", "2023-01-01", "2023-12-31", {"id": "S1", "joined": "2023-04-01"}),
            project("P3", "2023-01-01", "2023-12-31", {"id": "S2", "joined": "2023-07-01"}),
            project("P4", "2023-01-01", "2023-12-31", {"id": "S2", "left": "2023-07-01"}),
            # joined before the project began: the project's own start counts
            project("P5", "2023-05-01", "2023-12-31", {"id": "S3", "joined": "2022-01-01"}),
            project("P6", "2022-01-01", "2023-04-30", "S3"),
        ],
        "csv",
    )
    assert outcome(found, "P1") == outcome(found, "P2") == "pass"
    p3 = found["P3"]
    assert p3 is not None and p3["outcome"] == "fail" and "2023-07-01 至 2023-07-01" in p3["message"]["zh"]
    assert outcome(found, "P4") == "fail"
    assert outcome(found, "P5") == outcome(found, "P6") == "pass"


def test_two_rows_of_one_project_are_one_record(tmp_path: Path) -> None:
    found = run_batch(
        tmp_path,
        [
            project("P1", "2023-01-01", "2023-12-31", "S1"),
            project("P1", "2023-01-01", "2023-12-31", "S1"),
        ],
    )
    assert outcome(found, "P1") == "pass"


def test_a_project_without_staff_and_a_station_are_not_applicable(tmp_path: Path) -> None:
    station = {"kind": "station", "id": "ST1", "name": "站", "region": HAINING, "staff": [{"id": "S1"}]}
    found = run_batch(
        tmp_path,
        [project("P1", "2023-01-01", "2023-12-31"), station, project("P2", "2023-01-01", "2023-12-31", "S1")],
    )
    assert outcome(found, "P1") == outcome(found, "ST1") == "not_applicable"
    assert outcome(found, "P2") == "pass"  # the station's staff are not project staff
    p1 = found["P1"]
    assert p1 is not None and p1["message"]["zh"] == "不适用:记录的项目社工为空"
    p1_missing_list = run_batch(
        tmp_path / "b", [{**project("P1", "2023-01-01", "2023-12-31"), "staff": None}]
    )
    assert outcome(p1_missing_list, "P1") == "unknown"


def test_a_project_outside_the_region_is_neither_judged_nor_compared(tmp_path: Path) -> None:
    sichuan = {"province": "四川省", "city": "眉山市", "county": "仁寿县"}
    projects = [
        project("P1", "2023-01-01", "2023-12-31", "S1"),
        project("P2", "2023-01-01", "2023-12-31", "S1", region=sichuan),
    ]
    found = run_batch(tmp_path, projects)
    assert outcome(found, "P1") == "pass" and found["P2"] is None
    everywhere = run_batch(tmp_path / "all", projects, ignore_scope=True)
    assert outcome(everywhere, "P1") == outcome(everywhere, "P2") == "fail"


def test_the_verdict_counts_the_correlation_like_a_rule() -> None:
    # mid-term and final evaluations on record, so that haining's evaluation.midterm_and_final
    # (三 三) passes and the correlation alone decides the verdict
    stages = ("midterm", "final")
    evaluated = {"evaluations": [{"kind": "evaluation", "stage": s, "passed": True} for s in stages]}
    alone = _Source([project("P1", "2023-01-01", "2023-12-31", "S1", **evaluated)])
    [row] = assess(["haining"], alone, as_of=AS_OF, kind=None)
    assert row.verdict == "compliant" and row.notable is not None
    assert row.notable["rules_evaluated"] == 2  # with evaluation.midterm_and_final; no subsidy.city
    pair = [project(p, "2023-01-01", "2023-12-31", "S1", **evaluated) for p in ("P1", "P2")]
    verdicts = [r.verdict for r in assess(["haining"], _Source(pair), as_of=AS_OF, kind=None)]
    assert verdicts == ["non_compliant", "non_compliant"]
    unknown = [project("P1", None, "2023-12-31", "S1", **evaluated)]
    assert [r.verdict for r in assess(["haining"], _Source(unknown), as_of=AS_OF, kind=None)] == [
        "incomplete"
    ]


class _Source:
    """An input that counts how often its rows are read."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records
        self.reads = 0

    def rows(self) -> Iterator[InputRow]:
        self.reads += 1
        for i, r in enumerate(self.records):
            yield InputRow(i, "", i + 1, json.loads(json.dumps(r)))


def test_without_correlations_the_input_is_read_once_and_with_them_twice() -> None:
    station = {"kind": "station", "id": "SC1", "region": {"province": "四川省"}}
    plain = _Source([station])
    assert len(list(assess(["sichuan"], plain, as_of=AS_OF, kind=None))) == 1
    assert plain.reads == 1
    correlated = _Source([project("P1", "2023-01-01", "2023-12-31", "S1")])
    assert len(list(assess(["haining"], correlated, as_of=AS_OF, kind=None))) == 1
    assert correlated.reads == 2


def test_a_pack_out_of_effect_gives_not_applicable(tmp_path: Path, write_pack: Callable[..., Path]) -> None:
    d = write_pack(PROJECT_CORRELATION)
    text = (d / "pack.yaml").read_text(encoding="utf-8")
    (d / "pack.yaml").write_text(
        text.replace(
            "  title: {zh: 测试, en: test}\n",
            "  title: {zh: 测试, en: test}\n  effective: {from: 2025-01-01}\n",
        ),
        encoding="utf-8",
    )
    pair = [project("P1", "2023-01-01", "2023-12-31", "S1"), project("P2", "2023-01-01", "2023-12-31", "S1")]
    found = run_batch(tmp_path, pair, packs=(d,))
    assert outcome(found, "P1") == outcome(found, "P2") == "not_applicable"


def test_without_a_period_item_dates_place_each_stint_and_no_end_means_still_there(
    tmp_path: Path, write_pack: Callable[..., Path]
) -> None:
    d = write_pack(STATION_CORRELATION)

    def station(sid: str, *staff: dict[str, Any]) -> dict[str, Any]:
        return {"kind": "station", "id": sid, "staff": list(staff)}

    found = run_batch(
        tmp_path,
        [
            station("A", {"id": "S1", "joined": "2022-01-01"}),
            station("B", {"id": "S1", "joined": "2023-03-01", "left": "2023-06-30"}),
            station("C", {"id": "S2", "joined": "2023-01-01"}),
            station("D", {"id": "S2", "joined": "2021-01-01", "left": "2022-12-31"}),
            station("E", {"id": "S3"}),
            station("F", {"id": "S4", "joined": "2023-01-01"}),
            station("G", {"id": "S4", "joined": "2023-02-01"}),
        ],
        packs=(d,),
    )
    a = found["A"]
    assert (
        a is not None
        and a["outcome"] == "fail"
        and a["message"]["zh"] == "S1 也在 B(2023-03-01 至 2023-06-30)"
    )
    assert outcome(found, "C") == outcome(found, "D") == "pass"
    e = found["E"]
    assert e is not None and (e["outcome"], e["missing"]) == ("unknown", ["staff[0].joined"])
    g = found["G"]
    assert g is not None and g["message"]["zh"] == "S4 也在 F(2023-02-01 起)"
    assert g["message"]["en"] == "S4 also at F (from 2023-02-01)"


# -- the same pairs as the no_overlap monitor --------------------------------------------------


def random_projects(seed: int, n: int = 40, staff: int = 16) -> list[Project]:
    """Projects on a ten-day grid, so that periods often touch (one ends the day another starts)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        start = date(2023, 1, 1) + timedelta(days=10 * rng.randrange(30))
        # 10k days long (touching the next grid day) or a day shorter (ending the day before)
        end = start + timedelta(days=max(0, 10 * rng.randrange(0, 6) - rng.randrange(2)))
        people = rng.sample([f"S{k}" for k in range(staff)], rng.randint(1, 3))
        out.append(project(f"P{i:02d}", start.isoformat(), end.isoformat(), *people))
    return out


CONFLICT = re.compile(r"人员 (\S+) 同时在项目 (\S+) 任职")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_pairs_found_are_the_no_overlap_monitors(tmp_path: Path, seed: int) -> None:
    projects = random_projects(seed)
    found = run_batch(tmp_path, projects)
    from_batch = set()
    for pid, f in found.items():
        assert f is not None
        conflicts = CONFLICT.findall(f["message"]["zh"])
        assert "等共" not in f["message"]["zh"]  # every conflict is spelt out
        assert sorted({other for _, other in conflicts}) == sorted(f["related"])
        from_batch |= {(key, frozenset({pid, other})) for key, other in conflicts}
    events = [
        {
            "type": "assignment",
            "id": f"{p['id']}-{s['id']}",
            "date": p["period"]["start"],
            "staff": s["id"],
            "project": p["id"],
            "start": p["period"]["start"],
            "end": p["period"]["end"],
        }
        for p in projects
        for s in p["staff"]
    ]
    monitor = Monitor(["haining"], backend="plain").feed(events).advance(date(2024, 12, 31))
    project_of = {e["id"]: e["project"] for e in events}
    staff_of = {e["id"]: e["staff"] for e in events}
    from_monitor = {
        (staff_of[f.events[0]], frozenset(project_of[e] for e in f.events))
        for f in monitor.findings()
        if f.monitor == "worker.one_project" and f.outcome.value == "fail"
    }
    assert from_monitor, "the generated projects should share someone at some time"
    assert from_batch == from_monitor
    assert {o for f in found.values() if f for o in [f["outcome"]]} == {"fail", "pass"}


# -- one run, two ways ---------------------------------------------------------------------------


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "policyengine.cli", *args], capture_output=True, text=True, cwd=cwd
    )


def test_through_the_cli_the_finding_is_in_every_output_and_two_jobs_agree(tmp_path: Path) -> None:
    projects = random_projects(7, n=30)
    path, sheets = write_csv(tmp_path, projects)
    common = [
        "assess",
        "-p",
        "haining",
        path.name,
        "--kind",
        "project",
        "--as-of",
        "2024-01-01",
        "--no-progress",
    ]
    common += ["--sheet", sheets[0].replace(str(tmp_path) + "/", "")]
    one = cli(*common, "-o", "one.jsonl", "-o", "one.csv", cwd=tmp_path)
    two = cli(*common, "--jobs", "2", "-o", "two.jsonl", "-o", "two.csv", cwd=tmp_path)
    assert one.returncode == two.returncode == 1, one.stderr + two.stderr
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()
    found = correlation_findings(tmp_path / "one.jsonl")
    failing = [pid for pid, f in found.items() if f and f["outcome"] == "fail"]
    assert failing
    table = (tmp_path / "one.csv").read_text(encoding="utf-8-sig")
    for pid in failing:
        f = found[pid]
        assert f is not None
        assert f"{CORR} {f['message']['zh']}(三 二)" in table


def test_one_record_on_its_own_gets_no_correlation_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = project("P1", "2023-01-01", "2023-12-31", "S1")
    report = Engine.from_packs(["haining"]).evaluate(record, as_of=AS_OF)
    assert [f for f in report.findings if f.origin == "correlation" or f.rule == CORR] == []
    path = tmp_path / "p1.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    main(["evaluate", "-p", "haining", str(path), "--as-of", "2024-01-01", "--format", "json"])
    assert CORR not in capsys.readouterr().out


def test_pack_show_says_it_is_a_batch_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pack", "show", "haining", "--format", "json", "--as-of", "2023-06-30"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["correlations"] == [
        {
            "id": CORR,
            "kind": "no_overlap",
            "subject": "project",
            "severity": "error",
            "title": "一名社工不得同时在多个项目任职",
            "clause": "三 二",
            "checked_by": "assess",
        }
    ]
    assert main(["pack", "show", "haining", "--as-of", "2023-06-30"]) == 0
    assert "batch checks: `assess` only, never `evaluate`" in capsys.readouterr().out


# -- the pack format -------------------------------------------------------------------------------

PROJECT_CORRELATION = """\
correlations:
  - id: staffing.one_project
    title: {zh: 一人一项目, en: One project at a time}
    kind: no_overlap
    subject: project
    items: staff
    key: id
    period: period
    cite: {clause: 三 二, quote: 杜绝了一个注册社工运行多个项目}
    message: {zh: "人员 {key} 同时在项目 {other} 任职({overlap})", en: "{key} also on {other} ({overlap})"}
"""

STATION_CORRELATION = """\
correlations:
  - id: staffing.one_station
    title: 一人一站
    kind: no_overlap
    subject: station
    items: staff
    key: id
    item_period: {start: joined, end: left}
    cite: {clause: 一, quote: 专职}
    message: {zh: "{key} 也在 {other}({overlap})", en: "{key} also at {other} ({overlap})"}
"""


def problems(directory: Path) -> list[tuple[int | None, int | None, str, str | None]]:
    with pytest.raises(PackError) as err:
        load_pack(directory)
    return [(p.location.line, p.location.column, p.message, p.hint) for p in err.value.problems]


def at(directory: Path, line: int | None, col: int | None) -> str:
    assert line is not None and col is not None
    return (directory / "pack.yaml").read_text(encoding="utf-8").splitlines()[line - 1][col - 1 :]


def test_the_shipped_haining_pack_declares_the_correlation() -> None:
    pack = load_pack(ROOT / "packs" / "haining")
    [corr] = pack.correlations
    assert (corr.id, corr.subject, corr.kind.name) == (CORR, "project", "no_overlap")
    assert corr.citation.quote == "杜绝了一个注册社工运行多个项目"
    assert "project" in pack.subjects()


def test_a_good_correlation_loads_and_its_content_is_hashed(write_pack: Callable[..., Path]) -> None:
    first = load_pack(write_pack(PROJECT_CORRELATION))
    assert [c.id for c in first.correlations] == ["staffing.one_project"]
    changed = load_pack(write_pack(PROJECT_CORRELATION + "    severity: warning\n"))
    assert changed.correlations[0].severity == "warning"
    assert changed.content_hash != first.content_hash
    without = load_pack(write_pack(""))
    assert without.content_hash != first.content_hash


LIST_HINT = "name a list field of the record, e.g. staff"


@pytest.mark.parametrize(
    ("change", "at_text", "message", "hint"),
    [
        (
            ("kind: no_overlap", "kind: no_overlaps"),
            "no_overlaps",
            "unknown correlation kind `no_overlaps`",
            "did you mean `no_overlap`?",
        ),
        (
            ("subject: project", "subject: projet"),
            "projet",
            "unknown subject `projet`",
            "did you mean `project`?",
        ),
        (
            ("items: staff", "items: staf"),
            "staf",
            "Project has no field `staf` (a list)",
            "did you mean `staff`?",
        ),
        (
            ("items: staff", "items: name"),
            "name",
            "`name` is string, not a list of items with fields",
            LIST_HINT,
        ),
        (("key: id", "key: idd"), "idd", "StaffMember has no field `idd` (the key)", "did you mean `id`?"),
        (("key: id", "key: full_time"), "full_time", "`full_time` is bool, not text or a number", None),
        (("period: period", "period: budget"), "budget", "`budget` is Budget, not a period", None),
        (
            ("period: period", "period: period.start"),
            "period.start",
            "`period.start` is date, not a period",
            None,
        ),
    ],
)
def test_a_wrong_field_is_named_where_it_is_written(
    write_pack: Callable[..., Path], change: tuple[str, str], at_text: str, message: str, hint: str | None
) -> None:
    d = write_pack(PROJECT_CORRELATION.replace(*change))
    [(line, col, got, got_hint)] = problems(d)
    assert got == message
    assert got_hint == hint
    assert at(d, line, col).startswith(at_text)


def test_item_dates_must_be_dates_of_the_items(write_pack: Callable[..., Path]) -> None:
    d = write_pack(
        STATION_CORRELATION.replace("end: left", "end: name").replace("start: joined", "start: joind")
    )
    found = problems(d)
    assert [(m, h) for _, _, m, h in found] == [
        ("StaffMember has no field `joind` (a date)", "did you mean `joined`?"),
        ("`name` is string, not a date", None),
    ]
    assert at(d, found[0][0], found[0][1]).startswith("joind")
    assert at(d, found[1][0], found[1][1]).startswith("name")


def test_without_period_or_item_start_it_cannot_place_anything(write_pack: Callable[..., Path]) -> None:
    d = write_pack(STATION_CORRELATION.replace("    item_period: {start: joined, end: left}\n", ""))
    [(line, col, message, _)] = problems(d)
    assert (
        message == "a `no_overlap` correlation needs `period` or `item_period.start` (when each item starts)"
    )
    assert at(d, line, col) == "id: staffing.one_station"  # the entry, at its first key


def test_missing_and_unknown_fields_placeholders_and_a_taken_id(write_pack: Callable[..., Path]) -> None:
    body = (
        PROJECT_CORRELATION.replace("    items: staff\n", "    itmes: staff\n")
        .replace("{overlap}", "{overlaps}")
        .replace("id: staffing.one_project", "id: site.area")
    )
    rule = """\
rules:
  - id: site.area
    title: 面积
    subject: station
    require: site.area_m2 >= 300
    cite: {clause: 七(一)3, quote: 服务面积不低于300平方米}
    message: 面积
"""
    d = write_pack(rule + body)
    found = {m: (line, col, h) for line, col, m, h in problems(d)}
    assert set(found) == {
        "`site.area` is already the id of a rule",
        "a `no_overlap` correlation needs `items`",
        "unknown field `itmes`",
        "`{overlaps}` is not available in a no_overlap message",
    }
    line, col, _ = found["unknown field `itmes`"]
    assert at(d, line, col).startswith("itmes")
    _, _, hint = found["`{overlaps}` is not available in a no_overlap message"]
    assert hint is not None and "{overlap}" in hint and "{other}" in hint


def test_a_correlation_needs_a_quote(write_pack: Callable[..., Path]) -> None:
    d = write_pack(
        PROJECT_CORRELATION.replace(
            "cite: {clause: 三 二, quote: 杜绝了一个注册社工运行多个项目}", "cite: 三 二"
        )
    )
    [(_, _, message, _)] = problems(d)
    assert "a correlation's cite needs a `quote`" in message


def test_a_child_pack_inherits_and_may_remove_a_correlation(write_pack: Callable[..., Path]) -> None:
    parent = write_pack(PROJECT_CORRELATION, pid="parent")
    child = write_pack("extends: ../parent\n", pid="child")
    assert [c.id for c in load_pack(child).correlations] == ["staffing.one_project"]
    gone = write_pack("extends: ../parent\nremove: {correlations: [staffing.one_project]}\n", pid="gone")
    assert load_pack(gone).correlations == []
    wrong = write_pack("extends: ../parent\nremove: {correlations: [staffing.one_projects]}\n", pid="wrong")
    with pytest.raises(PackError) as err:
        load_pack(wrong)
    [p] = err.value.problems
    assert (
        p.message == "cannot remove correlation `staffing.one_projects`: the packs this one extends have none"
    )
    assert p.hint == "did you mean `staffing.one_project`?"
    del parent


def test_validate_checks_a_correlations_quote(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "a.txt").write_text("杜绝了一个注册社工运行多个项目。\n", encoding="utf-8")
    d = tmp_path / "demo"
    d.mkdir()
    head = (
        "pack: {id: demo, version: 0.1.0, title: 测试}\nsources:\n  - {id: doc, title: 文件, file: a.txt}\n"
    )
    (d / "pack.yaml").write_text(head + PROJECT_CORRELATION, encoding="utf-8")
    assert main(["validate", str(d), "--sources", str(sources)]) == 0
    assert "1 batch check(s), 1 quotes found in their sources" in capsys.readouterr().out
    (d / "pack.yaml").write_text(
        head + PROJECT_CORRELATION.replace("运行多个项目", "运行两个项目"), encoding="utf-8"
    )
    assert main(["validate", str(d), "--sources", str(sources)]) == 2
    assert "(correlations[0].cite.quote): quote not found in source `doc`" in capsys.readouterr().err
