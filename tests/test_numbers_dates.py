"""Numbers and dates never crash or mislead (hardening, part 5).

- formatting any Decimal never raises and gives a short text (29+ digits, 1E+30, 1E-999999);
- record numbers are bounded: at most 10¹² (13 digits before the point) and 15 decimals;
  NaN, infinity, 1e-999999, 1e+999999 are refused naming the field, quickly;
- condition literals keep the same bounds; ``date("...")`` is strictly YYYY-MM-DD;
- a date field takes 20230301 (text or 8-digit number) but never reads a number as a Unix
  timestamp; spreadsheet date cells still work;
- the command line shows a 1.0e+30 parameter and refuses a 30-digit literal without a traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from decimal import Context, Decimal, localcontext
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyengine import ConditionError, Engine, RecordError, load_pack
from policyengine._format import MAX_NUMBER_TEXT, format_decimal, format_rounded, format_value
from policyengine.io import read_records
from policyengine.lang import Scope, compile_condition
from policyengine.lang.functions import BUILTIN_FUNCTIONS, parse_iso_date
from policyengine.models import BUILTIN_SUBJECTS, Station, validate_record
from policyengine.models.values import (
    MAX_AMOUNT,
    MAX_FRACTION_DIGITS,
    MAX_INTEGER_DIGITS,
    bounded,
    parse_count,
    parse_date,
    parse_decimal,
    parse_money,
)

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2023, 6, 30)
SCOPE = Scope(Station, {}, BUILTIN_FUNCTIONS)


def refusal(record: dict[str, Any]) -> tuple[str | None, str]:
    """The first problem's field path and message; fails if the record is accepted."""
    with pytest.raises(RecordError) as err:
        validate_record(record, BUILTIN_SUBJECTS)
    problem = err.value.problems[0]
    assert len(err.value.render()) < 1000  # never the value's million characters
    return (problem.location.path if problem.location else None), problem.message


# --- formatting: hand-worked ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("156.3000", "156.3"),
        ("300000", "300000"),
        ("1E+3", "1000"),
        ("-5.50", "-5.5"),
        ("0", "0"),
        ("-0.00", "0"),
        ("0.3333333333333333333333333333", "0.3333333333333333333333333333"),
        ("0.000000000000001", "0.000000000000001"),  # 10⁻¹⁵: the smallest step a record holds
        ("1.23E-16", "1.23E-16"),
        ("1000000000000", "1000000000000"),  # MAX_AMOUNT
        ("123456789012.123456789012345", "123456789012.123456789012345"),  # 12 + 15 digits
        ("9999999999999999999999999999", "9999999999999999999999999999"),  # 28 digits, < 10²⁸
        ("1" * 29, "1.111111111111111111111111111E+28"),  # 29 digits: was InvalidOperation
        ("123456789012345678901234567890", "1.234567890123456789012345679E+29"),  # a 30-digit literal
        ("1.0E+30", "1E+30"),  # a pack parameter written 1.0e+30: was InvalidOperation
        ("1E+999999", "1E+999999"),
        ("-1E+999999", "-1E+999999"),
        ("1E-999999", "1E-999999"),  # was 1,000,001 characters
        ("NaN", "NaN"),
        ("-Infinity", "-Infinity"),
    ],
)
def test_numbers_format_without_raising_and_short(value: str, text: str) -> None:
    assert format_decimal(Decimal(value)) == text
    assert format_value(Decimal(value)) == text


def test_a_million_digit_number_formats_in_a_few_dozen_characters() -> None:
    assert format_decimal(Decimal("1" * 1_000_000)) == "1.111111111111111111111111111E+999999"
    assert format_decimal(Decimal("0." + "1" * 1_000_000)) == "0." + "1" * 28  # 28 digits shown
    assert len(format_decimal(Decimal("1E-999999") / 3)) <= MAX_NUMBER_TEXT


def test_formatting_ignores_the_callers_decimal_context() -> None:
    with localcontext() as ctx:
        ctx.prec = 3
        assert format_decimal(Decimal("123456.789")) == "123456.789"
        assert format_rounded(Decimal("123456.789"), 2) == "123456.79"


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        ("85", 1, "85.0"),
        ("85.25", 1, "85.2"),  # half-even, as Decimal.quantize
        ("85.35", 1, "85.4"),
        ("-0.04", 1, "0.0"),
        ("1E+30", 1, "1E+30"),  # quantize(Decimal("0.1")) raised InvalidOperation here
        ("1E-999999", 1, "0.0"),
    ],
)
def test_rounded_formatting_for_means(value: str, places: int, text: str) -> None:
    assert format_rounded(Decimal(value), places) == text


