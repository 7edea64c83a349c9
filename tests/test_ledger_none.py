"""Ledger cells that mean "none": 功能区 = 无 is no functional areas, not one area called 无.

In a list field a cell saying none (无, 没有, 否, 暂无, —, –, -, /, full-width ／) is an empty
list; in a count field (a whole number of things that may be 0) it is 0. A real item that starts
with 无 (无障碍通道) stays an item, amounts and years are never read as 0, and a blank cell is
still a missing value (a rule that needs it is unknown, never decided on a guess).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from policyengine.batch.readers import Input
from policyengine.batch.rows import InputRow
from policyengine.models.subjects import Station

openpyxl = pytest.importorskip("openpyxl")

AS_OF = "2023-01-01"
HEADERS = ["编号", "名称", "层级", "功能区", "规章制度", "办公位(个)"]
NONE_SPELLINGS = ["无", "没有", "否", "暂无", "—", "–", "-", "/", "／", "－", " 无 ", "\u3000暂无\u3000"]

#: A pack whose rules say "has some": the rule the issue is about, which ["无"] would pass.
HAS_SOME = """\
rules:
  - id: site.has_areas
    title: 设有功能区
    subject: station
    require: len(site.functional_areas) > 0
    cite: {clause: 一, quote: 设置功能区}
    message: 功能区为 {site.functional_areas}
  - id: station.has_systems
    title: 建立规章制度
    subject: station
    require: len(systems) > 0
    cite: {clause: 二, quote: 建立规章制度}
    message: 规章制度为 {systems}
  - id: site.has_desks
    title: 设有办公位
    subject: station
    require: site.office_desks >= 1
    cite: {clause: 三, quote: 设置办公位}
    message: 办公位 {site.office_desks} 个
