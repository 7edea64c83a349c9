"""Quote verification: `policyengine validate --sources DIR` looks up every `cite.quote` in the
captured text of the source it cites."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from policyengine.cli import main
from policyengine.packs.quotes import SOURCES_ENV, fragments, normalise

ROOT = Path(__file__).resolve().parent.parent
SHARED_SOURCES = Path(__file__).resolve().parents[2] / "shared" / "sources"

#: A made-up source document (two captured files), with page furniture at the top.
TEXT_A = """\
首页 | 新闻 | 天气
2022年某市"三社联动"试点工作实施方案

七、申报条件
(一)试点社区条件
3.社区服务面积不低于300平方米，具备开展服务的场地。
(二)承接机构条件
3.每个试点社区须配备3名专业社会工作者，其中至少2名持证社工、1名中级社工。
九、保障措施
坚持按照“有场地、有人员、有服务”的标准，派驻专业性和事务性社工。
"""
TEXT_B = """\
每个社区试点经费为30万元，共计300万元。
经费使用情况于项目结束后予以公示。
"""

HEAD = """\
pack:
  id: {pid}
  version: 0.1.0
  title: 测试
sources:
  - id: plan
    title: 实施方案
    file: a.txt
  - id: budget
    title: 经费公示
    file: b.txt
"""


def rule(quote: str, source: str | None = None, rid: str = "site.area") -> str:
    src = f"source: {source}, " if source else ""
    return f"""\
  - id: {rid}
    title: 面积
    subject: station
    require: site.area_m2 >= 300
    cite: {{{src}clause: 七(一)3, quote: {quote}}}
    message: 面积不足
"""


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    d = tmp_path / "sources"
    d.mkdir()
    (d / "a.txt").write_text(TEXT_A, encoding="utf-8")
    (d / "b.txt").write_text(TEXT_B, encoding="utf-8")
    return d


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SOURCES_ENV, raising=False)


def write(tmp_path: Path, body: str, pid: str = "demo", head: str = HEAD) -> Path:
    d = tmp_path / pid
    d.mkdir()
    (d / "pack.yaml").write_text(head.format(pid=pid) + textwrap.dedent(body), encoding="utf-8")
    return d


def validate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["validate", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def position_of(d: Path, text: str) -> str:
    """``file:line:col`` of the first occurrence of ``text`` in the pack file."""
    for n, line in enumerate((d / "pack.yaml").read_text(encoding="utf-8").splitlines(), 1):
        if text in line:
            return f"{d.name}/pack.yaml:{n}:{line.index(text) + 1}"
    raise AssertionError(text)


def test_a_made_up_quote_fails_at_its_position_with_the_nearest_passage(tmp_path, sources, capsys) -> None:
    d = write(tmp_path, "rules:\n" + rule("社区服务面积不低于350平方米"))
    code, out, err = validate(capsys, str(d), "--sources", str(sources))
    assert code == 2
    assert f"{position_of(d, '社区服务面积不低于350平方米')} (rules[0].cite.quote)" in err
    assert "quote not found in source `plan` (a.txt)" in err
    assert "closest passage, a.txt:6" in err
    assert "(93% alike): “社区服务面积不低于300平方米”" in err
    assert "^" * 10 in err  # the caret runs under the quote
    assert "✗" in err and "✓" not in out


def test_a_real_quote_cited_to_the_wrong_source_fails(tmp_path, sources, capsys) -> None:
    # The words are in b.txt; `source: plan` (and, without `source:`, the file's first
    # source, also plan) points at a.txt.
    body = "rules:\n" + rule("每个社区试点经费为30万元", source="plan")
    body += rule("每个社区试点经费为30万元", rid="site.other")
    d = write(tmp_path, body)
    code, _, err = validate(capsys, str(d), "--sources", str(sources))
    assert code == 2
    assert err.count("quote not found in source `plan` (a.txt)") == 2
    assert "2 problem(s)" in err
    right = write(tmp_path, "rules:\n" + rule("每个社区试点经费为30万元", source="budget"), pid="right")
    assert validate(capsys, str(right), "--sources", str(sources))[0] == 0


def test_a_missing_source_file_fails_at_its_file_entry(tmp_path, sources, capsys) -> None:
    (sources / "b.txt").unlink()
    d = write(tmp_path, "rules:\n" + rule("每个社区试点经费为30万元", source="budget"))
    code, _, err = validate(capsys, str(d), "--sources", str(sources))
    assert code == 2
    assert f"{position_of(d, 'b.txt')} (sources[1].file)" in err
    assert "`b.txt` is not in the sources directory" in err
    assert "1 quote(s) cannot be checked" in err


def test_width_spacing_and_quote_marks_do_not_matter(tmp_path, sources, capsys) -> None:
    quotes = [
        "社区服务面积不低于３００平方米,具备开展服务的场地。",  # full-width digits, half-width comma
        '"每个试点社区须配备3名专业社会工作者, 其中至少2名持证社工、1名中级社工"',  # spaces
        "坚持按照'有场地,有人员,有服务'的标准",  # other quote marks, 、 as a comma
        "按照有场地、有人员、有服务的标准，派驻专业性和事务性社工",  # no quote marks at all
        "「有场地、有人员、有服务」",
        "每个试点社区须配备3名专业社会工作者……1名中级社工",  # an ellipsis leaves words out
        "(一)试点社区条件",  # ( ) for （ ）
    ]
    body = "rules:\n" + "".join(
        rule(f"'{q}'" if '"' in q else f'"{q}"', rid=f"r{i}") for i, q in enumerate(quotes)
    )
    d = write(tmp_path, body)
    code, out, err = validate(capsys, str(d), "--sources", str(sources))
    assert (code, err) == (0, "")
    assert f"{len(quotes)} quotes found in their sources" in out


def test_the_parts_around_an_ellipsis_must_be_in_order(tmp_path, sources, capsys) -> None:
    d = write(tmp_path, "rules:\n" + rule("1名中级社工……每个试点社区须配备3名专业社会工作者"))
    code, _, err = validate(capsys, str(d), "--sources", str(sources))
    assert code == 2
    part = "part 2 of the quote, “每个试点社区须配备3名专业社会工作者”"
    assert f"{part}, is in source `plan` (a.txt) only before part 1" in err


EVERY_KIND = """\
parameters:
  min_area:
    title: 面积
    values:
      2022-01-01: {value: 300, cite: {clause: 七(一)3, quote: 编造的参数引文}}
