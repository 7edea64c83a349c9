"""Messages people read: a ratio as a percentage, an amount in 元/万元/亿元 as a bureau writes
it, exactly. Values worked out by hand; the last test renders every shipped pack's failing
messages on its own cases."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from policyengine import Engine, load_pack
from policyengine._format import format_money, format_percent, format_value
from policyengine.testing.cases import case_files, load_cases

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("yuan", "zh", "en"),
    [
        ("120000000", "1.2亿元", "120,000,000 yuan"),
        ("100000000", "1亿元", "100,000,000 yuan"),
        ("99999999", "9999.9999万元", "99,999,999 yuan"),
        ("300000", "30万元", "300,000 yuan"),
        ("125000", "12.5万元", "125,000 yuan"),
        ("156300", "15.63万元", "156,300 yuan"),
        ("10000", "1万元", "10,000 yuan"),
        ("9999.99", "9999.99元", "9,999.99 yuan"),
        ("240000.01", "240000.01元", "240,000.01 yuan"),  # 24.000001万元 is not how anyone writes it
        ("123456789.5", "123456789.5元", "123,456,789.5 yuan"),
        ("0", "0元", "0 yuan"),
        ("-50000", "-5万元", "-50,000 yuan"),
    ],
)
def test_amounts_read_as_a_bureau_writes_them_and_exactly(yuan: str, zh: str, en: str) -> None:
    assert format_money(Decimal(yuan)) == zh
    assert format_money(Decimal(yuan), "en") == en


@pytest.mark.parametrize(
    ("ratio", "shown"),
    [("0.03", "3%"), ("0.02", "2%"), ("0.4", "40%"), ("0.025", "2.5%"), ("1", "100%"), ("0", "0%")],
)
def test_ratios_read_as_percentages(ratio: str, shown: str) -> None:
    assert format_percent(Decimal(ratio)) == shown


def test_a_value_without_a_kind_reads_as_before() -> None:
    assert format_value(Decimal("0.03"), "zh") == "0.03"
    assert format_value(300000, "zh", "money") == "30万元"
    assert format_value([Decimal("0.05"), Decimal("0.03")], "zh", "percent") == "5%、3%"


def test_the_haining_subsidy_message_shows_percent_and_amounts() -> None:
    """三 三: 40%、最高不超过30万元. 24.01万 of 60万 spent exceeds 40%."""
    import yaml

    record = yaml.safe_load((ROOT / "packs/haining/examples/project.yaml").read_text(encoding="utf-8"))
    record["funding"]["city_subsidy"] = "24.01万"
    from datetime import date

    report = Engine.from_packs(["haining"]).evaluate(record, as_of=date(2023, 6, 30))
    f = report.finding("subsidy.city")
    assert f.message["zh"] == "市财政补助 24.01万元,超过实际投入 60万元的 40% 或上限 30万元"
    assert (
        f.message["en"]
        == "City subsidy 240,100 yuan exceeds 40% of the 600,000 yuan spent or the 300,000 yuan cap"
    )


def _failing_messages(outcomes: tuple[str, ...] = ("fail",)) -> list[tuple[str, str, str]]:
    out = []
    for d in sorted((ROOT / "packs").iterdir()):
        if not (d / "pack.yaml").exists():
            continue
        pack = load_pack(d)
        engine = Engine([pack], ignore_scope=True)
        for path in case_files(pack):
            for case in load_cases(path, pack):
                if case.record is None:
                    continue
                report = engine.evaluate(case.record, as_of=case.as_of)
                out += [
                    (d.name, f.rule, f.message["zh"]) for f in report.findings if f.outcome.value in outcomes
                ]
    return out


def test_no_shipped_message_shows_a_ratio_as_a_fraction_or_an_amount_in_bare_yuan() -> None:
    messages = _failing_messages()
    assert len(messages) > 50  # the packs' cases fail plenty of rules
    fractions = [m for m in messages if re.search(r"(?<![\d.])0\.\d+", m[2])]
    # An amount in bare yuan is one the bureau's way of writing (万元/亿元, exact) cannot hold,
    # such as 24691.35元; any other five-digit yuan figure was not formatted at all.
    bare = [
        m
        for m in messages
        for amount in re.findall(r"(?<![\d.])(\d{5,}(?:\.\d+)?)\s*元", m[2])
        if format_money(Decimal(amount)) != f"{amount}元"
    ]
    assert fractions == [] and bare == [], fractions + bare


def _all_codes() -> set[str]:
    import policyengine.models  # noqa: F401  (defines every coded type)
    from policyengine.models.base import LabelledChoice

    found: set[str] = set()
    todo = list(LabelledChoice.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        found |= {str(m.value) for m in cls}
    return found


def test_no_shipped_zh_message_shows_a_raw_english_code() -> None:
    codes = _all_codes()
    assert {"fiscal_budget", "in_progress", "township_station", "civil_affairs_assistant"} <= codes
    raw = [
        (pack, rule, word)
        for pack, rule, text in _failing_messages()
        for word in re.findall(r"[A-Za-z_]+", text)
        if word in codes or "_" in word
    ]
    assert raw == [], raw


def test_unknown_and_not_applicable_messages_name_fields_by_their_chinese_titles() -> None:
    messages = _failing_messages(("unknown", "not_applicable"))
    unknown = [m for m in messages if m[2].startswith("无法判断")]
    assert len(unknown) > 50 and any("项目社工/职业水平证书" in m[2] for m in unknown)
    raw = [m for m in messages if re.search(r"[a-z_]+(\[\d*\])?\.[a-z_]|==|[a-z]+_[a-z]+", m[2])]
    assert raw == [], raw[:5]
