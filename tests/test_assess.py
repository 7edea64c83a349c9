"""Batch assessment end to end: spreadsheets as assessors keep them, rows never lost."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

openpyxl = pytest.importorskip("openpyxl")

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2022-10-01"
HEADERS = [
    "编号",
    "名称",
    "层级",
    "省",
    "市",
    "县(市、区)",
    "服务面积(平方米)",
    "年度运营经费(元)",
    "运营机构/名称",
    "社工机构",
    "在民政部门登记",
    "已挂牌",
]
AREAS = ["收集群众需求", "链接社会资源", "提供救助服务", "开展老幼关爱", "加强社区治理"]
BROKEN = {17: "服务面积(平方米)", 402: "年度运营经费(元)", 950: "已挂牌"}  # data row → broken column


def build_workbook(path: Path, n: int = 1000) -> None:
    """n township stations in 四川; every 10th has one professional social worker too few;
    rows in BROKEN carry a value no model accepts."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "社工站"
    ws.append(HEADERS)
    staff = wb.create_sheet("工作人员")
    staff.append(["所属编号", "姓名", "职业水平证书", "专业社工", "全职"])
    services = wb.create_sheet("服务")
    services.append(["所属编号", "服务领域", "服务名称"])
    for i in range(1, n + 1):
        sid = f"SC{i:04d}"
        row = [
            sid,
            f"示例{i}镇社工站",
            "乡镇(街道)社工站",
            "四川省",
            "眉山市",
            ["仁寿县", "丹棱县", "洪雅县"][i % 3],
            100 + i % 50,
            f"{20 + i % 15}万",
            "示例社会工作服务中心",
            "是",
            "是",
            "是",
        ]
        if i in BROKEN:
            row[HEADERS.index(BROKEN[i])] = {
                "服务面积(平方米)": "约一百",
                "年度运营经费(元)": "三十万",
                "已挂牌": "也许",
            }[BROKEN[i]]
        ws.append(row)
        staff.append([sid, f"社工{i}甲", "中级", "是", "是"])
        if i % 10:
            staff.append([sid, f"社工{i}乙", "初级", "是", "是"])
        for a in AREAS:
            services.append([sid, a, a])
    wb.save(path)


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("in") / "stations.xlsx"
    build_workbook(path)
    return path


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "policyengine.cli", *args], capture_output=True, text=True, cwd=cwd
    )


