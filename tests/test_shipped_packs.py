"""The shipped packs: every example is compliant; one changed fact makes it non-compliant,
with a finding that cites the clause the change breaks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from policyengine import Engine, Verdict
from policyengine._yaml import load_yaml_file, strip_positions
from policyengine.plugins import get_registry
from policyengine.testing.cases import set_path

PACKS = Path(__file__).resolve().parent.parent / "packs"

EXAMPLES = [
    ("lanzhou_2022", "project.yaml", date(2023, 9, 28)),
    ("sichuan", "township_station.yaml", date(2022, 10, 1)),
    ("sichuan", "funding.yaml", date(2022, 12, 31)),
    ("sichuan_renshou", "project.yaml", date(2024, 3, 1)),
    ("sichuan_renshou", "incubation_park.yaml", date(2024, 3, 1)),
    ("hunan", "project.yaml", date(2023, 1, 15)),
    ("hunan", "funding.yaml", date(2022, 12, 31)),
    ("fujian", "township_station.yaml", date(2022, 10, 1)),
    ("fujian", "funding.yaml", date(2022, 12, 31)),
    ("chengdu", "station.yaml", date(2023, 6, 30)),
    ("chengdu", "project.yaml", date(2023, 6, 30)),
    ("hunan_assessment", "project.yaml", date(2023, 1, 15)),
    ("haining", "station.yaml", date(2023, 6, 30)),
    ("haining", "project.yaml", date(2023, 6, 30)),
    ("hubei", "township_station.yaml", date(2022, 10, 1)),
    ("hubei_jingshan", "funding.yaml", date(2022, 12, 31)),
    ("hubei_jingshan", "township_station.yaml", date(2022, 10, 1)),
    ("xizang", "township_station.yaml", date(2022, 10, 1)),
    ("xizang", "funding.yaml", date(2022, 12, 31)),
    ("xinjiang", "township_station.yaml", date(2022, 10, 1)),
    ("xinjiang", "funding.yaml", date(2022, 12, 31)),
    ("heilongjiang", "funding.yaml", date(2022, 12, 31)),
    ("heilongjiang", "township_station.yaml", date(2022, 12, 31)),
    ("guizhou", "township_station.yaml", date(2022, 10, 1)),
    ("guizhou", "project.yaml", date(2022, 12, 31)),
    ("shaanxi_baishui", "county_centre.yaml", date(2023, 6, 30)),
    ("shaanxi_baishui", "township_station.yaml", date(2023, 6, 30)),
]


def example(pack: str, name: str) -> dict:
    return strip_positions(load_yaml_file(PACKS / pack / "examples" / name))


def test_every_example_is_listed_here() -> None:
    on_disk = {(p.parent.parent.name, p.name) for p in PACKS.glob("*/examples/*.yaml")}
    assert on_disk == {(p, n) for p, n, _ in EXAMPLES}


def test_the_expected_packs_are_installed() -> None:
    assert set(get_registry().ids()) >= {
        "lanzhou_2022",
        "sichuan",
        "sichuan_renshou",
        "hunan",
        "fujian",
        "haining",
        "chengdu",
        "hubei",
        "hubei_jingshan",
        "xizang",
        "xinjiang",
        "heilongjiang",
        "guizhou",
        "shaanxi_baishui",
    }


@pytest.mark.parametrize(("pack", "name", "as_of"), EXAMPLES)
def test_each_example_is_compliant(pack: str, name: str, as_of: date) -> None:
    report = Engine.from_packs([pack]).evaluate(example(pack, name), as_of=as_of)
    assert report.findings, "the example should be checked by at least one rule"
    assert report.verdict is Verdict.COMPLIANT, [
        (f.rule, f.outcome.value, f.message["zh"]) for f in report.findings if f.outcome != "pass"
    ]


# fmt: off
ONE_FACT = [
    # (pack, example, as_of, changes, rule that must fail, its clause)
    ("lanzhou_2022", "project.yaml", date(2023, 9, 28), {"staff[1].certification": "none"},
     "staffing.certified", "七(二)3"),
    ("lanzhou_2022", "project.yaml", date(2023, 9, 28), {"community.site.area_m2": 280},
     "community.service_area", "七(一)3"),
    ("sichuan", "funding.yaml", date(2022, 12, 31), {"funds.purchase_from_special": "18.235万"},
     "funding.assistance_share", "一"),
    ("hunan", "project.yaml", date(2023, 1, 15),
     {"procurement.method": "direct_award", "approvals[3]": None}, "procurement.tender", "二"),
    ("hunan", "project.yaml", date(2023, 1, 15),
     {"procurement.method": "direct_award", "approvals[3]": None}, "approvals.major_matters", "二"),
]
# fmt: on


@pytest.mark.parametrize(("pack", "name", "as_of", "changes", "rule", "clause"), ONE_FACT)
def test_one_changed_fact_is_non_compliant_citing_the_clause(
    pack: str, name: str, as_of: date, changes: dict, rule: str, clause: str
) -> None:
    record = example(pack, name)
    for path, value in changes.items():
        set_path(record, path, value)
    report = Engine.from_packs([pack]).evaluate(record, as_of=as_of)
    assert report.verdict is Verdict.NON_COMPLIANT
    finding = report.finding(rule)
    assert finding.outcome == "fail"
    assert finding.citation.clause == clause
    assert finding.citation.quote and finding.citation.document


def test_several_packs_side_by_side() -> None:
    """One funding record under Sichuan (3%) and Hunan (2%): 2.5% passes one, fails the other.
    Hunan's 2% is a warning (its text names 2% as a funding channel, not expressly a ceiling), so
    the record stays compliant."""
    record = {
        "kind": "funding",
        "funds": {
            "social_assistance": "1000万",
            "purchase_from_special": "25万",
            "social_assistance_working": "10万",
            "purchase_from_working": 0,
        },
    }
    report = Engine.from_packs(["sichuan", "hunan"]).evaluate(record, as_of=date(2022, 12, 31))
    outcomes = report.outcomes()
    assert outcomes["sichuan:funding.assistance_share"] == "pass"
    assert outcomes["hunan:funding.special_share"] == "fail"
    assert report.finding("funding.special_share").severity == "warning"
    assert report.verdict is Verdict.COMPLIANT


def test_every_rule_has_pass_fail_and_unknown_cases() -> None:
    """Rules that cannot reach an outcome by construction say why under `unreachable:` in their
    pack's case files (and in the pack's README)."""
    from policyengine.testing.coverage import coverage

    registry = get_registry()
    gaps = [
        (pid, rule, outcome)
        for pid in registry.ids()
        for rule, outcome in coverage(registry.load(pid)).gaps()
    ]
    assert gaps == []
