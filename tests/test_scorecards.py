"""Scorecards: refused at load when the arithmetic is wrong; scores reproducible from the parts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from policyengine import Engine, PackError, load_pack

CARD = """\
rules:
  - id: site.area
    title: 面积
    subject: station
    require: site.area_m2 >= 300
    cite: {clause: "1", quote: 不低于300平方米}
    message: 面积不足
scorecards:
  - id: card
    title: 评分
    subject: station
    total: 100
    weights_from: 评估机构自定
    dimensions:
      - id: d
        title: 维度
        indicators:
          - id: area
            title: 面积
            points: 40
            rule: site.area
            cite: {clause: "1", quote: q}
          - id: staff
            title: 人数
            points: 60
            value: len(staff)
            bands:
              - {min: 0, max: 2, points: 0}
              - {min: 2, max: 4, points: 30}
              - {min: 4, points: 60}
            cite: {clause: "2", quote: q}
    grades:
      - {min: 90, label: 优秀}
      - {min: 60, max: 90, label: 合格}
      - {min: 0, max: 60, label: 不合格}
"""


def problems(d: Path) -> list[tuple[int | None, str]]:
    with pytest.raises(PackError) as err:
        load_pack(d)
    return [(p.location.line, p.message) for p in err.value.problems]


def line_of(d: Path, text: str) -> int:
    """1-based line of the first line containing ``text`` in the pack file."""
    lines = (d / "pack.yaml").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def test_a_good_scorecard_scores_and_grades(write_pack) -> None:
    engine = Engine([load_pack(write_pack(CARD))])
    report = engine.evaluate(
        {"kind": "station", "site": {"area_m2": 320}, "staff": [{}] * 3}, as_of=date(2023, 1, 1)
    )
    [score] = report.scores
    assert (score.score, score.grade["zh"], score.complete) == (Decimal(70), "合格", True)


def test_weights_that_do_not_sum_to_the_total_are_refused_with_position(write_pack) -> None:
    d = write_pack(CARD.replace("points: 60\n            value", "points: 50\n            value"))
    assert (line_of(d, "total: 100"), "indicator points add up to 90, not the stated total 100") in problems(
        d
    )


def test_overlapping_bands_are_refused_with_position(write_pack) -> None:
    d = write_pack(CARD.replace("{min: 2, max: 4, points: 30}", "{min: 1, max: 4, points: 30}"))
    assert any(line == line_of(d, "{min: 1, max: 4") and "bands overlap" in m for line, m in problems(d))


def test_a_gap_between_bands_is_refused(write_pack) -> None:
    d = write_pack(CARD.replace("{min: 4, points: 60}", "{min: 5, points: 60}"))
    assert any(line == line_of(d, "{min: 5, points") and "gap between bands" in m for line, m in problems(d))


def test_overlapping_or_gapped_grades_are_refused(write_pack) -> None:
    overlap = problems(
        write_pack(
            CARD.replace("{min: 60, max: 90, label: 合格}", "{min: 50, max: 90, label: 合格}"), name="a"
        )
    )
    b = write_pack(
        CARD.replace("{min: 0, max: 60, label: 不合格}", "{min: 10, max: 60, label: 不合格}"), name="b"
    )
    assert any("overlaps" in m for _, m in overlap)
    assert any(
        line == line_of(b, "{min: 10, max: 60") and "no grade covers [0, 10)" in m for line, m in problems(b)
    )


def test_an_indicator_naming_an_unknown_rule_suggests(write_pack) -> None:
    found = problems(write_pack(CARD.replace("rule: site.area", "rule: site.aera")))
    assert any("no rule `site.aera`" in m for _, m in found)


# The hunan_assessment example scores 15 + 10 + 20 + 20 + 10 = 75 before satisfaction; the
# satisfaction bands are [0, 80) 0 points, [80, 90) 10, [90, ∞) 20; grades 优秀 ≥ 90, 良好 80–90,
# 合格 60–80 (packs/hunan_assessment/pack.yaml), worked out by hand for each rate.
SATISFACTION = [
    ("70", Decimal(0), Decimal(75), "合格"),
    ("79.9", Decimal(0), Decimal(75), "合格"),
    ("80", Decimal(10), Decimal(85), "良好"),
    ("89.9", Decimal(10), Decimal(85), "良好"),
    ("90", Decimal(20), Decimal(95), "优秀"),
    ("100", Decimal(20), Decimal(95), "优秀"),
]


@pytest.mark.parametrize(("rate", "points", "total", "grade"), SATISFACTION)
def test_band_points_scores_and_grades_on_both_sides_of_each_boundary(
    rate: str, points: Decimal, total: Decimal, grade: str
) -> None:
    from policyengine._yaml import load_yaml_file, strip_positions

    root = Path(__file__).resolve().parent.parent
    record = strip_positions(load_yaml_file(root / "packs/hunan_assessment/examples/project.yaml"))
    record["outputs"]["satisfaction_rate"] = rate
    engine = Engine.from_packs(["hunan_assessment"])
    [score] = engine.evaluate(record, as_of=date(2023, 1, 15)).scores
    by_id = {i.id: i.points for i in score.indicators}
    assert by_id["satisfaction"] == points
    assert score.score == total == sum(by_id.values())
    assert score.grade is not None and score.grade["zh"] == grade
    assert score.weights_from["zh"].startswith("评估机构自定")


def test_an_indicator_over_the_step_budget_is_unknown_and_the_record_still_scored(write_pack) -> None:
    """A scorecard condition that runs past the step budget makes that indicator unknown (0
    points, the score incomplete); the record's rules and other indicators are kept (it used to
    make the whole row unreadable)."""
    heavy = CARD.replace(
        "value: len(staff)", "value: len(filter(staff, a -> all(staff, b -> all(staff, c -> true))))"
    )
    engine = Engine([load_pack(write_pack(heavy))], max_steps=2_000)
    report = engine.evaluate(
        {"kind": "station", "site": {"area_m2": 320}, "staff": [{}] * 40}, as_of=date(2023, 1, 1)
    )
    [score] = report.scores
    staff = next(i for i in score.indicators if i.id == "staff")
    assert staff.status == "unknown" and "无法评估" in staff.why["zh"]
    assert (score.score, score.complete) == (Decimal(40), False)
    assert report.finding("site.area").outcome.value == "pass"


def test_an_incomplete_score_gets_no_grade(write_pack) -> None:
    """60 points with the area indicator unknown: a grade (合格, 60 to 90) would judge the whole."""
    engine = Engine([load_pack(write_pack(CARD))])
    report = engine.evaluate({"kind": "station", "staff": [{}] * 4}, as_of=date(2023, 1, 1))
    [score] = report.scores
    assert (score.score, score.complete, score.grade) == (Decimal(60), False, None)