"""


def write_csv(path: Path, rows: list[list[Any]], headers: list[str] = HEADERS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([headers, *rows])
    return path


def write_xlsx(path: Path, rows: list[list[Any]], headers: list[str] = HEADERS) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "社工站"
    for row in [headers, *rows]:
        ws.append(row)
    wb.save(path)
    return path


def read(path: Path) -> list[InputRow]:
    source = Input(path, Station)
    try:
        return list(source.rows())
    finally:
        source.close()


def station(sid: str, areas: Any, systems: Any = "工作制度", desks: Any = 2) -> list[Any]:
    return [sid, f"{sid}站", "乡镇(街道)社工站", areas, systems, desks]


# -- reader level -------------------------------------------------------------------------


@pytest.mark.parametrize("writer", [write_csv, write_xlsx], ids=["csv", "xlsx"])
@pytest.mark.parametrize("spelling", NONE_SPELLINGS)
def test_a_cell_saying_none_is_an_empty_list_and_a_zero_count(
    tmp_path: Path, writer: Callable[..., Path], spelling: str
) -> None:
    suffix = ".csv" if writer is write_csv else ".xlsx"
    (row,) = read(writer(tmp_path / f"s{suffix}", [station("S1", spelling, spelling, spelling)]))
    assert row.record is not None and not row.problems
    assert row.record["site"]["functional_areas"] == []
    assert row.record["systems"] == []
    assert row.record["site"]["office_desks"] == 0
    model = Station.model_validate(row.record)  # and the models take them as such
    assert model.site is not None and model.site.functional_areas == [] and model.site.office_desks == 0


def test_real_items_stay_items_even_when_they_start_with_none(tmp_path: Path) -> None:
    rows = [
        station("S1", "无障碍通道"),
        station("S2", "无障碍通道、综合接待区,个案室"),
        station("S3", "否决事项公示栏"),
        station("S4", "暂无法开放的活动室; 无"),  # a list that holds 无 among items: items, as written
    ]
    records = [r.record for r in read(write_csv(tmp_path / "s.csv", rows))]
    assert [r["site"]["functional_areas"] for r in records if r] == [
        ["无障碍通道"],
        ["无障碍通道", "综合接待区", "个案室"],
        ["否决事项公示栏"],
        ["暂无法开放的活动室", "无"],
    ]


def test_a_blank_cell_is_still_missing_not_none(tmp_path: Path) -> None:
    for writer, name in ((write_csv, "s.csv"), (write_xlsx, "s.xlsx")):
        (row,) = read(writer(tmp_path / name, [station("S1", "  ", None, "")]))
        assert row.record is not None
        assert "systems" not in row.record
        assert "functional_areas" not in row.record.get("site", {}), name
        assert "office_desks" not in row.record.get("site", {}), name


def test_only_lists_and_counts_read_none_other_fields_as_before(tmp_path: Path) -> None:
    headers = ["编号", "地址", "办公场地", "年度运营经费(元)", "运营机构/评估等级/评定年份"]
    headers.append("服务面积(平方米)")
    rows = [["S1", "无", "无", "无", "无", "无"], ["S2", "-", "-", "-", "-", "-"]]
    first, second = read(write_csv(tmp_path / "s.csv", rows, headers))
    # an amount, an area and a year are never 0 because a cell says 无 (a year is counted in
    # whole numbers but is no count): each cell is refused, noted, and its field left missing
    assert first.record == {"id": "S1", "site": {"address": "无", "office_space": False}}
    assert [n.field for n in first.notes] == [
        "年度运营经费(元)",
        "运营机构/评估等级/评定年份",
        "服务面积(平方米)",
    ]
    assert second.record == {"id": "S2"} and not second.notes  # a dash in a scalar field is a missing value


# -- end to end: `policyengine assess` -------------------------------------------------------


def assess(tmp_path: Path, ledger: Path, *packs: str) -> dict[str, dict[str, Any]]:
    """Findings by record id and rule id, from the JSONL report."""
    out = tmp_path / "r.jsonl"
    args = [*(a for p in packs for a in ("--pack", p)), str(ledger), "--kind", "station"]
    args += ["--as-of", AS_OF, "-o", str(out), "--no-progress"]
    result = subprocess.run(
        [sys.executable, "-m", "policyengine.cli", "assess", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode in (0, 1), result.stderr
    found: dict[str, dict[str, Any]] = {}
    for line in out.open(encoding="utf-8"):
        row = json.loads(line)
        assert row["verdict"] != "invalid", row["errors"]
        found[row["report"]["subject"]["id"]] = {f["rule"]: f for f in row["report"]["findings"]}
    return found


@pytest.mark.parametrize("writer", [write_csv, write_xlsx], ids=["csv", "xlsx"])
def test_a_station_with_no_functional_areas_fails_the_rules_that_require_them(
    tmp_path: Path, writer: Callable[..., Path], write_pack: Callable[..., Path]
) -> None:
    has_some = write_pack(HAS_SOME, pid="has_some")
    rows = [
        station("NONE", "无", "暂无", "无"),
        station("REAL", "无障碍通道", "考勤制度", 2),
        station("BLANK", "", "", ""),
    ]
    ledger = writer(tmp_path / ("s.csv" if writer is write_csv else "s.xlsx"), rows)
    found = assess(tmp_path, ledger, "haining", str(has_some))

    none = found["NONE"]
    for rule in ("site.has_areas", "station.has_systems", "site.has_desks"):
        assert none[rule]["outcome"] == "fail", none[rule]
        assert none[rule]["missing"] == []
    assert none["site.has_desks"]["message"]["zh"] == "办公位 0 个"
    # the shipped haining rule (六个功能区块) fails on no areas at all, not on an area named 无
    six = none["site.functional_areas"]
    assert six["outcome"] == "fail" and six["missing"] == []
    assert "无" not in six["message"]["zh"].split("应包括")[0]

    real = found["REAL"]  # 无障碍通道 is a functional area
    assert [real[r]["outcome"] for r in ("site.has_areas", "station.has_systems", "site.has_desks")] == [
        "pass"
    ] * 3
    assert "无障碍通道" in real["site.functional_areas"]["message"]["zh"]

    blank = found["BLANK"]  # nothing written: unknown, never decided
    for rule in ("site.has_areas", "station.has_systems", "site.has_desks", "site.functional_areas"):
        assert blank[rule]["outcome"] == "unknown", blank[rule]
