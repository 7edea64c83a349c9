"""Reports a bureau can sign: the batch and per-station reports as PDF (headless Chromium) and
DOCX, the styled XLSX, JUnit valid against the Ant schema with ``--fail-on``, GB18030 CSV.

One made-up ledger of nine rows runs through ``policyengine assess``: four compliant
stations, one non-compliant (one professional social worker; two required), one incomplete
(no staff, no operator), one failing only a warning rule (three of five service areas), one
whose 服务面积 cell cannot be read (read as missing: the station is still judged), and one
line that is not JSON at all (无法读取).
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import os
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

openpyxl = pytest.importorskip("openpyxl")
docx = pytest.importorskip("docx")

ROOT = Path(__file__).resolve().parent.parent
XSD = ROOT / "tests" / "fixtures" / "junit-ant.xsd"
AS_OF = "2022-10-01"
ISSUER, ASSESSOR = "某某县民政局", "某某社会工作评估中心"
AREAS = ["收集群众需求", "链接社会资源", "提供救助服务", "开展老幼关爱", "加强社区治理"]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"), reason="chromium is not installed here (CI installs it)"
)


def station(
    i: int, pros: int = 2, areas: list[str] = AREAS, staffed: bool = True, **more: Any
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "kind": "station",
        "id": f"SC{i:04d}",
        "name": f"示例{i}镇社工站",
        "level": "township_station",
        "region": {"province": "四川省", "city": "眉山市", "county": ["仁寿县", "丹棱县"][i % 2]},
        "services": [{"domain": a, "name": a} for a in areas],
    }
    if staffed:
        record["staff"] = [
            {"name": f"社工{i}-{k}", "professional": True, "full_time": True} for k in range(pros)
        ]
        record["operator"] = {
            "name": "示例社会工作服务中心",
            "social_work_organization": True,
            "registered_with_civil_affairs": True,
        }
    return record | more


def write_ledger(path: Path) -> Path:
    rows = [station(1), station(2), station(3), station(4, pros=1), station(5, staffed=False)]
    rows += [station(6, areas=AREAS[:3]), station(7), station(8, site={"area_m2": "很大"})]
    lines = [json.dumps(r, ensure_ascii=False) for r in rows] + ['{"kind": "station", "id": ']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def assess(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "policyengine.cli",
            "assess",
            "-p",
            "sichuan",
            "stations.jsonl",
            "--as-of",
            AS_OF,
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The outputs that need no browser: XLSX, JUnit, CSV (GB18030 and UTF-8), DOCX, JSONL."""
    d = tmp_path_factory.mktemp("plain")
    write_ledger(d / "stations.jsonl")
    outs = ["-o", "r.xlsx", "-o", "r.xml", "-o", "r.docx", "-o", "r.jsonl", "-o", "r.csv"]
    result = assess(*outs, "--issuer", ISSUER, "--assessor", ASSESSOR, "--encoding", "gb18030", cwd=d)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return d


def reports(d: Path) -> dict[str, dict[str, Any]]:
    """Each row's JSONL line by its id (the unreadable line under its row number)."""
    out = {}
    for line in (d / "r.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        key = (row["report"] or {}).get("subject", {}).get("id") or f"line {row['row']['line']}"
        out[key] = row
    return out


def raw_names() -> set[str]:
    """What a signed report must never show: every LabelledChoice code, every field name of
    every subject model, and the outcome, verdict and severity codes."""
    import policyengine.models as models
    from policyengine.models.base import LabelledChoice
    from policyengine.models.introspect import field_type_info
    from policyengine.outcomes import ROW_STATUSES, Outcome, Severity
    from policyengine.plugins import default_subjects

    for m in pkgutil.iter_modules(models.__path__):
        importlib.import_module(f"policyengine.models.{m.name}")

    def subclasses(cls: type) -> list[type]:
        return [s for c in cls.__subclasses__() for s in (c, *subclasses(c))]

    names = {str(member.value) for cls in subclasses(LabelledChoice) for member in cls}  # type: ignore[attr-defined]
    names |= {s.value for s in ROW_STATUSES} | {o.value for o in Outcome} | {s.value for s in Severity}

    def walk(model: Any, depth: int = 0) -> None:
        for name, fi in model.model_fields.items():
            names.add(name)
            info = field_type_info(fi.annotation)
            info = info.item if info.kind == "list" and info.item is not None else info
            if info.kind == "model" and info.model is not None and depth < 6:
                walk(info.model, depth + 1)

    for subject in default_subjects().values():
        names.add(subject.kind_name)
        walk(subject)
    return names


def raw_in(text: str) -> set[str]:
    """The raw codes and field names among the words of ``text``."""
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text)) & raw_names()


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def docx_text(path: Path) -> tuple[str, list[list[list[str]]]]:
    """A DOCX's paragraphs and its tables (rows of cell texts), as python-docx reads them."""
    document = docx.Document(str(path))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    return paragraphs, tables