# --- record numbers: bounded -------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    ["1e-999999", Decimal("1E-999999"), "0.0000000000000001", Decimal("1.0000000000000001")],
    ids=repr,
)
def test_too_many_decimals_are_refused_naming_the_field(written: Any) -> None:
    path, message = refusal({"kind": "station", "site": {"area_m2": written}})
    assert path == "site.area_m2"
    assert message.startswith("数值超出范围 / value out of range: at most 13 digits before and 15 after")


@pytest.mark.parametrize(
    ("record", "path"),
    [
        ({"kind": "station", "site": {"area_m2": Decimal("1E+999999")}}, "site.area_m2"),
        ({"kind": "station", "site": {"area_m2": "1e+999999"}}, "site.area_m2"),
        ({"kind": "station", "annual_funding": Decimal("1E+999999")}, "annual_funding"),
        ({"kind": "station", "site": {"office_desks": Decimal("1E+999999")}}, "site.office_desks"),
        ({"kind": "station", "site": {"office_desks": "1" * 20}}, "site.office_desks"),
        ({"kind": "station", "site": {"office_desks": 10**5000}}, "site.office_desks"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_huge_numbers_are_refused_naming_the_field(record: dict[str, Any], path: str) -> None:
    got, message = refusal(record)
    assert got == path
    assert message.startswith("数值超出范围 / value out of range")
    assert "10¹²" in message


@pytest.mark.parametrize("written", ["NaN", "Infinity", "-Infinity", Decimal("NaN"), float("inf")], ids=repr)
def test_nan_and_infinity_are_refused_naming_the_field(written: Any) -> None:
    for record, path in [
        ({"kind": "station", "site": {"area_m2": written}}, "site.area_m2"),
        ({"kind": "station", "annual_funding": written}, "annual_funding"),
    ]:
        got, message = refusal(record)
        assert got == path
        if not isinstance(written, str) or path == "site.area_m2":  # money text: "not an amount"
            assert message.startswith("数值无效 / not a usable number")


def test_a_count_of_1e999999_is_refused_before_it_becomes_a_huge_int() -> None:
    start = time.process_time()
    path, _ = refusal({"kind": "station", "site": {"office_desks": Decimal("1E+999999")}})
    assert path == "site.office_desks"
    assert time.process_time() - start < 0.05  # it took 0.2 s, then could not be printed


@pytest.mark.parametrize(
    ("written", "value"),
    [
        (Decimal("0.01"), Decimal("0.01")),  # one fen
        ("1,000,000,000,000", MAX_AMOUNT),
        ("999999999999.999999999999999", Decimal("999999999999.999999999999999")),  # 12 + 15
        ("0.000000000000001", Decimal("1E-15")),
        ("1.50000000000000000000000000000", Decimal("1.5")),  # trailing zeros do not count
        (0.1 + 0.2, Decimal("0.3")),  # a spreadsheet's float: 15 significant digits, as shown
        (12 / 13, Decimal("0.923076923076923")),
        (156.3, Decimal("156.3")),
        (Decimal("1E+3"), Decimal("1000")),
    ],
    ids=repr,
)
def test_every_plausible_ledger_number_is_kept(written: Any, value: Decimal) -> None:
    rec = validate_record({"kind": "station", "site": {"area_m2": written}}, BUILTIN_SUBJECTS)
    assert rec.site.area_m2 == value  # type: ignore[attr-defined]
    exponent = rec.site.area_m2.as_tuple().exponent  # type: ignore[attr-defined]
    assert -MAX_FRACTION_DIGITS <= exponent <= 0  # stored plain: 1E+3 is 1000


@pytest.mark.parametrize(
    ("written", "yuan"),
    [
        ("30万", Decimal("300000")),
        ("108.8万元", Decimal("1088000")),
        ("0.00015万", Decimal("1.5")),
        ("0.0000000000000001亿", Decimal("0.00000001")),  # the unit moves the point, nothing rounds
        ("10000亿", MAX_AMOUNT),
    ],
)
def test_amounts_with_units_are_exact(written: str, yuan: Decimal) -> None:
    assert parse_money(written) == yuan


def test_an_amount_above_the_bound_with_units_is_refused() -> None:
    with pytest.raises(ValueError, match="at most 1000000000000"):
        parse_money("10000.0000001亿")


# --- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "2023-03-01",
        "2023-3-1",
        "2023/3/1",
        "2023.3.1",
        "2023年3月1日",
        "20230301",  # compact, as many Chinese ledgers write it
        20230301,  # the same, typed into a number cell or written unquoted in YAML
        "2023-03-01 00:00:00",  # a spreadsheet export of a date
        "2023/3/1 0:00",
        date(2023, 3, 1),
        datetime(2023, 3, 1),  # an XLSX date cell, as openpyxl reads it
    ],
    ids=repr,
)
def test_date_forms_people_write(written: Any) -> None:
    rec = validate_record({"kind": "station", "established": written}, BUILTIN_SUBJECTS)
    assert rec.established == date(2023, 3, 1)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "written",
    [
        1677628800,  # 2023-03-01 00:00 UTC as a Unix timestamp: was silently 2023-03-01
        0,  # was 1970-01-01
        1677628800.0,
        "1677628800",  # was 2023-03-01 too
        45000,  # an Excel serial in a cell not formatted as a date
        Decimal("20230301"),
        True,
    ],
    ids=repr,
)
def test_a_number_is_never_read_as_a_timestamp(written: Any) -> None:
    path, message = refusal({"kind": "station", "established": written})
    assert path == "established"
    assert message.startswith("日期应写作 YYYY-MM-DD / a date must be written YYYY-MM-DD")
    assert "20220927" in message  # names the other accepted forms
    if not isinstance(written, (str, bool)):
        assert message.endswith("a number is never read as a Unix timestamp")


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("2023-W01-1", "a date must be written YYYY-MM-DD"),  # an ISO week date
        ("2023-060", "a date must be written YYYY-MM-DD"),  # an ISO ordinal date
        ("2023-03-01T10:00:00", "a date must be written YYYY-MM-DD"),  # a time of day
        ("2023/3-1", "a date must be written YYYY-MM-DD"),
        ("20231301", "not a real date"),  # was "Datetimes provided to dates should have zero time"
        ("20230230", "not a real date"),
        ("2022年2月30日", "not a real date"),
    ],
)
def test_other_date_text_is_refused_saying_why(written: str, says: str) -> None:
    path, message = refusal({"kind": "station", "established": written})
    assert path == "established"
    assert says in message
    assert "Datetimes provided to dates" not in message


