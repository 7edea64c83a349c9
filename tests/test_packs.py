"""Pack loading: positions, all problems at once, extends, dated parameters, content hash."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from policyengine import Engine, PackError, load_pack

RULE = """\
rules:
  - id: site.area
    title: 面积
    subject: station
    require: site.area_m2 >= 300
    cite: {clause: 七(一)3, quote: 服务面积不低于300平方米}
    message: 面积 {site.area_m2} 平方米
"""


def problems(directory: Path) -> list[tuple[int | None, int | None, str, str | None]]:
    with pytest.raises(PackError) as err:
        load_pack(directory)
    return [(p.location.line, p.location.column, p.message, p.hint) for p in err.value.problems]


def test_a_good_pack_loads(write_pack) -> None:
    pack = load_pack(write_pack(RULE))
    assert [r.id for r in pack.rules] == ["site.area"]
    assert pack.content_hash.startswith("sha256:")


def test_unknown_field_in_a_condition_names_file_line_column_and_suggests(write_pack) -> None:
    d = write_pack(RULE.replace("site.area_m2 >= 300", "site.area_m3 >= 300"))
    [(line, col, message, hint)] = problems(d)
    text = (d / "pack.yaml").read_text(encoding="utf-8").splitlines()
    assert text[line - 1][col - 1 : col - 1 + len("area_m3")] == "area_m3"
    assert "no field `area_m3`" in message
    assert hint == "did you mean `area_m2`?"


def test_three_mistakes_are_three_problems(write_pack) -> None:
    body = RULE.replace("site.area_m2 >= 300", "site.area_m3 >= 300")
    body = body.replace("subject: station", "subject: staton")
    body += """\
  - id: two
    title: 二
    subject: station
    require: len(staff) >= 2
    cite: {clause: 九(二), quote: 专职专业社工}
    mesage: 少于2人
"""
    found = problems(write_pack(body))
    assert len(found) == 3
    messages = " | ".join(m for _, _, m, _ in found)
    assert "unknown subject `staton`" in messages  # the area_m3 rule is not compiled: its subject is wrong
    assert "unknown field `mesage`" in messages
    assert "required field `message` is missing" in messages


def test_condition_errors_inside_block_scalars_point_at_the_right_line(write_pack) -> None:
    d = write_pack("""\
rules:
  - id: a
    title: a
    subject: station
    require: |
      len(staff) >= 2
      and site.area_m3 >= 300
    cite: {clause: "1", quote: q}
    message: m
""")
    [(line, col, _, hint)] = problems(d)
    lines = (d / "pack.yaml").read_text(encoding="utf-8").splitlines()
    assert lines[line - 1][col - 1 :].startswith("area_m3")
    assert hint == "did you mean `area_m2`?"


def test_message_placeholders_are_checked_against_the_model(write_pack) -> None:
    [(_, _, message, hint)] = problems(write_pack(RULE.replace("{site.area_m2}", "{site.aera_m2}")))
    assert "no field `aera_m2`" in message and hint == "did you mean `area_m2`?"


def test_duplicate_yaml_keys_are_refused(write_pack) -> None:
    [(line, _, message, _)] = problems(write_pack(RULE + "    message: again\n"))
    assert "duplicate key 'message'" in message and line == 15


def test_yaml_aliases_are_refused(write_pack) -> None:
    found = problems(write_pack("x: &a [1]\ny: *a\n"))
    assert "anchors" in found[0][2]


def test_python_tags_are_refused(write_pack) -> None:
    found = problems(write_pack('x: !!python/object/apply:os.system ["echo hi"]\n'))
    assert "not allowed" in found[0][2] or "could not determine" in found[0][2]


def test_rule_without_quote_and_cite_to_unknown_source(write_pack) -> None:
    body = RULE.replace(
        "cite: {clause: 七(一)3, quote: 服务面积不低于300平方米}",
        "cite: {source: dco, clause: 七(一)3}",
    )
    messages = [m for _, _, m, _ in problems(write_pack(body))]
    assert any("needs a `quote`" in m for m in messages)


def test_cite_to_unknown_source_suggests(write_pack) -> None:
    body = RULE.replace("cite: {clause: 七(一)3,", "cite: {source: dco, clause: 七(一)3,")
    [(_, _, message, hint)] = problems(write_pack(body))
    assert "`cite.source: dco`" in message and hint == "did you mean `doc`?"


PARAM_PACK = """\
parameters:
  min_area:
    title: 最低面积
    unit: m2
    values:
      2022-01-01: {value: 300, cite: {clause: 七(一)3}}
      2024-01-01: {value: 350, cite: {clause: 修订}}