not_checked:
  - cite: {clause: 九, quote: 编造的未核对引文}
    reason: 无
monitors:
  - id: staff.filed
    title: 备案
    kind: followed_by
    trigger: {type: staff_left}
    response: {type: staff_filed}
    match: [staff]
    within: {days: 7}
    cite: {clause: 九, quote: 编造的监测引文}
    message: "{staff}"
scorecards:
  - id: card
    title: 评分
    subject: station
    total: 10
    weights_from: 评估机构自定
    dimensions:
      - id: d
        title: 维度
        indicators:
          - id: area
            title: 面积
            points: 10
            condition: site.area_m2 >= 300
            cite: {clause: 七, quote: 编造的指标引文}
    grades:
      - {min: 0, label: 合格}
rules:
"""


def test_every_kind_of_citation_is_checked_and_inherited_ones_where_written(
    tmp_path, sources, capsys
) -> None:
    base = write(tmp_path, EVERY_KIND + rule("编造的规则引文"), pid="base")
    child_head = "pack:\n  id: {pid}\n  version: 0.1.0\n  title: 子\n"
    child = write(tmp_path, "extends: ../base\n", pid="child", head=child_head)
    code, _, err = validate(capsys, str(child), "--sources", str(sources))
    assert code == 2
    for kind, path in [
        ("参数", "parameters.min_area.values.2022-01-01.cite.quote"),
        ("规则", "rules[0].cite.quote"),
        ("未核对", "not_checked[0].cite.quote"),
        ("监测", "monitors[0].cite.quote"),
        ("指标", "scorecards[0].dimensions[0].indicators[0].cite.quote"),
    ]:
        assert f"{position_of(base, f'编造的{kind}引文')} ({path})" in err
    assert "5 problem(s)" in err
    assert "child/pack.yaml" not in err
    assert "nothing in a.txt comes close" in err


def test_a_source_without_a_file_is_a_warning(tmp_path, sources, capsys) -> None:
    head = HEAD.replace("    file: a.txt\n", "")
    d = write(tmp_path, "rules:\n" + rule("任何文字"), head=head)
    code, out, err = validate(capsys, str(d), "--sources", str(sources))
    assert code == 0
    assert "warning:" in err and "source `plan` has no `file:`; its 1 quote(s) were not checked" in err
    assert "0 quotes found" in out


def test_the_environment_variable_names_the_sources(tmp_path, sources, capsys, monkeypatch) -> None:
    d = write(tmp_path, "rules:\n" + rule("社区服务面积不低于350平方米"))
    assert validate(capsys, str(d)) == (0, "✓ demo 0.1.0: 1 rules, 0 parameters, 0 test cases\n", "")
    monkeypatch.setenv(SOURCES_ENV, str(sources))
    code, _, err = validate(capsys, str(d))
    assert code == 2
    assert "quote not found in source `plan` (a.txt)" in err
    monkeypatch.setenv(SOURCES_ENV, str(tmp_path / "nowhere"))
    code, _, err = validate(capsys, str(d))
    assert code == 2
    assert f"${SOURCES_ENV} {tmp_path / 'nowhere'}: no such directory" in err


def test_every_shipped_pack_quotes_its_sources(capsys) -> None:
    if not SHARED_SOURCES.is_dir():
        pytest.skip(f"the policy sources are not beside the checkout ({SHARED_SOURCES})")
    packs = sorted(str(p) for p in (ROOT / "packs").iterdir() if (p / "pack.yaml").exists())
    code, out, err = validate(capsys, *packs, "--sources", str(SHARED_SOURCES))
    assert (code, err) == (0, "")
    assert out.count("✓") == len(packs)


def test_normalisation() -> None:
    assert normalise("（一）３％，“甲”  乙。\n丙、丁【戊】").text == "(一)3%,甲乙.丙,丁[戊]"
    assert [n for n, _ in fragments("甲乙……丙丁...戊")] == ["甲乙", "丙丁", "戊"]
    assert [w for _, w in fragments("甲、乙……丙")] == ["甲、乙", "丙"]
