"""A pack judges only what it covers: its region and what it applies_to. A record elsewhere is
reported out of scope (不适用本政策) with the reason, not judged; one that does not state its
region is judged and the report says so; --ignore-scope (and compare) judge anyway."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from policyengine import Engine, Verdict, load_pack
from policyengine.evaluate.scope import place

ROOT = Path(__file__).resolve().parent.parent

SICHUAN_STATION = """\
kind: station
id: S1
name: 某镇社工站
level: 乡镇(街道)社工站
region: {province: 四川省, city: 眉山市, county: 仁寿县}
"""

TOWNSHIP_ONLY = """\
pack:
  id: township_only
  version: 1.0.0
  title: 镇街社工站
  region: {province: 浙江省}
  applies_to: {levels: [township_station]}
sources: [{id: s, title: s}]
rules:
  - id: site.area
    title: 面积不低于100平方米
    subject: station
    require: site.area_m2 >= 100
    cite: {clause: "1", quote: q}
    message: 面积 {site.area_m2}
"""


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "policyengine.cli", *args], capture_output=True, text=True, cwd=cwd
    )


def test_a_sichuan_station_is_out_of_scope_for_haining_with_the_reason(tmp_path: Path) -> None:
    record = tmp_path / "s.yaml"
    record.write_text(SICHUAN_STATION, encoding="utf-8")
    out = cli("evaluate", "-p", "haining", str(record), "--as-of", "2023-06-30", "-f", "json")
    assert out.returncode == 3, out.stderr  # nothing else judged it: not assessed
    data = json.loads(out.stdout)
    assert data["findings"] == [] and data["verdict"] == "not_assessed"
    [scope] = data["scope"]
    assert scope["pack"] == "haining" and scope["status"] == "out_of_scope"
    assert "四川省" in scope["reason"]["zh"] and "浙江省" in scope["reason"]["zh"]
    table = cli("evaluate", "-p", "haining", str(record), "--as-of", "2023-06-30")
    assert "不适用本政策: haining(记录所在省为四川省" in table.stdout


def test_ignore_scope_judges_it_anyway_and_still_says_so(tmp_path: Path) -> None:
    record = tmp_path / "s.yaml"
    record.write_text(SICHUAN_STATION, encoding="utf-8")
    args = ["evaluate", "-p", "haining", str(record), "--as-of", "2023-06-30", "--ignore-scope"]
    data = json.loads(cli(*args, "-f", "json").stdout)
    assert data["findings"] and data["rules_evaluated"] == len(data["findings"])
    assert data["scope"][0]["status"] == "out_of_scope"
    assert "(按要求仍作评估)" in cli(*args).stdout


def test_a_village_room_is_out_of_scope_for_a_township_only_pack(write_pack) -> None:  # type: ignore[no-untyped-def]
    d = write_pack(TOWNSHIP_ONLY, head=False, name="township_only")
    engine = Engine([load_pack(d)])
    room = {
        "kind": "station",
        "level": "村(居)社工室",
        "region": {"province": "浙江省"},
        "site": {"area_m2": 20},
    }
    report = engine.evaluate(room, as_of=date(2023, 1, 1))
    assert report.findings == () and report.verdict is Verdict.NOT_ASSESSED
    [scope] = report.scope
    assert scope.status == "out_of_scope" and "乡镇(街道)社工站" in scope.reason["zh"]
    assert "村(居)社工室" in scope.reason["zh"]
    station = {**room, "level": "township_station"}
    assert engine.evaluate(station, as_of=date(2023, 1, 1)).verdict is Verdict.NON_COMPLIANT  # 20 < 100


def test_a_record_without_a_region_is_judged_and_the_report_says_so(write_pack) -> None:  # type: ignore[no-untyped-def]
    engine = Engine([load_pack(write_pack(TOWNSHIP_ONLY, head=False, name="township_only"))])
    report = engine.evaluate({"kind": "station", "site": {"area_m2": 100}}, as_of=date(2023, 1, 1))
    assert report.verdict is Verdict.COMPLIANT and report.evaluated == 1
    [scope] = report.scope
    assert scope.status == "region_not_stated" and "未写明" in scope.reason["zh"]


@pytest.mark.parametrize(
    ("written", "pack", "same"),
    [
        ("四川", "四川省", True),
        ("仁寿县", "仁寿", True),
        (" 海宁市 ", "海宁市", True),
        ("海盐县", "海宁市", False),
    ],
)
def test_place_names_compare_without_their_suffix(written: str, pack: str, same: bool) -> None:
    assert (place(written) == place(pack)) is same


def test_compare_judges_every_pack_whatever_its_region(tmp_path: Path) -> None:
    record = tmp_path / "s.yaml"
    record.write_text(SICHUAN_STATION, encoding="utf-8")
    out = cli("compare", "-p", "sichuan", "-p", "haining", str(record), "--as-of", "2023-06-30", "-f", "json")
    verdicts = json.loads(out.stdout)["verdicts"]
    assert verdicts["haining"] != "not_assessed"  # "what if this station were in Haining"


def test_a_batch_counts_out_of_scope_rows_as_not_assessed(tmp_path: Path) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"kind": "station", **_fields(SICHUAN_STATION)}, ensure_ascii=False) + "\n")
    out = cli("assess", "-p", "haining", str(rows), "--as-of", "2023-06-30", "-o", "r.jsonl", cwd=tmp_path)
    assert out.returncode == 3 and "未评估 1" in out.stdout, out.stdout + out.stderr
    [line] = (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["report"]["scope"][0]["status"] == "out_of_scope"
    anyway = cli(
        "assess",
        "-p",
        "haining",
        str(rows),
        "--as-of",
        "2023-06-30",
        "-o",
        "r.jsonl",
        "--ignore-scope",
        cwd=tmp_path,
    )
    assert anyway.returncode == 1 and "未评估 0" in anyway.stdout


def _fields(yaml_text: str) -> dict[str, object]:
    import yaml

    data = yaml.safe_load(yaml_text)
    data.pop("kind")
    return dict(data)
