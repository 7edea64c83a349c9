"""``policyengine pack coverage``: the clause table comes from the pack itself, so every rule,
monitor, batch check, indicator and not_checked entry appears under the clause it cites."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from policyengine import load_pack
from policyengine.packs.coverage import (
    README_BEGIN,
    README_END,
    coverage,
    embedded,
    render_markdown,
    summary,
)
from policyengine.packs.numbers import SectionNumbers, uncited_numbers
from policyengine.packs.quotes import SourceTexts

ROOT = Path(__file__).resolve().parent.parent
PACKS = sorted(p.name for p in (ROOT / "packs").iterdir() if (p / "pack.yaml").exists())


@pytest.mark.parametrize("pack_id", PACKS)
def test_every_item_and_every_not_checked_entry_is_under_its_clause(pack_id: str) -> None:
    pack = load_pack(ROOT / "packs" / pack_id)
    rows = coverage(pack)
    listed = {(kind, ident) for r in rows for kind, ident in r.items}
    assert {("rule", r.id) for r in pack.rules} <= listed
    assert {("monitor", m.id) for m in pack.monitors} <= listed
    assert {("correlation", c.id) for c in pack.correlations} <= listed
    assert sum(len(r.not_checked) for r in rows) == len(pack.not_checked)
    for r in pack.rules:  # under the very clause the rule cites
        assert any(("rule", r.id) in row.items and row.clause == r.citation.clause for row in rows)
    s = summary(rows)
    assert s["clauses"] == len(rows) == s["encoded"] + s["partly"] + s["not_checked"] + s["parameter"]


def test_a_clause_only_listed_as_not_checked_reads_so(write_pack) -> None:  # type: ignore[no-untyped-def]
    d = write_pack("""\
rules:
  - id: site.area
    title: 面积
    subject: station
    require: site.area_m2 >= 300
    cite: {clause: 一, quote: 面积}
    message: 面积不足