# ---------------------------------------------------------------- JUnit


def test_the_junit_file_is_valid_against_the_ant_schema(plain: Path) -> None:
    etree = pytest.importorskip("lxml.etree")
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    document = etree.parse(str(plain / "r.xml"))
    assert schema.validate(document), schema.error_log
    suite = document.getroot()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", suite.get("timestamp"))  # not the as-of date
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["policyengine.as_of"] == AS_OF and props["policyengine.issuer"] == ISSUER
    assert props["policyengine.pack.sichuan"].split()[1].startswith("sha256:")


def test_an_incomplete_row_fails_the_gate_by_default(plain: Path) -> None:
    import xml.etree.ElementTree as ET

    suite = ET.parse(plain / "r.xml").getroot()
    cases = {tc.get("name"): tc for tc in suite.iter("testcase")}
    assert cases["SC0005"].find("failure").get("type") == "incomplete"  # never skipped-green
    assert cases["SC0004"].find("failure").get("type") == "non_compliant"
    assert "社工站专业社工 1 人" in cases["SC0004"].find("failure").text
    assert [c.tag for c in cases["SC0006"]] == []  # a warning alone passes by default
    assert [c.tag for c in cases["SC0007"]] == []
    assert suite.find("testcase/error").get("type") == "invalid"
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("2", "1", "0")


@pytest.mark.slow
def test_fail_on_decides_what_fails(plain: Path) -> None:
    import xml.etree.ElementTree as ET

    lenient = assess("-o", "lenient.xml", "--fail-on", "non-compliant", cwd=plain)
    strict = assess("-o", "strict.xml", "--fail-on", "warning", cwd=plain)
    assert lenient.returncode == strict.returncode == 1  # a row is non-compliant either way
    cases = {tc.get("name"): tc for tc in ET.parse(plain / "lenient.xml").getroot().iter("testcase")}
    assert cases["SC0005"].find("skipped").get("message").startswith("数据不全")  # said, not passed
    cases = {tc.get("name"): tc for tc in ET.parse(plain / "strict.xml").getroot().iter("testcase")}
    assert cases["SC0006"].find("failure").get("type") == "warning"
    assert "服务覆盖五个方面" in cases["SC0006"].find("failure").text


def test_fail_on_sets_the_exit_code(tmp_path: Path) -> None:
    from policyengine.cli import main

    (tmp_path / "warned.jsonl").write_text(json.dumps(station(1, areas=AREAS[:3]), ensure_ascii=False) + "\n")
    (tmp_path / "unsure.jsonl").write_text(json.dumps(station(2, staffed=False), ensure_ascii=False) + "\n")
    common = ["assess", "-p", "sichuan", "--as-of", AS_OF, "--no-progress"]
    out = str(tmp_path / "r.xml")
    assert main([*common, str(tmp_path / "warned.jsonl"), "-o", out]) == 0
    assert main([*common, str(tmp_path / "warned.jsonl"), "-o", out, "--fail-on", "warning"]) == 1
    assert main([*common, str(tmp_path / "unsure.jsonl"), "-o", out]) == 1
    # incomplete but not failing the gate: 3, as for a record nothing could be checked on
    assert main([*common, str(tmp_path / "unsure.jsonl"), "-o", out, "--fail-on", "non-compliant"]) == 3


# ---------------------------------------------------------------- XLSX and CSV


