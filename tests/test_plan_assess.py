"""``assess --engine plan`` gives what ``--engine rows`` gives: the same files, byte for byte,
the same summary, the same input errors, in the same order — on a workbook with second
sheets and unreadable cells, on JSON Lines of nested records with a broken line, and with a
pack that correlates records across the batch."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from policyengine.batch.planned import pick_engine
from policyengine.batch.run import run_assessment, run_planned_assessment
from test_assess import build_workbook
from test_plan_records import mutate, pools_for, seeds_for

OUTPUTS = ("results.csv", "results.jsonl")


def both(tmp_path: Path, packs: list[str], source: Path, **options: Any) -> dict[str, Any]:
    """Run the batch with each engine; the summaries and the output files of each."""
    found: dict[str, Any] = {}
    for engine, run in (("rows", run_assessment), ("plan", run_planned_assessment)):
        out = tmp_path / engine
        out.mkdir()
        summary = run(packs, source, [out / name for name in OUTPUTS], **options)
        found[engine] = (summary, {name: (out / name).read_bytes() for name in OUTPUTS})
    return found


def _same(found: dict[str, Any]) -> Any:
    (rows, rows_files), (plan, plan_files) = found["rows"], found["plan"]
    assert plan_files == rows_files
    assert plan.console_lines([]) == rows.console_lines([])
    return rows


def test_a_workbook_with_second_sheets_and_bad_cells(tmp_path: Path) -> None:
    book = tmp_path / "stations.xlsx"
    build_workbook(book, n=60)  # every 10th station a social worker short; row 17 unreadable
    rows = _same(
        both(tmp_path, ["sichuan", "sichuan_renshou"], book, as_of=date(2022, 10, 1), kind="station")
    )
    assert rows.verdicts["non_compliant"] == 6 and rows.error_count == 1


def test_json_lines_of_nested_records_with_a_broken_line(tmp_path: Path) -> None:
    import random

    from policyengine import Engine

    engine = Engine.from_packs(["lanzhou_2022", "hunan"])
    pools = pools_for(list(engine.packs), "project", date(2023, 9, 30))
    rng = random.Random(3)
    seeds = seeds_for("project")
    lines = [
        json.dumps(mutate(rng.choice(seeds), rng, pools), ensure_ascii=False, default=str) for _ in range(40)
    ]
    lines.insert(7, "[1, 2]")  # not an object: that line is invalid, the others go on
    lines.insert(
        9, json.dumps({"kind": "project", "id": "P-bad", "budget": {"total": "很多"}}, ensure_ascii=False)
    )
    source = tmp_path / "projects.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = _same(both(tmp_path, ["lanzhou_2022", "hunan"], source, as_of=date(2023, 9, 30), kind="project"))
    assert rows.error_count >= 2 and sum(rows.verdicts.values()) == 42


def test_correlations_across_the_batch_join_each_report(tmp_path: Path) -> None:
    example = json.loads(json.dumps(_yaml("haining", "project.yaml"), default=str))
    lines = []
    for i in range(12):
        staff = [{"id": f"W{i % 3}", "name": f"社工{i % 3}", "joined": "2022-06-01"}]
        record = dict(example, id=f"HN-{i}", staff=staff)  # a social worker on several projects
        lines.append(json.dumps(record, ensure_ascii=False))
    source = tmp_path / "haining.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    found = both(tmp_path, ["haining"], source, as_of=date(2023, 12, 31), kind="project")
    _same(found)
    reports = [json.loads(line) for line in found["plan"][1]["results.jsonl"].decode().splitlines()]
    assert any(
        f["origin"] == "correlation" and f["outcome"] == "fail"
        for r in reports
        for f in r["report"]["findings"]
    )


def _yaml(pack: str, name: str) -> Any:
    import yaml

    return yaml.safe_load(
        (Path(__file__).parent.parent / "packs" / pack / "examples" / name).read_text("utf-8")
    )


def test_auto_says_which_engine_it_picked(tmp_path: Path) -> None:
    assert pick_engine("auto", Path("a.xlsx"))[0] == "plan" and pick_engine("rows")[0] == "rows"
    assert pick_engine("auto", Path("a.jsonl"))[0] == "rows"
    book = tmp_path / "stations.xlsx"
    build_workbook(book, n=12)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "policyengine.cli",
            "assess",
            "-p",
            "sichuan",
            str(book),
            "--kind",
            "station",
            "--as-of",
            "2022-10-01",
            "--engine",
            "auto",
            "-o",
            str(tmp_path / "r.csv"),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode in (0, 1), out.stderr
    assert "评估引擎 / engine: plan" in out.stderr and "12 条记录" in out.stdout


@pytest.mark.slow
def test_a_thousand_row_workbook_through_the_command_line(tmp_path: Path) -> None:
    book = tmp_path / "stations.xlsx"
    build_workbook(book, n=1000)
    outs = {}
    for engine in ("rows", "plan"):
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "policyengine.cli",
                "assess",
                "-p",
                "sichuan",
                str(book),
                "--kind",
                "station",
                "--as-of",
                "2022-10-01",
                "--engine",
                engine,
                "-o",
                str(tmp_path / f"{engine}.jsonl"),
                "-o",
                str(tmp_path / f"{engine}.xml"),
            ],
            capture_output=True,
            text=True,
        )
        assert out.returncode == 1, out.stderr
        outs[engine] = (out.stdout.replace(engine, "E"), (tmp_path / f"{engine}.jsonl").read_bytes())
    assert outs["rows"] == outs["plan"]