not_checked:
  - cite: {clause: 二, quote: 每周一报送}
    reason: {zh: 省厅内部的工作机制, en: The department's own reporting}
  - cite: {clause: 一, quote: 面积}
    reason: {zh: 面积的测量方法未规定, en: How to measure is not said}
""")
    rows = {r.clause: r for r in coverage(load_pack(d))}
    assert (rows["一"].status, rows["二"].status) == ("partly", "not_checked")
    assert rows["二"].not_checked == [
        {"zh": "省厅内部的工作机制", "en": "The department's own reporting", "capture_loss": False}
    ]


def test_the_cli_prints_the_table_and_json() -> None:
    md = subprocess.run(
        [sys.executable, "-m", "policyengine.cli", "pack", "coverage", "haining"],
        capture_output=True,
        text=True,
    )
    assert md.returncode == 0 and "| 来源 | 条款 | 状态 | 编码为 | 未检查的原因 |" in md.stdout
    assert (
        "监测 `staff.notice_given`" in md.stdout and "批量核查 `staffing.no_double_assignment`" in md.stdout
    )
    js = subprocess.run(
        [sys.executable, "-m", "policyengine.cli", "pack", "coverage", "haining", "--format", "json"],
        capture_output=True,
        text=True,
    )
    data = json.loads(js.stdout)
    assert data["pack"] == "haining" and data["summary"]["clauses"] == len(data["clauses"])


# --- sections and the figures no quote covers -------------------------------------------

SHARED_SOURCES = ROOT.parent / "shared" / "sources"

SOURCE_TEXT = """\
页头菜单
甲省
按照“有场地、有人员”的标准,每站配备2名以上社工。
经费按3%比例列支,省级安排资金万元。
共建成社工站28个,覆盖率65.1%。
联系电话:028-35038743
乙省
每站6名社工。
"""

NUMBERS_PACK = """\
pack:
  id: numdemo
  version: 0.1.0
  title: 测试
sources:
  - id: s
    title: 发言
    file: s.txt
    section: {{from: 甲省, to: 乙省}}
rules:
  - id: station.staff
    title: 社工人数
    subject: station
    require: count(staff, s -> s.professional) >= 2
    cite: {{clause: 一, quote: 每站配备2名以上社工}}
    message: 社工不足
not_checked:
{not_checked}
"""


def numbers_pack(tmp_path: Path, not_checked: str) -> tuple[Path, Path]:
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "s.txt").write_text(SOURCE_TEXT, encoding="utf-8")
    d = tmp_path / "numdemo"
    d.mkdir()
    (d / "pack.yaml").write_text(NUMBERS_PACK.format(not_checked=not_checked), encoding="utf-8")
    (d / "README.md").write_text(f"# numdemo\n\n{README_BEGIN}\n{README_END}\n\n尾注\n", encoding="utf-8")
    return d, sources


def figures(d: Path, sources: Path) -> list[SectionNumbers]:
    from policyengine.plugins import get_registry

    return uncited_numbers(d, get_registry().resolver(), SourceTexts(sources))


def test_figures_in_the_section_that_no_quote_covers_are_listed_with_their_line(tmp_path: Path) -> None:
    d, sources = numbers_pack(
        tmp_path, "  - cite: {clause: 二, quote: 经费按3%比例列支}\n    reason: 比例的含义不明"
    )
    [row] = figures(d, sources)
    assert row.lines == (2, 6) and row.figures == 6  # 2, 3%, 28, 65.1%, 028, 35038743; not 乙省's 6
    uncited = [(u.line, u.number) for u in row.uncited]
    assert uncited == [(5, "28"), (5, "65.1%"), (6, "028"), (6, "35038743")]
    assert "共建成社工站28个" in row.uncited[0].context


def test_a_quote_covers_its_figures_and_lost_ones_are_marked(tmp_path: Path) -> None:
    d, sources = numbers_pack(
        tmp_path,
        "  - cite: {clause: 二, quote: 经费按3%比例列支}\n    reason: 比例的含义不明\n"
        "  - cite: {clause: 二, quote: 省级安排资金万元}\n    reason: 金额在采集时丢失\n"
        "    capture_loss: true\n"
        '  - cite: {clause: 三, quote: "共建成社工站28个,覆盖率65.1%"}\n    reason: 全省汇总数字\n'
        '  - cite: {clause: 四, quote: "联系电话:028-35038743"}\n    reason: 联系方式',  # ends its line
    )
    [row] = figures(d, sources)
    assert row.uncited == [] and row.figures == 6 and row.lost == 1
    pack = load_pack(d)
    text = render_markdown(pack, coverage(pack), [row])
    assert "〔采集缺失〕金额在采集时丢失" in text
    assert "6 个数字,全部见于引文" in text and "另有 1 段原文中的数字在网页采集时丢失" in text


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ("{from: 丙省, to: 乙省}", "no line reads “丙省”"),
        ("{from: 乙省, to: 甲省}", "no line after “乙省” reads “甲省”"),
        ('{lines: "3-40"}', "not within the file's 8 lines"),
    ],
    ids=["no-from-line", "to-before-from", "lines-past-the-end"],
)
def test_a_section_not_in_the_file_is_named_not_passed(tmp_path: Path, section: str, problem: str) -> None:
    d, sources = numbers_pack(tmp_path, "  []")
    body = (d / "pack.yaml").read_text(encoding="utf-8").replace("{from: 甲省, to: 乙省}", section)
    (d / "pack.yaml").write_text(body.replace("not_checked:\n  []\n", ""), encoding="utf-8")
    [row] = figures(d, sources)
    assert row.problem is not None and problem in row.problem and row.lines is None


def test_the_cli_writes_the_readme_between_its_markers_and_exits_1_on_uncited_figures(tmp_path: Path) -> None:
    d, sources = numbers_pack(tmp_path, "  - cite: {clause: 二, quote: 经费按3%比例列支}\n    reason: 不明")
    run = [sys.executable, "-m", "policyengine.cli", "pack", "coverage", str(d), "--sources", str(sources)]
    out = subprocess.run(run, capture_output=True, text=True)
    assert out.returncode == 1 and "第5行 **28**" in out.stdout and "第6行 **35038743**" in out.stdout
    wrote = subprocess.run([*run, "--readme"], capture_output=True, text=True)
    assert wrote.returncode == 0, wrote.stderr
    readme = (d / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# numdemo\n") and readme.endswith(f"{README_END}\n\n尾注\n")
    assert embedded(readme) == out.stdout.rstrip("\n")
    (d / "README.md").write_text("# no markers\n", encoding="utf-8")
    refused = subprocess.run([*run, "--readme"], capture_output=True, text=True)
    assert refused.returncode == 2 and "文件中缺少表格标记" in refused.stderr


def shipped_numbers(pack_id: str) -> list[SectionNumbers]:
    from policyengine.plugins import get_registry

    assert SHARED_SOURCES.is_dir(), "the policy sources belong beside the checkout: ../shared/sources"
    return uncited_numbers(ROOT / "packs" / pack_id, get_registry().resolver(), SourceTexts(SHARED_SOURCES))


@pytest.mark.parametrize("pack_id", PACKS)
def test_each_shipped_pack_readme_embeds_its_coverage_as_printed(pack_id: str) -> None:
    pack = load_pack(ROOT / "packs" / pack_id)
    readme = (ROOT / "packs" / pack_id / "README.md").read_text(encoding="utf-8")
    table = embedded(readme)
    assert table is not None, f"{pack_id}/README.md has no pack-coverage markers"
    expected = render_markdown(pack, coverage(pack), shipped_numbers(pack_id)).rstrip("\n")
    fix = f"policyengine pack coverage {pack_id} --sources ../shared/sources --readme"
    assert table == expected, f"run: {fix}"


@pytest.mark.parametrize("pack_id", PACKS)
def test_each_shipped_pack_names_its_section_and_cites_every_figure_in_it(pack_id: str) -> None:
    for row in shipped_numbers(pack_id):
        assert row.problem is None, f"{pack_id} {row.source}: {row.problem}"
        uncited = [(u.line, u.number) for u in row.uncited]
        assert uncited == [], f"{pack_id} {row.source}: uncited figures (line, figure) {uncited}"


def test_a_from_line_that_occurs_twice_is_named_not_guessed(tmp_path: Path) -> None:
    d, sources = numbers_pack(tmp_path, "  []")
    (sources / "s.txt").write_text("目录\n甲省\n乙省\n" + SOURCE_TEXT, encoding="utf-8")  # a TOC first
    body = (d / "pack.yaml").read_text(encoding="utf-8")
    (d / "pack.yaml").write_text(body.replace("not_checked:\n  []\n", ""), encoding="utf-8")
    [row] = figures(d, sources)
    assert row.lines is None and row.problem is not None
    assert "2 lines read “甲省” (lines 2、5)" in row.problem


def test_only_a_new_line_ends_a_line(tmp_path: Path) -> None:
    d, sources = numbers_pack(tmp_path, "  []")
    text = SOURCE_TEXT.replace(
        "每站配备2名以上社工。", "每站配备2名\u2028以上社工。"
    )  # a line separator inside
    (sources / "s.txt").write_text(text, encoding="utf-8")
    body = (d / "pack.yaml").read_text(encoding="utf-8")
    (d / "pack.yaml").write_text(body.replace("not_checked:\n  []\n", ""), encoding="utf-8")
    [row] = figures(d, sources)
    assert row.lines == (2, 6) and [(u.line, u.number) for u in row.uncited][-1] == (6, "35038743")