def test_the_xlsx_has_frozen_filtered_styled_sheets_in_chinese(plain: Path) -> None:
    wb = openpyxl.load_workbook(plain / "r.xlsx")
    for name in ("结果", "问题明细", "输入错误"):
        ws = wb[name]
        assert ws.freeze_panes == "A2", name
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), name
        assert ws["A1"].font.b and ws["A1"].fill.fgColor.rgb.endswith("DCE3EA"), name
        widths = [d.width for d in ws.column_dimensions.values() if d.customWidth]
        assert widths and max(widths) >= 40, name  # set: long texts get wide columns
    results = wb["结果"]
    assert results.auto_filter.ref == "A1:O10"  # nine rows
    assert results.column_dimensions["H"].hidden  # 得分, 等级: no scorecard here
    rules = [r for cf in results.conditional_formatting for r in cf.rules]
    assert {'"不合规"', '"数据不全"'} <= {f for r in rules for f in r.formula}
    details = list(wb["问题明细"].iter_rows(values_only=True))
    header = details[0]
    severity, outcome = header.index("严重程度"), header.index("结果")
    assert {r[severity] for r in details[1:]} == {"不合规", "警告"}
    assert {r[outcome] for r in details[1:]} == {"不符合", "数据不足"}
    assert {r[header.index("政策包")] for r in details[1:]} == {"四川省社会工作服务体系建设"}
    cells = [c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    assert not {"error", "warning", "non_compliant", "incomplete", "site.area_m2"} & set(cells)
    summary = [r[:2] for r in wb["汇总"].iter_rows(values_only=True)]
    assert ("出具单位", ISSUER) in summary and ("评估单位", ASSESSOR) in summary


def test_the_gb18030_csv_decodes(plain: Path) -> None:
    data = (plain / "r.csv").read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")  # no UTF-8 BOM
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    rows = list(csv.reader(io.StringIO(data.decode("gb18030"), newline="")))
    assert rows[0][:7] == ["序号", "工作表", "行号", "编号", "名称", "地区", "结论"]
    assert [r[6] for r in rows[1:]] == ["合规"] * 3 + [
        "不合规",
        "数据不全",
        "合规",
        "合规",
        "合规",
        "无法读取",
    ]


def test_the_default_csv_stays_utf8_with_bom(plain: Path) -> None:
    from policyengine.cli import main

    assert (
        main(
            [
                "assess",
                "-p",
                "sichuan",
                str(plain / "stations.jsonl"),
                "--as-of",
                AS_OF,
                "-o",
                str(plain / "u.csv"),
            ]
        )
        == 1
    )
    assert (plain / "u.csv").read_bytes().startswith(b"\xef\xbb\xbf")


# ---------------------------------------------------------------- DOCX (no browser)


def test_the_batch_docx_opens_and_says_who_and_when(plain: Path) -> None:
    paragraphs, tables = docx_text(plain / "r.docx")
    document = docx.Document(str(plain / "r.docx"))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4
    footer = section.footer.paragraphs[0]._p.xml
    assert 'w:instr="PAGE"' in footer and 'w:instr="NUMPAGES"' in footer  # 第 N 页 共 M 页
    assert ISSUER in section.header.paragraphs[0].text
    cells = [c for t in tables for row in t for c in row]
    assert {"出具单位", ISSUER, "评估单位", ASSESSOR, "评估基准日", AS_OF, "生成时间"} <= set(cells)
    assert any("评估单位(盖章)" in c for c in cells) and any("负责人签字" in c for c in cells)
    assert "四川省社会工作服务体系建设" in cells  # the pack, with version and hash
    headers = [t[0] for t in tables]
    # no 得分; failed warnings apart from the failures that decide the verdict
    assert ["序号", "台账位置", "编号", "名称", "地区", "结论", "不符合", "警告", "数据不足"] in headers
    assert ["规则", "结果", "严重程度", "说明", "依据"] in headers
    assert "场地/服务面积(平方米)" in cells  # the unreadable cell's field by its title
    assert not raw_in(paragraphs + "\n".join(cells))


def test_scores_and_grades_appear_only_where_a_scorecard_exists(tmp_path: Path) -> None:
    from policyengine.cli import main

    record = ROOT / "packs/hunan_assessment/examples/project.yaml"
    import yaml

    (tmp_path / "p.jsonl").write_text(
        json.dumps(yaml.safe_load(record.read_text(encoding="utf-8")), default=str) + "\n"
    )
    out = tmp_path / "p.docx"
    main(
        [
            "assess",
            "-p",
            "hunan_assessment",
            str(tmp_path / "p.jsonl"),
            "--as-of",
            "2023-06-30",
            "-o",
            str(out),
        ]
    )
    _, tables = docx_text(out)
    headers = [t[0] for t in tables]
    assert any("得分" in h and "等级" in h for h in headers)
    assert ["评分表", "评分记录(条)", "平均分", "等级分布"] in headers
    assert any("项目年度绩效评估" in c for t in tables for row in t for c in row)


# ---------------------------------------------------------------- PDF (headless Chromium)


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The batch PDF and one PDF and one DOCX per row (``--station-reports``)."""
    d = tmp_path_factory.mktemp("printed")
    write_ledger(d / "stations.jsonl")
    args = ["-o", "r.pdf", "--station-reports", "st", "--station-format", "pdf", "--station-format", "docx"]
    result = assess(*args, "--issuer", ISSUER, "--assessor", ASSESSOR, "-o", "r.jsonl", cwd=d)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "已写入 st/:每条记录一份报告,DOCX 9 份、PDF 9 份" in result.stdout
    return d


def pdf_pages(path: Path) -> list[Any]:
    pypdf = pytest.importorskip("pypdf")
    return list(pypdf.PdfReader(str(path)).pages)


@pytest.mark.slow
@needs_chromium
def test_each_station_gets_a_report_named_after_it(printed: Path) -> None:
    names = sorted(p.name for p in (printed / "st").iterdir())
    assert names[:2] == [".policyengine-reports", "0001_SC0001_示例1镇社工站.docx"]
    assert "0009.pdf" in names  # the unreadable line: its report says so
    assert (
        len([n for n in names if n.endswith(".pdf")]) == len([n for n in names if n.endswith(".docx")]) == 9
    )


@pytest.mark.slow
@needs_chromium
@pytest.mark.parametrize(
    "name", ["0004_SC0004_示例4镇社工站.pdf", "0008_SC0008_示例8镇社工站.pdf", "../r.pdf"]
)
def test_the_pdf_is_a4_numbered_issued_and_free_of_codes(printed: Path, name: str, tmp_path: Path) -> None:
    path = printed / "st" / name
    pages = pdf_pages(path)
    for number, page in enumerate(pages, start=1):
        assert abs(float(page.mediabox.width) - 595) <= 1 and abs(float(page.mediabox.height) - 842) <= 1
        text = squeeze(page.extract_text())
        assert f"第{number}页共{len(pages)}页" in text, text[-200:]
        assert ISSUER in text  # the running head of every page
    text = "\n".join(p.extract_text() for p in pages)
    for words in (ISSUER, ASSESSOR, "评估单位(盖章)", "负责人签字", AS_OF, "生成时间"):
        assert words in text, words
    assert "得分" not in text and "等级" not in text  # no scorecard in this pack
    assert not raw_in(text), raw_in(text)
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(path), str(tmp_path / "page")], check=True, timeout=120
    )
    shots = sorted(tmp_path.glob("page*.png"))
    assert len(shots) == len(pages)
    for shot in shots:  # A4 at 60 dpi: 496 × 702 pixels, with something drawn on it
        data = shot.read_bytes()
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert (abs(width - 496), abs(height - 702)) <= (1, 1) and len(data) > 8000


@pytest.mark.slow
@needs_chromium
def test_the_station_docx_holds_the_pdf_findings(printed: Path) -> None:
    rows = reports(printed)
    for stem in ("0004_SC0004_示例4镇社工站", "0005_SC0005_示例5镇社工站", "0006_SC0006_示例6镇社工站"):
        pdf = squeeze("".join(p.extract_text() for p in pdf_pages(printed / "st" / f"{stem}.pdf")))
        _, tables = docx_text(printed / "st" / f"{stem}.docx")
        [findings] = [t for t in tables if t[0] == ["规则", "结果", "严重程度", "说明", "依据"]][-1:]
        report = rows[stem.split("_")[1]]["report"]
        applied = [f for f in report["findings"] if f["outcome"] != "not_applicable"]
        assert len(findings) - 1 == len(applied)
        for (title, outcome, severity, message, basis), f in zip(findings[1:], applied, strict=True):
            assert title == f["title"]["zh"]
            for cell in (title, outcome, severity, message, basis):
                assert squeeze(cell) in pdf, cell
    unsure = [t for t in docx_text(printed / "st" / "0005_SC0005_示例5镇社工站.docx")[1] if t[0][0] == "规则"]
    assert "无法判断:缺少 工作人员" in {row[3] for row in unsure[0]}  # fields by their titles


@pytest.mark.slow
@needs_chromium
def test_a_directory_with_other_files_is_not_replaced(printed: Path) -> None:
    (printed / "mine").mkdir()
    (printed / "mine" / "notes.txt").write_text("keep", encoding="utf-8")
    result = assess("-o", "x.jsonl", "--station-reports", "mine", "--station-format", "docx", cwd=printed)
    assert result.returncode == 2 and "holds other files" in result.stderr
    assert (printed / "mine" / "notes.txt").read_text(encoding="utf-8") == "keep"
    assert not (printed / "x.jsonl").exists()
    # a directory an earlier run wrote is replaced whole
    again = assess("-o", "x.jsonl", "--station-reports", "st", "--station-format", "docx", cwd=printed)
    assert again.returncode == 1, again.stderr
    assert not list((printed / "st").glob("*.pdf")) and len(list((printed / "st").glob("*.docx"))) == 9


# ---------------------------------------------------------------- failure modes


def test_without_chromium_a_pdf_is_refused_before_any_row(tmp_path: Path) -> None:
    write_ledger(tmp_path / "stations.jsonl")
    env = {**os.environ, "POLICYENGINE_CHROMIUM": str(tmp_path / "no-such-browser")}
    command = [sys.executable, "-m", "policyengine.cli", "assess", "-p", "sichuan", "stations.jsonl"]
    result = subprocess.run(
        [*command, "-o", "r.jsonl", "-o", "r.pdf"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**env, "PATH": "/nonexistent"},
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "需要 Chromium" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stations.jsonl"]  # nothing half-written


def test_the_running_head_cannot_break_out_of_its_css_string() -> None:
    from policyengine.batch.writers.html import css_string

    hostile = '某某"; } body { display: none } </style><script>x</script> \\ \n'
    text = css_string(hostile)
    inner = text[1:-1]
    assert text[0] == text[-1] == '"' and not set('"<>{};\n') & set(inner)  # all escaped
    assert inner.startswith("某某\\000022")  # Chinese as it is, the quote as its escape


@pytest.mark.slow
@needs_chromium
def test_hostile_text_is_printed_as_text(tmp_path: Path) -> None:
    name = "<script>alert(1)</script> =1+1 \x1b[2J"
    record = station(1) | {"name": name}
    (tmp_path / "stations.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    issuer = '某某县"; } body { display: none } </style><b>民政局'
    result = assess("-o", "r.jsonl", "--issuer", issuer, "--station-reports", "st", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    [pdf] = (tmp_path / "st").glob("*.pdf")
    assert pdf.name == "0001_SC0001_script_alert(1)_script_1_1_2J.pdf"  # no path or markup in a name
    text = "\n".join(p.extract_text() for p in pdf_pages(pdf))
    assert "<script>alert(1)</script> =1+1" in text  # shown, not run
    assert squeeze(issuer) in squeeze(text)  # in the running head and the title block, as written
    assert "\x1b" not in text


def test_a_station_format_without_a_directory_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from policyengine.cli import main

    ledger = write_ledger(tmp_path / "stations.jsonl")
    args = ["assess", "-p", "sichuan", str(ledger), "-o", str(tmp_path / "r.csv"), "--station-format", "docx"]
    assert main(args) == 2
    assert "--station-format needs --station-reports" in capsys.readouterr().err
    assert not (tmp_path / "r.csv").exists()


def test_a_failed_warning_is_counted_apart_from_the_failures_that_decide_the_verdict() -> None:
    from policyengine.batch.writers.views import FindingView, RowView

    def finding(outcome: str, severity: str) -> FindingView:
        return FindingView("r", "规则", outcome, severity, "说明", "依据", None, "sichuan")

    view = RowView(1, "第2行", "S1", "示例社工站", "丹棱县", "station", "compliant", 3)
    view.findings = [finding("fail", "warning"), finding("fail", "info"), finding("pass", "error")]
    assert (view.failed(), view.warned()) == (0, 2)  # 合规, 不符合 0, 警告 2
    view.findings.append(finding("fail", "error"))
    assert (view.failed(), view.warned()) == (1, 2)
