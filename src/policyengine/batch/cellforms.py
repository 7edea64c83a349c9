"""What people write in a ledger's cells and headers, beyond what the models read.

The models read amounts (``30万``), dates (``2022年9月27日``) and yes/no the same from every
source. A spreadsheet adds its own habits, read here and only for spreadsheet input:

- a date cell that lost its format shows Excel's bare serial (45000 for 2023-03-15): in a date
  column, and only there, a number in :data:`SERIAL_RANGE` is that date (:func:`excel_serial_date`);
- percentages in a percent column: ``95%``, ``95.5％``, ``百分之九十五`` (:func:`parse_percent`);
- headers typed with spaces (``编 号``), full-width brackets and punctuation
  (``服务面积（平方米）``) or another way of writing a unit (``服务面积(㎡)``, ``年度运营经费(万元)``):
  :func:`normalize_header` and :func:`split_unit`.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

#: Excel's day 0 (serial 1 is 1900-01-01; serials from 61 on count Excel's phantom 1900-02-29).
_EXCEL_EPOCH = date(1899, 12, 30)
#: The serials read as dates in a spreadsheet's date column: 1950-01-01 to 2099-12-31.
SERIAL_RANGE = (18264, 73050)


def excel_serial_date(value: Any) -> date | None:
    """The date an Excel date serial stands for (45000 is 2023-03-15; 44831.5 is 2022-09-27),
    or None when ``value`` is not a number within :data:`SERIAL_RANGE`. Only a spreadsheet's
    date column takes this path: in a record file a number in a date field is refused, and a
    number is never a Unix timestamp."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        return None
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        return None
    if not number.is_finite() or not SERIAL_RANGE[0] <= number < SERIAL_RANGE[1] + 1:
        return None
    return date.fromordinal(_EXCEL_EPOCH.toordinal() + int(number))


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_CN_DIGITS.update({"五": 5, "六": 6, "七": 7, "八": 8, "九": 9})
_CN_UNITS = {"十": 10, "百": 100}
_PERCENT_RE = re.compile(r"^(?P<num>[0-9]+(?:\.[0-9]+)?)%$")


def _chinese_number(text: str) -> Decimal | None:
    """零 to 一百, with 点 and digits after it (九十五点五): the numbers 百分之… uses."""
    whole, _, fraction = text.partition("点")
    if not whole or any(ch not in _CN_DIGITS and ch not in _CN_UNITS for ch in whole):
        return None
    total, digit = 0, None
    for ch in whole:
        if ch in _CN_UNITS:
            total += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
        elif digit is not None:
            return None  # 二三: not a number
        else:
            digit = _CN_DIGITS[ch]
    total += digit or 0
    if any(ch not in _CN_DIGITS for ch in fraction):
        return None
    digits = "".join(str(_CN_DIGITS[ch]) for ch in fraction)
    return Decimal(f"{total}.{digits}") if digits else Decimal(total)


def parse_percent(value: str) -> Decimal | None:
    """A percentage as written (``5%``, ``95.5％``, ``百分之五``, ``百分之九十五点五``, ``百分之95``):
    the number of percent (5 for 5%), or None when the text is not a percentage."""
    text = unicodedata.normalize("NFKC", value).strip().replace(" ", "")
    m = _PERCENT_RE.match(text)
    if m:
        return Decimal(m.group("num"))
    if not text.startswith("百分之"):
        return None
    rest = text.removeprefix("百分之")
    if re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", rest):
        return Decimal(rest)
    return _chinese_number(rest)


# -- headers --------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
#: brackets people use around a unit or a qualifier, after NFKC: 【】〔〕[] read as ()
_BRACKETS = str.maketrans(
    {"【": "(", "】": ")", "〔": "(", "〕": ")", "[": "(", "]": ")", "〈": "(", "〉": ")"}
)
_UNIT = re.compile(r"^(?P<base>.*?)\((?P<unit>[^()]*)\)$")
#: ways of writing one unit → the unit as field titles write it
UNIT_SPELLINGS = {
    "平方米": "平方米",
    "㎡": "平方米",
    "m2": "平方米",
    "m²": "平方米",
    "平米": "平方米",
    "平方": "平方米",
    "元": "元",
    "人民币元": "元",
    "万元": "万元",
    "万": "万元",
    "小时": "小时",
    "h": "小时",
    "时": "小时",
    "%": "%",
    "百分比": "%",
}


def normalize_header(text: Any) -> str:
    """A header as it is matched: NFKC (full-width brackets, colons, letters and digits made
    plain), every space removed (``编 号`` is ``编号``), 【】〔〕[] read as ()."""
    if text is None:
        return ""
    plain = unicodedata.normalize("NFKC", str(text)).translate(_BRACKETS)
    return _SPACES.sub("", plain)


def split_unit(header: str) -> tuple[str, str | None]:
    """A normalised header's name and its unit in brackets at the end, the unit spelled as
    field titles spell it: ``服务面积(㎡)`` → (``服务面积``, ``平方米``); no brackets → (header, None)."""
    m = _UNIT.match(header)
    if m is None or not m.group("base"):
        return header, None
    unit = m.group("unit")
    return m.group("base"), UNIT_SPELLINGS.get(unit.lower(), unit)