rules:
  - id: site.area
    title: 面积
    subject: station
    require: site.area_m2 >= param.min_area
    cite: {clause: 七(一)3, quote: 服务面积不低于300平方米}
    message: 面积 {site.area_m2} 低于 {param.min_area}
"""


def test_parameters_are_looked_up_by_the_as_of_date(write_pack) -> None:
    engine = Engine([load_pack(write_pack(PARAM_PACK))])
    rec = {"kind": "station", "site": {"area_m2": 320}}
    assert engine.evaluate(rec, as_of=date(2023, 6, 1)).findings[0].outcome == "pass"
    late = engine.evaluate(rec, as_of=date(2024, 6, 1)).findings[0]
    assert late.outcome == "fail"
    assert late.message["zh"] == "面积 320 低于 350"
    early = engine.evaluate(rec, as_of=date(2021, 6, 1)).findings[0]
    assert early.outcome == "error" and "no value before 2022-01-01" in (early.error or "")


def test_extends_overrides_and_removes_by_id(write_pack) -> None:
    write_pack(
        PARAM_PACK
        + """\
  - id: staff.count
    title: 人数
    subject: station
    require: len(staff) >= 2
    cite: {clause: 九(二), quote: 人员}
    message: 少
""",
        pid="base",
    )
    child = write_pack(
        """\
extends: ../base
parameters:
  min_area:
    title: 本地最低面积
    values:
      2022-01-01: {value: 200, cite: {clause: 本地}}
remove:
  rules: [staff.count]
rules:
  - id: site.plaque
    title: 挂牌
    subject: station
    require: plaque_hung
    cite: {clause: 九(一), quote: 挂牌}
    message: 未挂牌
""",
        pid="child",
    )
    pack = load_pack(child)
    assert pack.chain == ["child", "base"]
    assert [r.id for r in pack.rules] == ["site.area", "site.plaque"]
    report = Engine([pack]).evaluate(
        {"kind": "station", "site": {"area_m2": 250}, "plaque_hung": True}, as_of=date(2023, 1, 1)
    )
    assert report.verdict == "compliant"  # 250 >= the child's 200


def test_extends_cycle_is_reported(write_pack) -> None:
    write_pack("extends: ../b\n" + RULE, pid="a")
    b = write_pack("extends: ../a\n" + RULE, pid="b")
    [(_, _, message, _)] = problems(b)
    assert "circle" in message


def test_removing_an_unknown_rule_suggests(write_pack) -> None:
    write_pack(RULE, pid="base")
    child = write_pack("extends: ../base\nremove: {rules: [site.aera]}\n", pid="child")
    [(_, _, _, hint)] = problems(child)
    assert hint == "did you mean `site.area`?"


def test_content_hash_is_stable_and_follows_content(write_pack, tmp_path: Path) -> None:
    a = load_pack(write_pack(RULE, name="one"))
    b = load_pack(write_pack("# a comment changes nothing\n" + RULE, name="two", head=True))
    c = load_pack(write_pack(RULE.replace(">= 300", ">= 301"), name="three"))
    assert a.content_hash == b.content_hash
    assert a.content_hash != c.content_hash


def test_shipped_packs_all_validate() -> None:
    from policyengine.plugins import get_registry

    registry = get_registry()
    assert "lanzhou_2022" in registry.ids()
    for pid in registry.ids():
        pack = registry.load(pid)
        assert pack.rules, pid
        for rule in pack.rules:
            assert rule.rule.cite.clause and rule.rule.cite.quote, rule.id
            assert rule.source is not None, rule.id
        for param in pack.parameters.values():
            assert all(v.cite.clause for v in param.values.values())


def test_a_comma_inside_a_flow_mapping_gets_a_quoting_hint(write_pack) -> None:
    body = RULE.replace("quote: 服务面积不低于300平方米}", "quote: 服务面积不低于300平方米,有相对宽敞的场地}")
    [(line, _, message, hint)] = problems(write_pack(body))
    assert "unknown field `有相对宽敞的场地`" in message
    assert hint is not None and "put text that contains a comma in quotes" in hint
    assert line == 13


def test_problems_inside_dated_parameter_values_point_at_the_value(write_pack) -> None:
    body = PARAM_PACK.replace("{value: 300, cite: {clause: 七(一)3}}", "{value: 300, cite: {clase: 七(一)3}}")
    found = {(line, hint) for line, _, _, hint in problems(write_pack(body))}
    assert found == {(13, "add it"), (13, "did you mean `clause`?")}  # `clause` missing, `clase` unknown
