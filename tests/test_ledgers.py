"""Real ledgers in: a 民政局 workbook as it comes, read without hand edits.

The shipped sample (examples/ledgers/county_stations.xlsx, made by make_county_stations.py)
has a title and a note row above its header, 序号 and 备注 columns, headers written `编 号` and
`服务面积（平方米）`, 市 and 县 merged over the stations, 小计 and 合计 rows, amounts as 30万,
12.5万元 and 300,000, dates as 2022年9月27日, 2022.9.27, Excel serials and 2023年3月, 是/否/√/×,
three cells nobody can read, a staff sheet keyed by station id with one orphan row, and a
services sheet. Every station is evaluated; every unreadable cell is listed, with its sheet,
row and header, in every output.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from policyengine.batch.readers import Input
from policyengine.batch.run import run_assessment
from policyengine.batch.tabular import load_mapping
from policyengine.errors import PolicyEngineError, RecordError
from policyengine.models import Project, Station
from policyengine.models.values import parse_date, parse_money, parse_month

openpyxl = pytest.importorskip("openpyxl")
pytest.importorskip("python_calamine")

ROOT = Path(__file__).resolve().parent.parent
LEDGERS = ROOT / "examples" / "ledgers"
SAMPLE = LEDGERS / "county_stations.xlsx"
MAPPING = LEDGERS / "mapping.yaml"
TITLE = "眉山市乡镇(街道)社工站建设情况台账(2023年6月)"
STATIONS = ["DL01", "DL02", "DL03", "DL04", "HY01", "HY02", "HY03", "HY04", "HY05"]
# (sheet, row, header) of every cell the sample's people could not have meant to be read
UNREADABLE = {
    ("社工站台账", 6, "服务面积（平方米）"),
    ("社工站台账", 10, "建站日期"),
    ("社工站台账", 11, "是否社工机构"),
}
ORPHAN = ("工作人员", 20)
ARGS = ["-p", "sichuan", "--kind", "station", "--as-of", "2023-06-30", "--mapping", str(MAPPING)]


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "policyengine.cli", *args], capture_output=True, text=True, cwd=cwd
    )


def read(path: Path, model: Any = Station, **kw: Any) -> tuple[Input, list[Any]]:
    source = Input(path, model, **kw)
    try:
        return source, list(source.rows())
    finally:
        source.close()


# -- the sample, end to end ----------------------------------------------------------------


@pytest.fixture(scope="module")
def assessed(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("sample")
    outs = [a for f in ("xlsx", "csv", "jsonl", "xml", "html") for a in ("-o", f"r.{f}")]
    return cli("assess", str(SAMPLE), *ARGS, *outs, "--no-progress", cwd=out), out


def jsonl(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "r.jsonl").open(encoding="utf-8")]


def test_every_station_of_the_sample_is_evaluated(assessed: Any) -> None:
    result, out = assessed
    assert result.returncode == 1, result.stderr  # non-compliant stations and input errors
    assert "Traceback" not in result.stderr
    rows = jsonl(out)
    stations = [r for r in rows if r["row"]["sheet"] == "社工站台账"]
    assert [r["report"]["subject"]["id"] for r in stations] == STATIONS  # in order, none lost
    assert all(r["verdict"] != "invalid" for r in stations)  # none 无法读取 because of one cell
    verdicts = {r["report"]["subject"]["id"]: r["verdict"] for r in stations}
    assert verdicts["DL03"] == "non_compliant"  # one professional social worker of two
    assert verdicts["HY05"] == "non_compliant"  # the operator is no social-work organisation
    assert verdicts["HY03"] == "incomplete"  # 是否社工机构 = 待定: the rule needing it is unknown
    assert verdicts["DL01"] == verdicts["HY02"] == "compliant"


def test_title_total_and_subtotal_rows_are_no_records(assessed: Any) -> None:
    _, out = assessed
    lines = {r["row"]["line"] for r in jsonl(out) if r["row"]["sheet"] == "社工站台账"}
    assert lines == {4, 5, 6, 7, 9, 10, 11, 12, 13}  # not 1-3 (caption, header), 8 and 14 (小计), 15 (合计)


def test_the_caption_and_the_sums_reach_the_summary(tmp_path: Path) -> None:
    summary = run_assessment(
        ["sichuan"], SAMPLE, [tmp_path / "r.jsonl"], as_of=date(2023, 6, 30), kind="station", mapping=MAPPING
    )
    assert summary.caption[0] == TITLE and summary.caption[1].startswith("填报单位:眉山市民政局")
    assert summary.to_dict()["caption"] == summary.caption
    assert summary.ignored_columns == ["社工站台账: 序号", "社工站台账: 备注"]
    notes = "\n".join(summary.notes)
    assert (
        "社工站台账 第14行是小计行,不作为记录评估;服务面积（平方米）、年度运营经费（元） 与各记录之和一致"
        in notes
    )
    # 丹棱县's 小计 counts the area the unreadable cell meant: the difference says so
    assert (
        "第8行(小计)“服务面积（平方米）”为 460,各记录之和为 360,相差 100(另有 1 个单元格无法读取,未计入)"
        in notes
    )
    # the 合计's funds were typed 10,000 off: a note, not an error
    assert "第15行(合计)“年度运营经费（元）”为 2,035,000,各记录之和为 2,025,000,相差 10,000" in notes
    assert summary.verdicts["invalid"] == 1  # only the orphan staff row


def test_merged_cells_give_every_station_its_city_and_county() -> None:
    _, rows = read(SAMPLE, mapping=load_mapping(MAPPING))
    regions = {r.record["id"]: r.record["region"] for r in rows}
    assert all(reg["city"] == "眉山市" for reg in regions.values())
    assert {sid: reg["county"] for sid, reg in regions.items()} == {
        sid: "丹棱县" if sid.startswith("DL") else "洪雅县" for sid in STATIONS
    }


def test_cells_are_read_as_people_write_them() -> None:
    _, rows = read(SAMPLE, mapping=load_mapping(MAPPING))
    rec = {r.record["id"]: r.record for r in rows}
    funds = {sid: rec[sid].get("annual_funding") for sid in ("DL01", "DL02", "DL03", "DL04")}
    assert funds == {"DL01": 300000, "DL02": 125000, "DL03": 300000, "DL04": 250000}  # 30万 12.5万元 300,000
    assert all(isinstance(v, Decimal) for v in funds.values())
    days = {sid: rec[sid].get("established") for sid in ("DL01", "DL02", "DL03", "DL04", "HY01")}
    assert days == {
        "DL01": date(2022, 9, 27),  # 2022年9月27日
        "DL02": date(2022, 4, 1),  # the bare Excel serial 44652, never a Unix timestamp
        "DL03": date(2022, 9, 27),  # 2022.9.27
        "DL04": date(2022, 10, 8),  # a date cell
        "HY01": date(2022, 9, 27),  # 2022/9/27
    }
    plaques = [rec[sid]["plaque_hung"] for sid in ("DL01", "DL03", "DL04", "HY03", "HY04")]
    assert plaques == [True, True, False, False, True]  # 是 √ 否 × 有
    staff = {m["name"]: m for r in rows for m in r.record.get("staff", [])}
    assert staff["王芳"]["joined"] == date(2022, 9, 1)  # a serial on the staff sheet too
    assert rec["HY03"]["operator"] == {  # 待定 left out, noted; 是否在民政部门登记 is 在民政部门登记
        "name": "眉山市示例社会工作服务中心",
        "registered_with_civil_affairs": True,
    }


def test_every_unreadable_cell_is_listed_in_every_output(assessed: Any) -> None:
    result, out = assessed
    noted = {(e["sheet"], e["row"], e["field"]) for r in jsonl(out) for e in r["errors"]}
    assert noted == UNREADABLE | {(*ORPHAN, "站点编号")}
    book = openpyxl.load_workbook(out / "r.xlsx", read_only=True)
    sheet = {(e[0], e[1], e[2]) for e in list(book["输入错误"].iter_rows(values_only=True))[1:]}
    assert sheet == noted
    with (out / "r.csv").open(encoding="utf-8-sig") as fh:
        table = list(csv.reader(fh))
    errors_col = table[0].index("输入错误")
    csv_text = "\n".join(r[errors_col] for r in table[1:])
    junit = (out / "r.xml").read_text(encoding="utf-8")
    html = (out / "r.html").read_text(encoding="utf-8")
    for sheet_name, row, header in UNREADABLE:
        where = f"{sheet_name} 第{row}行 {header}"
        assert where in csv_text and where in junit and where in result.stdout, where
        assert f"第{row}行" in html and header in html
    assert "所属编号“HY09”在主表中不存在" in junit and "所属编号“HY09”在主表中不存在" in csv_text


def test_the_orphan_staff_row_is_a_row_of_every_output(assessed: Any) -> None:
    _, out = assessed
    [orphan] = [r for r in jsonl(out) if r["row"]["sheet"] == "工作人员"]
    assert (orphan["row"]["line"], orphan["verdict"], orphan["report"]) == (20, "invalid", None)
    book = openpyxl.load_workbook(out / "r.xlsx", read_only=True)
    results = list(book["结果"].iter_rows(values_only=True))
    assert any(r[1:3] == ORPHAN for r in results)
    import xml.etree.ElementTree as ET

    suite = ET.parse(out / "r.xml").getroot()
    errors = [c for c in suite.iter("testcase") if c.find("error") is not None]
    assert len(errors) == 1 and "HY09" in (errors[0].find("error").text or "")  # type: ignore[union-attr]


def test_the_xls_and_wps_et_files_read_as_the_xlsx(tmp_path: Path) -> None:
    shutil.copy(LEDGERS / "county_stations.xls", tmp_path / "county_stations.et")
    results = []
    for path in (SAMPLE, LEDGERS / "county_stations.xls", tmp_path / "county_stations.et"):
        out = tmp_path / f"{path.suffix[1:]}.jsonl"
        cli("assess", str(path), *ARGS, "-o", str(out), cwd=tmp_path)
        results.append(
            [(r["row"], r["verdict"], r["errors"]) for r in map(json.loads, out.open(encoding="utf-8"))]
        )
    assert len(results[0]) == 10 and results[0] == results[1] == results[2]


def test_the_header_row_can_be_forced_and_a_wrong_one_is_named(tmp_path: Path) -> None:
    result = cli("assess", str(SAMPLE), *ARGS, "--header-row", "1", "-o", "r.jsonl", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"`{TITLE}` matches no field" in result.stderr and not (tmp_path / "r.jsonl").exists()
    source, rows = read(SAMPLE, mapping=load_mapping(MAPPING), header_row=3)
    assert source.layout is not None and source.layout.header_row == 3 and len(rows) == 9


# -- sheets, headers, mappings --------------------------------------------------------------


def workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def test_headers_are_matched_after_normalising_and_units_are_read(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "s.xlsx",
        {
            "站": [
                ["【序号】", "编　号", "名 称", "服务面积(㎡)", "年度运营经费[万元]", "备 注"],
                [1, "S1", "甲站", 120, 30, "x"],
            ]
        },
    )
    source, [row] = read(path)
    assert row.record == {"id": "S1", "name": "甲站", "site": {"area_m2": 120}, "annual_funding": 300000}
    assert source.ignored == ["站: 【序号】", "站: 备 注"]


def test_a_percent_column_takes_percentages() -> None:
    from policyengine.batch.cells import read_row
    from policyengine.batch.tabular import build_header_map

    hm = build_header_map(Project)
    headers = ["编号", "群众满意度（％）"]
    cols = [hm.resolve(h) for h in headers]
    got = [
        read_row(cols, headers, ["P1", v], "项目", 2)
        for v in ("95%", "百分之九十五点五", 96, "百分之一百零一")
    ]
    values = [rec.get("outputs", {}).get("satisfaction_rate") for rec, _ in got]
    assert values == [95, Decimal("95.5"), 96, None]
    assert got[3][1][0].message.startswith("值“百分之一百零一”无法读取")  # over 100 (le=100), in zh


def test_the_records_sheet_is_found_or_chosen_and_an_instructions_sheet_passed_over(tmp_path: Path) -> None:
    sheets = {
        "填表说明": [["本表由各乡镇填写"], ["金额单位:元"]],
        "社工站": [["编号", "名称", "层级"], ["S1", "甲站", "乡镇(街道)社工站"]],
        "另一批": [["编号", "名称"], ["T1", "乙站"]],
    }
    path = workbook(tmp_path / "s.xlsx", sheets)
    source, rows = read(path)
    assert source.main_sheet == "社工站" and [r.record["id"] for r in rows] == ["S1"]
    source, rows = read(path, records_sheet="另一批")
    assert [r.record["id"] for r in rows] == ["T1"]
    with pytest.raises(RecordError, match="no sheet `第三批`"):
        Input(path, Station, records_sheet="第三批")


def test_a_mapping_applies_per_sheet_and_a_list_sheet_may_have_any_name(tmp_path: Path) -> None:
    sheets = {
        "台账": [["站点代码", "运营机构"], ["S1", "某中心"]],
        "社工名册": [["站点代码", "社工", "专业"], ["S1", "张三", "是"], ["S1", "李四", "否"]],
    }
    path = workbook(tmp_path / "s.xlsx", sheets)
    mapping = {
        "站点代码": "id",
        "运营机构": "operator.name",  # no staff field: before, applying it to the staff sheet failed
        "社工名册": {"站点代码": "parent_id", "社工": "name", "专业": "professional"},
    }
    _, [row] = read(path, mapping=mapping, list_sheets={"社工名册": "staff"})
    assert row.record["operator"] == {"name": "某中心"}
    assert row.record["staff"] == [
        {"name": "张三", "professional": True},
        {"name": "李四", "professional": False},
    ]
    assert row.child_rows == {"staff": [("社工名册", 2), ("社工名册", 3)]}


def test_an_ods_ledger_with_merged_cells_is_read(tmp_path: Path) -> None:
    path = tmp_path / "s.ods"
    write_ods(path)
    source, rows = read(path)
    assert source.caption == ["某县社工站台账"]
    assert [(r.record["id"], r.record["region"]["county"]) for r in rows] == [("S1", "甲县"), ("S2", "甲县")]


def write_ods(path: Path) -> None:
    """A two-station ODS sheet: a title spanning three columns, 县 spanning two rows."""
    t = 'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
    o = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
    x = 'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'

    def cell(v: str, extra: str = "") -> str:
        return f'<table:table-cell office:value-type="string"{extra}><text:p>{v}</text:p></table:table-cell>'

    cover = "<table:covered-table-cell/>"
    rows = [
        cell("某县社工站台账", ' table:number-columns-spanned="3"') + cover * 2,
        cell("编号") + cell("名称") + cell("县(市、区)"),
        cell("S1") + cell("甲站") + cell("甲县", ' table:number-rows-spanned="2"'),
        cell("S2") + cell("乙站") + cover,
    ]
    body = "".join(f"<table:table-row>{r}</table:table-row>" for r in rows)
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {o} {t} {x} office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="站">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type='
        '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
        'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", manifest)
        z.writestr("content.xml", content)


# -- cells and records ---------------------------------------------------------------------


def test_a_month_is_a_month_where_the_field_allows_it_and_a_clear_error_otherwise() -> None:
    assert (
        parse_month("2023年3月")
        == parse_month("2023-03")
        == parse_month(date(2023, 3, 17))
        == date(2023, 3, 1)
    )
    with pytest.raises(ValueError, match="只写到月份,此处需要具体日期,如 2023年3月1日"):
        parse_date("2023年3月")
    assert parse_date("２０２２年９月２７号") == date(2022, 9, 27)  # full-width digits, 号 for 日


@pytest.mark.parametrize(
    ("written", "yuan"), [("人民币30万元整", 300000), ("１２.５万元", 125000), ("RMB 300,000", 300000)]
)
def test_amounts_as_written_on_forms(written: str, yuan: int) -> None:
    assert parse_money(written) == yuan


def test_a_jsonl_record_with_one_bad_field_is_evaluated_and_one_with_a_bad_id_is_not(tmp_path: Path) -> None:
    good = {"kind": "station", "level": "township_station"}
    lines = [
        {**good, "id": "S1", "established": "2023年3月"},
        {**good, "id": ["not", "an", "id"]},
        {**good, "id": "S3", "site": {"area_m2": "约一百", "office_desks": 2}},
    ]
    (tmp_path / "s.jsonl").write_text(
        "\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8"
    )
    cli("assess", "-p", "sichuan", "s.jsonl", "-o", "r.jsonl", cwd=tmp_path)
    rows = [json.loads(x) for x in (tmp_path / "r.jsonl").open(encoding="utf-8")]
    assert [r["verdict"] == "invalid" for r in rows] == [False, True, False]
    assert [e["field"] for e in rows[0]["errors"]] == ["established"]
    assert (
        "只写到月份" in rows[0]["errors"][0]["message"]
        and "此项按缺失处理" in rows[0]["errors"][0]["message"]
    )
    assert [e["field"] for e in rows[2]["errors"]] == ["site.area_m2"]


def test_bad_options_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(PolicyEngineError, match="--list-sheet"):
        run_assessment(["sichuan"], SAMPLE, [tmp_path / "r.jsonl"], kind="station", list_sheets=["社工名册"])
    with pytest.raises(RecordError, match="not a list"):
        Input(SAMPLE, Station, list_sheets={"服务": "volunteers"})
    with pytest.raises(RecordError, match="is for workbooks"):
        (tmp_path / "s.csv").write_text("编号\nS1\n", encoding="utf-8")
        Input(tmp_path / "s.csv", Station, records_sheet="x")
