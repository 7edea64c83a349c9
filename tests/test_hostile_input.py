"""Hostile and broken ledgers: every row that cannot be read or evaluated comes out `invalid`
with its line and why; every other row is evaluated; nothing stops the run or is lost."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

HEADER = "编号,名称,层级,社工机构,在民政部门登记\n"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "policyengine.cli", *args], capture_output=True, text=True, cwd=cwd
    )


def station_line(i: int) -> str:
    return f"S{i},第{i}站,乡镇(街道)社工站,是,是\n"


def assess(
    tmp: Path, name: str, *extra: str
) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    out = run("assess", "-p", "sichuan", name, "--kind", "station", "-o", "out.jsonl", *extra, cwd=tmp)
    lines = (
        (tmp / "out.jsonl").read_text(encoding="utf-8").splitlines() if (tmp / "out.jsonl").exists() else []
    )
    return out, [json.loads(x) for x in lines]


def invalid(rows: list[dict[str, Any]]) -> dict[int, str]:
    return {r["row"]["line"]: r["errors"][0]["message"] for r in rows if r["verdict"] == "invalid"}


def test_an_unterminated_quote_is_one_bad_row_and_the_rows_after_it_are_read(tmp_path: Path) -> None:
    text = HEADER + station_line(1) + 'S2,"第2站,乡镇(街道)社工站,是,是\n' + station_line(3) + station_line(4)
    (tmp_path / "s.csv").write_text(text, encoding="utf-8")
    out, rows = assess(tmp_path, "s.csv")
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr
    assert len(rows) == 4
    assert list(invalid(rows)) == [3]
    assert "引号没有闭合" in invalid(rows)[3]
    assert [r["report"]["subject"]["id"] for r in rows if r["report"]] == ["S1", "S3", "S4"]


def test_a_gb18030_line_after_64_kib_of_utf8_is_one_bad_row(tmp_path: Path) -> None:
    body = "".join(station_line(i) for i in range(1, 1500))
    assert len(body.encode()) > 65536
    data = (
        (HEADER + body).encode("utf-8") + station_line(1500).encode("gb18030") + station_line(1501).encode()
    )
    (tmp_path / "s.csv").write_bytes(data)
    out, rows = assess(tmp_path, "s.csv")
    assert "Traceback" not in out.stderr
    assert len(rows) == 1501
    assert list(invalid(rows)) == [1501]  # line 1501 holds station 1500
    assert "不是 UTF-8 编码" in invalid(rows)[1501]
    last = rows[-1]["report"]["subject"]
    assert (last["id"], last["name"]) == ("S1501", "第1501站")  # the Chinese after it is intact


def test_a_cell_over_131072_characters_is_a_bad_row_not_a_crash(tmp_path: Path) -> None:
    text = HEADER + station_line(1) + f"S2,{'长' * 140_000},乡镇(街道)社工站,是,是\n" + station_line(3)
    (tmp_path / "s.csv").write_text(text, encoding="utf-8")
    out, rows = assess(tmp_path, "s.csv")
    assert "Traceback" not in out.stderr and len(rows) == 3
    assert list(invalid(rows)) == [3] and "超过 32,767 个的上限" in invalid(rows)[3]


@pytest.mark.parametrize(
    ("header", "says"),
    [
        ("编号,名称,名称\n", "columns 2 and 3 both fill `name` (the same header)"),
        ("编号,名称,name\n", "`名称` and `name` name the same field"),
    ],
)
def test_two_columns_filling_one_field_stop_the_run_naming_both(
    tmp_path: Path, header: str, says: str
) -> None:
    (tmp_path / "s.csv").write_text(header + "S1,甲,乙\n", encoding="utf-8")
    out, rows = assess(tmp_path, "s.csv")
    assert out.returncode == 2 and says in out.stderr and "Traceback" not in out.stderr
    assert rows == []


GOOD = {"kind": "station", "id": "S0", "name": "好站", "level": "township_station"}


@pytest.mark.parametrize(
    ("line", "says"),
    [
        (b'{"kind": "station", "id": "S1", "id": "S2"}', "the key `id` appears twice"),
        (b'{"kind": "station", "id": "S1", "name": "\xb9\xfa"}', "not UTF-8 text"),
        (b'{"kind": "station", "staff": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply"),
        (b'{"kind": "station", "staff_count": ' + b"9" * 5000 + b"}", "a number cannot be read"),
        (b'["not", "an", "object"]', "a line must be a JSON object"),
    ],
    ids=["duplicate-key", "invalid-utf8", "deep-nesting", "5000-digits", "not-an-object"],
)
def test_a_hostile_jsonl_line_is_one_bad_row(tmp_path: Path, line: bytes, says: str) -> None:
    good = json.dumps(GOOD, ensure_ascii=False).encode()
    (tmp_path / "s.jsonl").write_bytes(good + b"\n" + line + b"\n" + good + b"\n")
    out, rows = assess(tmp_path, "s.jsonl")
    assert "Traceback" not in out.stderr, out.stderr[-2000:]
    assert [r["verdict"] == "invalid" for r in rows] == [False, True, False]
    assert says in invalid(rows)[2]


def test_a_sheet_claiming_a_million_rows_and_16384_columns_reads_only_its_cells(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "社工站"
    ws.append(["编号", "名称", "层级"])
    ws.append(["S1", "甲站", "乡镇(街道)社工站"])
    wb.save(tmp_path / "plain.xlsx")
    with (
        zipfile.ZipFile(tmp_path / "plain.xlsx") as zin,
        zipfile.ZipFile(tmp_path / "claim.xlsx", "w") as zout,
    ):
        for part in zin.infolist():
            data = zin.read(part.filename)
            if part.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<dimension ref="A1:C2" />', b'<dimension ref="A1:XFD1048576"/>')
                data = data.replace(b'<dimension ref="A1:C2"/>', b'<dimension ref="A1:XFD1048576"/>')
                assert b"XFD1048576" in data
            zout.writestr(part, data)
    assert (tmp_path / "claim.xlsx").stat().st_size < 10_000
    out, rows = assess(tmp_path, "claim.xlsx", "-o", "out.csv")
    assert out.returncode in (0, 1), out.stderr
    assert [r["report"]["subject"]["id"] for r in rows] == ["S1"]
    with (tmp_path / "out.csv").open(encoding="utf-8-sig") as fh:
        assert len(next(csv.reader(fh))) < 50  # no 16,384 padded columns anywhere


def test_a_shared_string_bomb_is_refused_before_it_is_read(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active.append(["编号", "名称"])
    wb.save(tmp_path / "plain.xlsx")
    with (
        zipfile.ZipFile(tmp_path / "plain.xlsx") as zin,
        zipfile.ZipFile(tmp_path / "bomb.xlsx", "w", zipfile.ZIP_DEFLATED) as zout,
    ):
        for part in zin.infolist():
            zout.writestr(part, zin.read(part.filename))
        with zout.open("xl/sharedStrings.xml", "w") as fh:  # 300 MB of one string, ~300 KB zipped
            fh.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>')
            block = b"a" * (1 << 20)
            for _ in range(300):
                fh.write(block)
            fh.write(b"</t></si></sst>")
    assert (tmp_path / "bomb.xlsx").stat().st_size < 2_000_000
    out, rows = assess(tmp_path, "bomb.xlsx")
    assert out.returncode == 2 and "sharedStrings.xml" in out.stderr and "Traceback" not in out.stderr
    assert rows == []


def test_a_batch_with_one_of_each_hostile_row_scattered_evaluates_every_other_row(tmp_path: Path) -> None:
    hostile = [
        b'{"kind": "station", "id": "X", "id": "Y"}',
        b'{"kind": "station", "name": "\xff\xfe"}',
        b'{"kind": "station", "staff": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        b'{"kind": "station", "staff_count": ' + b"1" * 5000 + b"}",
        b"not json at all",
        b'{"kind": "station", "id": "C", "name": "\\u0000\\u001b[2J\\ud800"}',
    ]
    lines, bad = [], set()
    for i in range(3000):
        if i % 500 == 250:
            lines.append(hostile[len(bad)])
            bad.add(i + 1)
        else:
            lines.append(json.dumps({**GOOD, "id": f"S{i}"}, ensure_ascii=False).encode())
    (tmp_path / "s.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    out, rows = assess(tmp_path, "s.jsonl")
    assert "Traceback" not in out.stderr, out.stderr[-2000:]
    assert len(rows) == 3000
    assert set(invalid(rows)) <= bad and len(bad - set(invalid(rows))) <= 1  # the control-character row reads
    evaluated = [r for r in rows if r["report"] is not None]
    assert len(evaluated) == 3000 - len(invalid(rows))


def test_formula_cells_without_a_saved_result_are_reported_not_dropped(tmp_path: Path) -> None:
    """A workbook written by a program (openpyxl here) keeps formulas without their results:
    reading values only, a row of formulas looked blank and vanished."""
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "社工站"
    ws.append(["编号", "名称", "层级"])
    ws.append(["S1", "甲站", "乡镇(街道)社工站"])
    ws.append(['="S"&2', '="乙"&"站"', "=C2"])  # every cell a formula: looked like a blank row
    ws.append(["S3", "=B2", "乡镇(街道)社工站"])
    ws.append(["S4", "丁站", "乡镇(街道)社工站"])
    wb.save(tmp_path / "f.xlsx")
    out, rows = assess(tmp_path, "f.xlsx")
    assert "Traceback" not in out.stderr
    assert len(rows) == 4
    assert sorted(invalid(rows)) == [3, 4]
    assert "第 1、2、3 列是公式" in invalid(rows)[3] and "第 2 列是公式" in invalid(rows)[4]
    assert [r["report"]["subject"]["id"] for r in rows if r["report"]] == ["S1", "S4"]


# Found by the reader fuzzer (fuzz/readers.py): each was a traceback before.


def test_an_impossible_yaml_date_is_an_error_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text("kind: station\nid: S1\nestablished: 2023-02-30\n", encoding="utf-8")
    out = run("evaluate", "-p", "sichuan", "r.yaml", "--as-of", "2023-06-30", cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "r.yaml:3" in out.stderr and "is not a real date" in out.stderr


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        (
            "log.jsonl",
            b'{"type": "visit", "date": "2023-01-01", "person": ' + b"[" * 50_000 + b"]" * 50_000 + b"}\n",
            "nested too deeply",
        ),
        (
            "log.jsonl",
            b'{"type": "visit", "date": "2023-01-01", "person": ' + b"7" * 5000 + b"}\n",
            "not valid JSON",
        ),
        (
            "log.csv",
            "事件类型,日期,服务对象编号,备注\nvisit,2023-01-01,L1,".encode()
            + "长".encode() * 140_000
            + b"\n",
            "over the limit of 32,767",
        ),
    ],
    ids=["deep-nesting", "5000-digits", "long-cell"],
)
def test_a_hostile_event_log_is_refused_with_its_line(
    tmp_path: Path, name: str, content: bytes, says: str
) -> None:
    (tmp_path / name).write_bytes(content)
    out = run("monitor", "-p", "chengdu", name, "--backend", "plain", cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr[-1500:]
    assert says in out.stderr


def test_an_event_log_saved_as_gb18030_is_read(tmp_path: Path) -> None:
    text = "事件类型,日期,服务对象编号,备注\n" + "".join(f"visit,2023-01-{d:02d},L1,探访\n" for d in (5, 20))
    (tmp_path / "log.csv").write_bytes(text.encode("gb18030"))
    out = run(
        "monitor",
        "-p",
        "chengdu",
        "log.csv",
        "--backend",
        "plain",
        "--until",
        "2023-01-31",
        "-f",
        "json",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["events"] == 2


def test_a_sheet_whose_xml_is_damaged_stops_with_the_sheet_and_row(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "社工站"
    ws.append(["编号", "名称"])
    ws.append(["S1", "甲站"])
    ws.append(["S2", "MARK"])
    wb.save(tmp_path / "plain.xlsx")
    with zipfile.ZipFile(tmp_path / "plain.xlsx") as zin, zipfile.ZipFile(tmp_path / "bad.xlsx", "w") as zout:
        for part in zin.infolist():
            data = zin.read(part.filename)
            data = data.replace(b"MARK", b"&#55296;")  # a lone surrogate, as openpyxl writes one
            zout.writestr(part, data)
    out, rows = assess(tmp_path, "bad.xlsx")
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr[-1500:]
    assert "cannot be read after row" in out.stderr and rows == []