@pytest.fixture(scope="module")
def assessed(workbook: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = workbook.parent
    result = run(
        "assess",
        "-p",
        "sichuan",
        str(workbook),
        "--kind",
        "station",
        "--as-of",
        AS_OF,
        "-o",
        "r.xlsx",
        "-o",
        "r.csv",
        "-o",
        "r.jsonl",
        "-o",
        "r.html",
        "-o",
        "r.xml",
        cwd=out,
    )
    return result, out


def test_a_thousand_row_workbook_gives_a_thousand_result_rows(assessed) -> None:  # type: ignore[no-untyped-def]
    result, out = assessed
    assert result.returncode == 1, result.stderr  # some stations are non-compliant
    wb = openpyxl.load_workbook(out / "r.xlsx", read_only=True)
    rows = list(wb["结果"].iter_rows(values_only=True))
    assert len(rows) == 1 + 1000
    assert [r[2] for r in rows[1:]] == list(range(2, 1002))  # every input row, in order
    with (out / "r.csv").open(encoding="utf-8-sig") as fh:
        assert sum(1 for _ in csv.reader(fh)) == 1001
    assert sum(1 for _ in (out / "r.jsonl").open(encoding="utf-8")) == 1000


def test_a_bad_cell_is_reported_with_sheet_row_and_header_and_its_row_evaluated(assessed) -> None:  # type: ignore[no-untyped-def]
    result, out = assessed
    for data_row in BROKEN:
        assert f"社工站 第{data_row + 1}行" in result.stdout, result.stdout
    lines = [json.loads(line) for line in (out / "r.jsonl").open(encoding="utf-8")]
    assert not [r for r in lines if r["verdict"] == "invalid"]  # one bad cell sinks no station
    noted = {r["row"]["line"]: r for r in lines if r["errors"]}
    assert set(noted) == {r + 1 for r in BROKEN}
    assert all(r["report"] is not None for r in noted.values())
    said = {line: (r["errors"][0]["field"], r["errors"][0]["message"]) for line, r in noted.items()}
    assert said[18] == ("服务面积(平方米)", "值“约一百”无法读取:应为数字")
    assert said[403][0] == "年度运营经费(元)" and "“三十万”" in said[403][1]
    assert said[951][0] == "已挂牌" and "应填 是/否" in said[951][1]
    wb = openpyxl.load_workbook(out / "r.xlsx", read_only=True)
    errors = list(wb["输入错误"].iter_rows(values_only=True))[1:]
    assert {(e[0], e[1], e[2]) for e in errors} == {("社工站", r + 1, BROKEN[r]) for r in BROKEN}


def test_verdicts_follow_the_policy(assessed) -> None:  # type: ignore[no-untyped-def]
    _, out = assessed
    lines = [json.loads(line) for line in (out / "r.jsonl").open(encoding="utf-8")]
    by_index = {r["row"]["index"] + 1: r["verdict"] for r in lines}
    # every 10th station has one professional social worker; Sichuan requires two or more (三)
    assert all(by_index[i] == "non_compliant" for i in range(10, 1001, 10))
    assert by_index[1] == "compliant" and by_index[999] == "compliant"
    # the broken cells are fields Sichuan's rules do not need: their stations are judged in full
    assert (by_index[17], by_index[402], by_index[950]) == ("compliant", "compliant", "non_compliant")
    counts = {v: list(by_index.values()).count(v) for v in set(by_index.values())}
    assert counts == {"compliant": 900, "non_compliant": 100}


def test_the_junit_output_counts_failures_and_errors(assessed) -> None:  # type: ignore[no-untyped-def]
    import xml.etree.ElementTree as ET

    _, out = assessed
    suite = ET.parse(out / "r.xml").getroot()
    # stations with one professional too few fail; the bad cells are notes, no unreadable rows
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("1000", "100", "0")


def test_the_summary_counts_by_district(assessed) -> None:  # type: ignore[no-untyped-def]
    _, out = assessed
    wb = openpyxl.load_workbook(out / "r.xlsx", read_only=True)
    rows = list(wb["汇总"].iter_rows(values_only=True))
    header = ("地区", "合规", "不合规", "数据不全", "未评估", "无法读取")
    areas = {r[0]: r[1:6] for r in rows[rows.index(header) + 1 :]}
    assert set(areas) == {"仁寿县", "丹棱县", "洪雅县"}
    assert sum(sum(v) for v in areas.values()) == 1000
    # from the generator: county by i % 3; every 10th station non-compliant; BROKEN unreadable
    expected = {county: [0, 0, 0, 0, 0] for county in areas}
    for i in range(1, 1001):
        column = 1 if i % 10 == 0 else 0
        expected[["仁寿县", "丹棱县", "洪雅县"][i % 3]][column] += 1
    assert {k: list(v) for k, v in areas.items()} == expected


@pytest.mark.slow
def test_two_processes_give_the_same_results_in_every_format(
    workbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # workers send a slimmed report plus the full report as JSON text (ResultRow.for_transfer),
    # so every writer is compared, not only JSONL; SOURCE_DATE_EPOCH fixes the generation time
    # and the duration the HTML and JUnit files give, so that the bytes can be compared
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    out = workbook.parent
    formats = ("jsonl", "csv", "xlsx", "html", "xml")
    results = []
    for name, jobs in (("one", "1"), ("two", "2")):
        outputs = [a for f in formats for a in ("-o", f"{name}.{f}")]
        args = ["assess", "-p", "sichuan", str(workbook), "--kind", "station", "--as-of", AS_OF]
        results.append(run(*args, *outputs, "--jobs", jobs, cwd=out))
    assert results[0].returncode == results[1].returncode == 1
    for f in ("jsonl", "csv", "html", "xml"):
        assert (out / f"one.{f}").read_bytes() == (out / f"two.{f}").read_bytes(), f
    books = [openpyxl.load_workbook(out / f"{n}.xlsx", read_only=True) for n in ("one", "two")]
    assert books[0].sheetnames == books[1].sheetnames
    for sheet in books[0].sheetnames:
        assert list(books[0][sheet].iter_rows(values_only=True)) == list(
            books[1][sheet].iter_rows(values_only=True)
        ), sheet
    lines = (out / "two.jsonl").read_text(encoding="utf-8").splitlines()
    passes = sum(
        f["outcome"] == "pass"
        for line in lines
        for f in (json.loads(line)["report"] or {}).get("findings", [])
    )
    assert passes > 0  # the full report, pass findings included, reached the JSONL from the workers


def test_an_unknown_header_stops_before_any_output_and_suggests(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.append(["编号", "服务面积(平方米)", "运营经费"])
    wb.active.append(["S1", 100, "30万"])
    wb.save(tmp_path / "in.xlsx")
    result = run("assess", "-p", "sichuan", "in.xlsx", "--kind", "station", "-o", "out.xlsx", cwd=tmp_path)
    assert result.returncode == 2
    assert "column 3 `运营经费` matches no field" in result.stderr
    assert "did you mean `年度运营经费(元)`?" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out.xlsx").exists()


def test_a_mapping_file_renames_and_ignores_columns(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.append(["站点代码", "站名", "备注", "层级"])
    wb.active.append(["S1", "甲站", "随便写", "村(居)社工室"])
    wb.save(tmp_path / "in.xlsx")
    (tmp_path / "map.yaml").write_text("站点代码: id\n站名: name\n备注: null\n", encoding="utf-8")
    result = run(
        "assess",
        "-p",
        "sichuan",
        "in.xlsx",
        "--kind",
        "station",
        "--mapping",
        "map.yaml",
        "-o",
        "out.jsonl",
        cwd=tmp_path,
    )
    [line] = [json.loads(x) for x in (tmp_path / "out.jsonl").open(encoding="utf-8")]
    assert line["report"]["subject"] == {"kind": "station", "id": "S1", "name": "甲站"}
    # a village room: sichuan's township-station rules do not apply, so nothing was checked
    assert line["verdict"] == "not_assessed"
    assert result.returncode == 3, result.stdout + result.stderr


def test_csv_in_gb18030_with_a_staff_table(tmp_path: Path) -> None:
    (tmp_path / "s.csv").write_text(
        "编号,名称,层级,社工机构,在民政部门登记\nS1,甲站,乡镇(街道)社工站,是,是\n", encoding="gb18030"
    )
    (tmp_path / "staff.csv").write_text(
        "所属编号,姓名,专业社工\nS1,张三,是\nS1,李四,否\n", encoding="utf-8-sig"
    )
    result = run(
        "assess",
        "-p",
        "sichuan",
        "s.csv",
        "--kind",
        "station",
        "--sheet",
        "staff=staff.csv",
        "-o",
        "out.jsonl",
        cwd=tmp_path,
    )
    [line] = [json.loads(x) for x in (tmp_path / "out.jsonl").open(encoding="utf-8")]
    outcome = {f["rule"]: f["outcome"] for f in line["report"]["findings"]}
    assert outcome["station.social_workers"] == "fail"  # one professional of two
    assert result.returncode == 1


def test_jsonl_input_keeps_bad_lines(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_text(
        '{"kind": "funding", "funds": {"social_assistance": "521万", "purchase_from_special": "15.63万"}}\n'
        "not json\n"
        '{"kind": "funding", "funds": {"social_assistance": "521万", "purchase_from_special": "16万"}}\n',
        encoding="utf-8",
    )
    result = run("assess", "-p", "sichuan", "in.jsonl", "-o", "out.csv", cwd=tmp_path)
    with (tmp_path / "out.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))[1:]
    assert [r[6] for r in rows] == ["合规", "无法读取", "不合规"]
    assert "第2行" in result.stdout and result.returncode == 1


def test_compare_shows_each_region_side_by_side(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_text(
        "kind: funding\nregion: {city: 三明市}\n"
        "funds: {social_assistance: 1000万, purchase_from_special: 25万, "
        "social_assistance_working: 10万, purchase_from_working: 0}\n",
        encoding="utf-8",
    )
    result = run(
        "compare",
        "-p",
        "sichuan",
        "-p",
        "hunan",
        "-p",
        "fujian",
        "f.yaml",
        "--as-of",
        "2022-12-31",
        "--format",
        "json",
        cwd=tmp_path,
    )
    data = json.loads(result.stdout)
    # hunan's 2% is a warning (a funding channel, not expressly a ceiling): it fails, compliant
    assert data["verdicts"] == {"sichuan": "compliant", "hunan": "compliant", "fujian": "non_compliant"}
    failed = {c["pack"]["id"]: [f["rule"] for f in c["failed"]] for c in data["packs"]}
    assert failed == {
        "sichuan": [],
        "hunan": ["funding.special_share"],
        "fujian": ["funding.designated_share"],
    }
    assert result.returncode == 1
    table = run("compare", "-p", "sichuan", "-p", "hunan", "f.yaml", "--as-of", "2022-12-31", cwd=tmp_path)
    assert "funding.special_share" in table.stdout and "合规" in table.stdout


def test_a_row_sent_back_by_a_worker_keeps_its_whole_report() -> None:
    import pickle
    from datetime import date

    from policyengine.batch.pipeline import evaluate_item
    from policyengine.batch.rows import InputRow, ResultRow, WorkItem
    from policyengine.evaluate.engine import Engine
    from policyengine.evaluate.report import Report

    engine = Engine.from_packs(["sichuan"])
    # 四川 三: a township station needs two professional social workers (one here: fail) and is
    # run by a registered social-work organisation (it is: pass)
    record = {
        "kind": "station",
        "id": "S1",
        "level": "乡镇(街道)社工站",
        "region": {"province": "四川省", "county": "仁寿县"},
        "staff": [{"name": "甲", "professional": True}],
        "operator": {"social_work_organization": True, "registered_with_civil_affairs": True},
    }
    item = WorkItem(InputRow(0, "社工站", 2, record), "station", date(2022, 10, 1))
    here = evaluate_item(engine, item)
    assert isinstance(here.report, Report)  # in this process: the engine's own report
    full = here.report_dict()
    assert full is not None
    sent = pickle.loads(pickle.dumps(evaluate_item(engine, item).for_transfer()))
    assert isinstance(sent, ResultRow)
    assert sent._report is None and sent._dict is None  # travelled as text, nothing decoded yet
    outcomes = {f["outcome"] for f in full["findings"]}
    assert "pass" in outcomes and "fail" in outcomes
    assert sent.notable is not None
    assert all(f["outcome"] not in ("pass", "not_applicable") for f in sent.notable["findings"])
    assert sent.notable["findings"] == [
        f for f in full["findings"] if f["outcome"] not in ("pass", "not_applicable")
    ]
    assert (sent.verdict, sent.subject, sent.errors, sent.line) == (
        here.verdict,
        here.subject,
        here.errors,
        2,
    )
    assert sent.report_text() == json.dumps(full, ensure_ascii=False)
    assert sent._report is None and sent._dict is None  # the writers' views decode nothing
    assert sent.report_dict() == full  # decoded on demand
    assert isinstance(sent.report, Report)  # the typed report, rebuilt on demand
    assert sent.report.to_dict() == here.report.to_dict() == full


def test_an_unreadable_row_has_no_report_and_writes_null() -> None:
    from policyengine.batch.rows import InputProblem, ResultRow
    from policyengine.outcomes import RowStatus

    problem = InputProblem("社工站", 5, None, "x", None)
    assert problem.to_dict() == {"sheet": "社工站", "row": 5, "field": None, "message": "x", "hint": None}
    row = ResultRow(3, "社工站", 5, None, [problem])
    assert row.for_transfer() is row
    assert (row.report, row.report_dict(), row.notable, row.report_text(), row.verdict, row.subject) == (
        None,
        None,
        None,
        None,
        RowStatus.INVALID,
        {},
    )


def test_a_second_table_that_does_not_exist_is_named_before_any_row(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_text("id,name\nS1,某镇社工站\n", encoding="utf-8")
    args = ("assess", "-p", "sichuan", "in.csv", "--kind", "station", "--sheet", "staff=missing.csv")
    result = run(*args, "-o", "r.jsonl", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "missing.csv: no such file" in result.stderr and "--sheet staff=FILE" in result.stderr
    assert not (tmp_path / "r.jsonl").exists()