@pytest.mark.parametrize(
    ("suffix", "text"), [(".yaml", "established: {}\n"), (".json", '{{"established": {}}}')]
)
def test_an_integer_date_in_a_record_file_is_refused(tmp_path: Path, suffix: str, text: str) -> None:
    path = tmp_path / f"station{suffix}"
    body = text.format(1677628800)
    path.write_text(('{"kind": "station", ' + body[1:]) if suffix == ".json" else "kind: station\n" + body)
    [(_, data)] = list(read_records(path))
    path_, message = refusal(data)
    assert path_ == "established"
    assert "timestamp" in message


def test_an_xlsx_ledger_keeps_date_cells_and_takes_compact_numbers(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    from policyengine.batch.readers import Input

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "社工站"
    ws.append(["编号", "名称", "建站日期"])
    ws.append(["S1", "日期单元格", datetime(2023, 3, 1)])  # a date cell
    ws.cell(row=2, column=3).number_format = "yyyy-mm-dd"
    ws.append(["S2", "数字", 20230301])  # typed as a number
    ws.append(["S3", "文本", "2023年3月1日"])
    ws.append(["S4", "序列号", 45000])  # a bare serial in a spreadsheet's date column: its date
    path = tmp_path / "stations.xlsx"
    wb.save(path)
    reader = Input(path, Station)
    try:
        rows = list(reader.rows())
    finally:
        reader.close()
    got: dict[str, Any] = {}
    for row in rows:
        assert row.record is not None
        try:
            got[row.record["id"]] = validate_record(
                {"kind": "station", **row.record}, BUILTIN_SUBJECTS
            ).established  # type: ignore[attr-defined]
        except RecordError as exc:
            got[row.record["id"]] = exc.problems[0].message
    assert got["S1"] == got["S2"] == got["S3"] == date(2023, 3, 1)
    assert got["S4"] == date(2023, 3, 15)  # Excel's serial 45000; in a record file it is refused


# --- the language ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["2023-W01-1", "2023W011", "20230301", "2023-060", "2023-03-01T00:00", "2023-3-1", "2023-02-30"]
)
def test_date_in_a_condition_is_strictly_yyyy_mm_dd(text: str) -> None:
    with pytest.raises(ConditionError, match="YYYY-MM-DD"):
        compile_condition(f'established >= date("{text}")', SCOPE)
    with pytest.raises(ValueError):
        parse_iso_date(text)  # the same function at run time (date(name) of a text field)


