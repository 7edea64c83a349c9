"""``assess --events``: every row of a batch gets its packs' monitors over the events naming it,
in its own report and verdict; the batch's records are the population (a project with no
event at all is judged too). 湖南发言三: "每月监测、每季度调度"; expected values by hand."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PROJECT = yaml.safe_load((ROOT / "packs/hunan/examples/project.yaml").read_text(encoding="utf-8"))


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "policyengine.cli", *args], capture_output=True, text=True, cwd=cwd
    )


def oversight(project: str, months: range, quarters: tuple[int, ...]) -> list[dict[str, Any]]:
    log = [
        {"id": f"{project}-m{m}", "type": "monitoring", "date": f"2022-{m:02d}-15", "project": project}
        for m in months
    ]
    log += [
        {
            "id": f"{project}-s{q}",
            "type": "scheduling",
            "date": f"2022-{3 * q - 1:02d}-10",
            "project": project,
        }
        for q in quarters
    ]
    return log


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    """P1: monitoring April–December, scheduling Q2–Q4. P2: every month and quarter. P3: no
    event at all. A stray project in the log that is not in the batch."""
    rows = [{**PROJECT, "id": pid, "name": f"项目{pid}"} for pid in ("P1", "P2", "P3")]
    (tmp_path / "projects.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows), encoding="utf-8"
    )
    log = oversight("P1", range(4, 13), (2, 3, 4)) + oversight("P2", range(1, 13), (1, 2, 3, 4))
    log += oversight("STRAY", range(1, 3), ())
    (tmp_path / "log.jsonl").write_text(
        "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in log), encoding="utf-8"
    )
    return tmp_path


def results(path: Path) -> dict[str, dict[str, Any]]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        out[r["report"]["subject"]["id"]] = r
    return out


def failing_periods(report: dict[str, Any]) -> list[str]:
    return sorted(
        f["period"] for f in report["findings"] if f["origin"] == "monitor" and f["outcome"] == "fail"
    )


def test_each_row_gets_its_monitors_in_its_own_verdict(batch: Path) -> None:
    args = ("assess", "-p", "hunan", "projects.jsonl", "--as-of", "2022-12-31", "--events", "log.jsonl")
    out = run(*args, "-o", "out.jsonl", "-o", "out.csv", cwd=batch)
    assert out.returncode == 1, out.stderr  # P1 and P3 fail
    rows = results(batch / "out.jsonl")
    assert {k: r["verdict"] for k, r in rows.items()} == {
        "P1": "non_compliant",
        "P2": "compliant",
        "P3": "non_compliant",
    }
    assert failing_periods(rows["P1"]["report"]) == ["2022-01", "2022-02", "2022-03", "2022-Q1"]
    assert failing_periods(rows["P3"]["report"]) == sorted(
        [f"2022-{m:02d}" for m in range(1, 13)] + [f"2022-Q{q}" for q in range(1, 5)]
    )
    assert rows["P2"]["report"]["monitoring"] == {
        "from": "2022-01-01",
        "until": "2022-12-31",
        "events": 16,
        "packs": ["hunan"],
    }
    assert "1 个项目或站点编号不在本批记录中,其 2 条事件未使用" in out.stdout  # STRAY's two
    table = list(csv.reader((batch / "out.csv").open(encoding="utf-8-sig")))
    p1 = next(r for r in table if "P1" in r)
    assert any("oversight.monthly_monitoring 2022-01" in cell for cell in p1)
    # without --events the same ledger is compliant row by row: only the log shows the gaps
    plain = run(
        "assess", "-p", "hunan", "projects.jsonl", "--as-of", "2022-12-31", "-o", "r.jsonl", cwd=batch
    )
    assert plain.returncode == 0, plain.stdout + plain.stderr


def test_two_processes_give_the_same_rows(batch: Path) -> None:
    args = ("assess", "-p", "hunan", "projects.jsonl", "--as-of", "2022-12-31", "--events", "log.jsonl")
    run(*args, "-o", "one.jsonl", cwd=batch)
    run(*args, "-o", "two.jsonl", "--jobs", "2", cwd=batch)
    assert (batch / "one.jsonl").read_text(encoding="utf-8") == (batch / "two.jsonl").read_text(
        encoding="utf-8"
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("-p", "fujian", "--ignore-scope", "--events", "log.jsonl"), "none of these packs has monitors"),
        (("-p", "hunan", "--kind", "funding", "--events", "log.jsonl"), "events name projects and stations"),
        (("-p", "hunan", "--from", "2022-01-01"), "--from needs --events"),
    ],
)
def test_bad_combinations_stop_before_any_row_with_exit_2(
    batch: Path, args: tuple[str, ...], says: str
) -> None:
    out = run("assess", *args, "projects.jsonl", "--as-of", "2022-12-31", "-o", "x.jsonl", cwd=batch)
    assert out.returncode == 2, out.stdout + out.stderr
    assert says in out.stderr and "Traceback" not in out.stderr
    assert not (batch / "x.jsonl").exists()
