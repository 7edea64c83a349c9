"""A verdict is a promise: when no rule of the chosen packs applies to a record, nothing was
checked, and the verdict is 未评估 (not_assessed) with its own exit code, never 合规."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from policyengine import Engine, Verdict, load_pack

ROOT = Path(__file__).resolve().parent.parent

ONE_RULE = """\
rules:
  - id: site.large
    title: 大站面积不低于300平方米
    subject: station
    when: level == "township_station"
    require: site.area_m2 >= 300
    cite: {clause: "1", quote: q}
    message: 面积 {site.area_m2} 平方米
"""


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "policyengine.cli", *args], capture_output=True, text=True, cwd=cwd
    )


@pytest.mark.parametrize(
    ("fmt", "lang", "says"),
    [
        ("table", "zh", ["结论: 未评估", "已评估规则 0 条"]),
        ("table", "en", ["Verdict: not_assessed", "0 rules evaluated"]),
        ("markdown", "zh", ["**未评估**", "已评估规则 0 条"]),
        ("json", "zh", ['"verdict": "not_assessed"', '"rules_evaluated": 0']),
    ],
)
def test_a_kind_the_packs_do_not_check_is_not_assessed_in_every_format(
    fmt: str, lang: str, says: list[str], tmp_path: Path
) -> None:
    record = tmp_path / "org.yaml"
    record.write_text("kind: organization\nid: ORG1\nname: 示例社工机构\n", encoding="utf-8")
    out = cli("evaluate", "-p", "sichuan", str(record), "--as-of", "2023-01-01", "-f", fmt, "--lang", lang)
    assert out.returncode == 3, out.stdout + out.stderr
    for text in says:
        assert text in out.stdout
    assert "合规" not in out.stdout.replace("不合规", "")  # never 合规 for nothing checked


def test_every_rule_not_applicable_is_not_assessed_and_one_applying_rule_decides(write_pack) -> None:  # type: ignore[no-untyped-def]
    engine = Engine([load_pack(write_pack(ONE_RULE))])
    village = {"kind": "station", "level": "village_room", "site": {"area_m2": 10}}
    report = engine.evaluate(village, as_of=date(2023, 1, 1))
    assert [f.outcome.value for f in report.findings] == ["not_applicable"]
    assert (report.verdict, report.evaluated) == (Verdict.NOT_ASSESSED, 0)
    township = {**village, "level": "township_station", "site": {"area_m2": 300}}
    report = engine.evaluate(township, as_of=date(2023, 1, 1))
    assert (report.verdict, report.evaluated) == (Verdict.COMPLIANT, 1)
    report = engine.evaluate({**township, "site": {"area_m2": 299}}, as_of=date(2023, 1, 1))
    assert (report.verdict, report.evaluated) == (Verdict.NON_COMPLIANT, 1)


def test_a_pack_not_yet_in_effect_assesses_nothing() -> None:
    record = ROOT / "packs/lanzhou_2022/examples/project.yaml"
    out = cli("evaluate", "-p", "lanzhou_2022", str(record), "--as-of", "2022-01-01", "-f", "json")
    assert out.returncode == 3
    data = json.loads(out.stdout)
    assert data["verdict"] == "not_assessed" and data["rules_evaluated"] == 0
    assert {f["outcome"] for f in data["findings"]} == {"not_applicable"}


def test_a_batch_counts_not_assessed_rows_apart_and_never_as_passes(tmp_path: Path) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        '{"kind": "organization", "id": "O1"}\n'
        '{"kind": "funding", "id": "F1", '
        '"funds": {"social_assistance": "100万", "purchase_from_special": "3万"}}\n',
        encoding="utf-8",
    )
    out = cli(
        "assess",
        "-p",
        "sichuan",
        str(rows),
        "--as-of",
        "2022-12-31",
        "-o",
        "r.xml",
        "-o",
        "r.csv",
        cwd=tmp_path,
    )
    assert out.returncode == 3, out.stdout + out.stderr  # one compliant, one not assessed
    assert "合规 1  不合规 0  数据不全 0  未评估 1  无法读取 0" in out.stdout
    junit = (tmp_path / "r.xml").read_text(encoding="utf-8")
    assert 'tests="2" failures="0" errors="0" skipped="1"' in junit
    assert '<skipped message="未评估:所选政策包没有适用于此记录的规则"/>' in junit
    csv_rows = (tmp_path / "r.csv").read_text(encoding="utf-8-sig").splitlines()
    header = csv_rows[0].split(",")
    verdict, evaluated = header.index("结论"), header.index("评估规则数")
    assert [(r.split(",")[verdict], r.split(",")[evaluated]) for r in csv_rows[1:]] == [
        ("未评估", "0"),
        ("合规", "1"),
    ]
    rows.write_text(rows.read_text(encoding="utf-8").replace('"3万"', '"4万"'), encoding="utf-8")
    assert (
        cli(
            "assess", "-p", "sichuan", str(rows), "--as-of", "2022-12-31", "-o", "r.csv", cwd=tmp_path
        ).returncode
        == 1
    )


def test_compare_exits_3_when_no_pack_assesses_the_record(tmp_path: Path) -> None:
    record = tmp_path / "org.yaml"
    record.write_text("kind: organization\nid: ORG1\n", encoding="utf-8")
    out = cli("compare", "-p", "sichuan", "-p", "hunan", str(record), "--as-of", "2023-01-01", "-f", "json")
    assert out.returncode == 3, out.stderr
    assert set(json.loads(out.stdout)["verdicts"].values()) == {"not_assessed"}