def test_date_in_a_condition_reads_yyyy_mm_dd() -> None:
    cond = compile_condition('established >= date("2023-03-01")', SCOPE)
    assert cond is not None
    assert parse_iso_date("2023-03-01") == date(2023, 3, 1)


def test_date_of_a_text_field_at_run_time_is_strict(write_pack: Callable[..., Path]) -> None:
    d = write_pack(
        """\
        rules:
          - id: r
            title: t
            subject: station
            require: date(name) <= as_of
            cite: {clause: "1", quote: q}
            message: m
        """
    )
    engine = Engine([load_pack(d)])
    bad = engine.evaluate({"kind": "station", "name": "2023-W01-1"}, as_of=AS_OF)
    good = engine.evaluate({"kind": "station", "name": "2023-01-02"}, as_of=AS_OF)
    assert [f.outcome.value for f in bad.findings] == ["error"]
    assert "YYYY-MM-DD" in bad.findings[0].message["en"]
    assert [f.outcome.value for f in good.findings] == ["pass"]


@pytest.mark.parametrize(
    "literal",
    ["1" * 30, "1" * 14, "0." + "0" * 29 + "1", "0.0000000000000001", "9" * 5000],
)
def test_number_literals_keep_the_record_bounds(literal: str) -> None:
    with pytest.raises(ConditionError, match=r"out of range|characters long"):
        compile_condition(f"site.area_m2 < {literal}", SCOPE)


@pytest.mark.parametrize("literal", ["9" * 13, "0.000000000000001", "1234567890123.123456789012345"])
def test_number_literals_within_the_bounds_load(literal: str) -> None:
    assert compile_condition(f"site.area_m2 < {literal}", SCOPE) is not None


HUGE_PARAMETER = """\
parameters:
  huge:
    title: {zh: 巨大, en: huge}
    values:
      2020-01-01: {value: 1.0e+30, cite: {clause: "1", quote: q}}
"""

BIG = """\
rules:
  - id: product
    title: 乘积
    subject: station
    require: site.area_m2 * 1000000000000 * 1000000000000 * 1000000 < 1
    cite: {clause: "1", quote: q}
    message: "乘积 {site.area_m2 * 1000000000000 * 1000000000000 * 1000000}"
scorecards:
  - id: card
    title: 评分
    subject: station
    total: 10
    weights_from: 测试
    dimensions:
      - id: d
        title: 维度
        indicators:
          - id: big
            title: 大数
            points: 10
            value: site.area_m2 * 1000000000000 * 1000000000000 * 1000000
            bands:
              - {min: 0, points: 10}
            cite: {clause: "1", quote: q}
    grades:
      - {min: 0, label: 任意}
"""


def test_arithmetic_past_10_to_the_28_renders_in_reports_and_scorecards(
    write_pack: Callable[..., Path],
) -> None:
    engine = Engine([load_pack(write_pack(BIG))])
    report = engine.evaluate({"kind": "station", "site": {"area_m2": 280}}, as_of=AS_OF)
    [finding] = report.findings
    assert finding.outcome.value == "fail"  # was error: "InvalidOperation"
    assert finding.message["zh"] == "乘积 2.8E+32"
    [score] = report.scores
    assert score.complete
    assert "2.8E+32" in score.indicators[0].why["zh"]
    json.dumps(report.to_dict(), ensure_ascii=False)


# --- properties --------------------------------------------------------------------------

