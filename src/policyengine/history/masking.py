"""Personal data in stored inputs: every masking rule, declared here and nowhere else.

The history keeps an evaluation's input record only when it is configured to
(``keep_inputs``); what it keeps passes through :func:`mask_record` first. Two kinds of rule:

- **by value**, anywhere in the record (any field, any depth, numbers too): resident ID numbers
  (18 digits or 17 and X; the old 15-digit form), mobile numbers, landline numbers. A staff
  member's ``id`` that is an ID number is masked like any other.
- **by field**: people's names — ``name`` of each item of a list of people (``staff``), and the
  fields that hold a person's name wherever they are (``contact``, ``联系人`` …).

:data:`MASKING_RULES` lists them for the documentation (docs/service.md prints the same table)
and for the tests, which hold each rule to an example. The input's hash is taken before
masking, so two evaluations of the same record have the same hash whether or not inputs are kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = ["MASKING_RULES", "MaskRule", "mask_name", "mask_record", "mask_text"]


@dataclass(frozen=True)
class MaskRule:
    """One kind of personal data: what it is, where it is found, how it is shown."""

    name: str
    title: str  # 中文
    where: str  # which fields or which values
    example: tuple[str, str]  # (value, what is stored)


def _keep(head: int, tail: int) -> Callable[[re.Match[str]], str]:
    def mask(match: re.Match[str]) -> str:
        text = match.group()
        return text[:head] + "*" * (len(text) - head - tail) + text[len(text) - tail :]

    return mask


def _digits(head: int, tail: int) -> Callable[[re.Match[str]], str]:
    """Keep the first ``head`` and last ``tail`` digits, mask the others; separators stay."""

    def mask(match: re.Match[str]) -> str:
        text = match.group()
        total = sum(c.isdigit() for c in text)
        out, seen = [], 0
        for c in text:
            if c.isdigit():
                seen += 1
                out.append(c if seen <= head or seen > total - tail else "*")
            else:
                out.append(c)
        return "".join(out)

    return mask


def _landline(match: re.Match[str]) -> str:
    area, number = match.group().split("-")
    return f"{area}-{'*' * (len(number) - 2)}{number[-2:]}"


#: value patterns, tried in this order on every text (and number) in the record
_PATTERNS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])"), _keep(6, 4)),  # ID, 18
    (re.compile(r"(?<![0-9A-Za-z])\d{15}(?![0-9A-Za-z])"), _keep(6, 3)),  # ID, 15 (1980s-2000s)
    (re.compile(r"(?<![0-9])(?:\+?86[- ]?)?1[3-9]\d{9}(?![0-9])"), _keep(3, 4)),  # mobile
    (re.compile(r"(?<![0-9])0\d{2,3}-\d{7,8}(?![0-9])"), _landline),  # 0571-88886666
    # 138-1234-5678, 138 1234 5678
    (re.compile(r"(?<![0-9])1[3-9]\d[- ]\d{4}[- ]\d{4}(?![0-9])"), _digits(3, 4)),
    # (0571)88886666, 0571 88886666, 057188886666
    (re.compile(r"(?<![0-9])(?:\(0\d{2,3}\)\s?|0\d{2,3}\s)\d{7,8}(?![0-9])"), _digits(3, 2)),
    (re.compile(r"(?<![0-9])0\d{10,11}(?![0-9])"), _digits(3, 2)),
)

#: lists whose items are people: each item's ``name`` is a person's name
PEOPLE_LISTS = frozenset({"staff", "members", "social_workers", "volunteers", "contacts", "人员", "社工"})
#: fields that hold a person's name wherever they are
PERSON_FIELDS = frozenset(
    {
        "contact",
        "contact_person",
        "contact_name",
        "person",
        "leader",
        "director",
        "legal_representative",
        "联系人",
        "负责人",
        "姓名",
        "法定代表人",
    }
)

MASKING_RULES: tuple[MaskRule, ...] = (
    MaskRule(
        "id_number",
        "身份证号",
        "any value: 18 digits (or 17 and X), or the old 15-digit form; first 6 and last 4 (3) kept",
        ("330481199001011234", "330481********1234"),
    ),
    MaskRule(
        "mobile",
        "手机号",
        "any value: 11 digits from 13–19 (with or without +86), also written 138-1234-5678 or "
        "138 1234 5678; first 3 and last 4 digits kept",
        ("13812345678", "138****5678"),
    ),
    MaskRule(
        "landline",
        "固定电话",
        "any value: area code and 7–8 digits, written 0573-87654321, 0573 87654321, (0573)87654321 "
        "or 057387654321; the area code (with a dash; else its first 3 digits) and the last 2 kept",
        ("0573-87654321", "0573-******21"),
    ),
    MaskRule(
        "person_name",
        "姓名",
        f"`name` of each item of {', '.join(sorted(p for p in PEOPLE_LISTS if p.isascii()))}; "
        f"the fields {', '.join(sorted(PERSON_FIELDS))} (or their `name` when they hold a "
        "mapping, as `contact: {name: …}`); the surname (first character) kept",
        ("张三丰", "张**"),
    ),
)


def mask_text(text: str) -> str:
    """``text`` with every ID, mobile and landline number in it masked."""
    for pattern, mask in _PATTERNS:
        text = pattern.sub(mask, text)
    return text


def mask_name(name: str) -> str:
    """A person's name with only its first character (the surname) kept: 张三 → 张*."""
    name = name.strip()
    return name[:1] + "*" * max(1, len(name) - 1) if name else name


def mask_record(record: Any) -> Any:
    """A copy of ``record`` with the personal data of :data:`MASKING_RULES` masked."""
    return _walk(record, person=False)


def _walk(value: Any, person: bool) -> Any:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = str(key)
            if isinstance(item, str) and (name in PERSON_FIELDS or (person and name == "name")):
                out[name] = mask_name(mask_text(item))
            elif name in PEOPLE_LISTS and isinstance(item, list):
                out[name] = [_walk(i, person=True) for i in item]
            elif name in PERSON_FIELDS and isinstance(item, (Mapping, list, tuple)):
                out[name] = _walk(item, person=True)  # contact: {name: 张三, phone: …}
            else:
                out[name] = _walk(item, person=False)
        return out
    if isinstance(value, (list, tuple)):
        return [_walk(v, person) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        text = str(value)
        masked = mask_text(text)
        return masked if masked != text else value
    return value