#: Wide enough to normalize any generated Decimal exactly.
_WIDE = Context(prec=1000, Emax=10**7, Emin=-(10**7))
PROPS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Any finite Decimal, of any length and exponent the decimal module allows.
ANY_DECIMAL = st.builds(
    lambda sign, digits, exponent: Decimal((sign, tuple(digits), exponent)),
    st.integers(0, 1),
    st.lists(st.integers(0, 9), min_size=1, max_size=80),
    st.integers(-1_000_000, 1_000_000),
)
#: Decimals the models accept: at most 13 digits before the point and 15 after.
MODEL_DECIMAL = st.decimals(
    min_value=Decimal(0),
    max_value=MAX_AMOUNT,
    places=MAX_FRACTION_DIGITS,
    allow_nan=False,
    allow_infinity=False,
)


@PROPS
@given(ANY_DECIMAL | st.decimals(allow_nan=True, allow_infinity=True))
def test_any_decimal_formats_short_without_raising(value: Decimal) -> None:
    text = format_decimal(value)
    assert 0 < len(text) <= MAX_NUMBER_TEXT
    assert format_value(value) == text
    assert len(format_rounded(value, 1)) <= MAX_NUMBER_TEXT
    if value.is_finite() and len(value.normalize(_WIDE).as_tuple().digits) <= 28:
        assert Decimal(text) == value  # exact whenever 28 significant digits hold it


@PROPS
@given(MODEL_DECIMAL, st.sampled_from(["money", "quantity"]))
def test_record_numbers_read_plain_and_exact(value: Decimal, kind: str) -> None:
    parsed = (parse_money if kind == "money" else parse_decimal)(value)
    assert parsed == value
    text = format_decimal(parsed)
    assert "E" not in text
    assert len(text) <= MAX_INTEGER_DIGITS + MAX_FRACTION_DIGITS + 2
    assert Decimal(text) == value
    assert parse_decimal(text) == value  # and it reads back


@PROPS
@given(ANY_DECIMAL | st.text(max_size=40) | st.floats() | st.integers())
def test_parsers_give_a_bounded_value_or_a_value_error(value: Any) -> None:
    for parse in (parse_money, parse_decimal, parse_count, parse_date):
        try:
            result = parse(value)
        except ValueError as exc:
            assert len(str(exc)) < 300
            continue
        if isinstance(result, Decimal):
            assert bounded(result) == result


# --- the command line --------------------------------------------------------------------


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "policyengine.cli", *args], capture_output=True, text=True, cwd=ROOT
    )


def test_cli_pack_show_with_a_1e30_parameter(write_pack: Callable[..., Path]) -> None:
    d = write_pack(HUGE_PARAMETER + BIG)
    out = cli("pack", "show", str(d), "--as-of", "2023-01-01")
    assert "Traceback" not in out.stderr  # was decimal.InvalidOperation
    if out.returncode == 0:
        assert "1E+30" in out.stdout
    else:  # a pack bound on parameters may refuse it, with a message
        assert out.returncode == 2
        assert "out of range" in out.stderr


def test_cli_evaluate_with_a_30_digit_literal(write_pack: Callable[..., Path], tmp_path: Path) -> None:
    d = write_pack(
        """\
        rules:
          - id: r
            title: t
            subject: station
            require: site.area_m2 > 123456789012345678901234567890
            cite: {clause: "1", quote: q}
            message: m
        """
    )
    rec = tmp_path / "rec.yaml"
    rec.write_text("kind: station\nsite: {area_m2: 280}\n", encoding="utf-8")
    out = cli("evaluate", "-p", str(d), str(rec), "--as-of", "2023-01-01", "--format", "json")
    assert "Traceback" not in out.stderr  # was decimal.InvalidOperation
    assert out.returncode == 2
    assert "数值超出范围 / value out of range" in out.stderr


def test_cli_evaluate_with_a_product_past_10_to_the_28(
    write_pack: Callable[..., Path], tmp_path: Path
) -> None:
    d = write_pack(BIG)
    rec = tmp_path / "rec.yaml"
    rec.write_text("kind: station\nsite: {area_m2: 280}\n", encoding="utf-8")
    for fmt in ("json", "table", "markdown"):
        out = cli("evaluate", "-p", str(d), str(rec), "--as-of", "2023-01-01", "--format", fmt)
        assert "Traceback" not in out.stderr, fmt
        assert out.returncode == 1, (fmt, out.stderr)
        assert "2.8E+32" in out.stdout, fmt
