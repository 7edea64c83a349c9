"""The JSON Schemas ``policyengine schema`` prints accept what the engine accepts, and refuse
what it refuses, checked with a real validator (jsonschema, draft 2020-12, formats checked):
every shipped example record, inline case record and case file validates; bounds, coded values,
amounts and dates agree with the models."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from pydantic import BaseModel

from policyengine import RecordError
from policyengine.cli import main
from policyengine.models import BUILTIN_SUBJECTS, validate_record
from policyengine.models.base import LabelledChoice
from policyengine.models.introspect import field_type_info

ROOT = Path(__file__).resolve().parent.parent
PACKS = ROOT / "packs"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
CJK = re.compile(r"[\u4e00-\u9fff]")


@functools.cache
def schema(target: str) -> dict[str, Any]:
    """What `policyengine schema TARGET` prints."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["schema", target]) == 0
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def validator(target: str) -> Draft202012Validator:
    return Draft202012Validator(schema(target), format_checker=Draft202012Validator.FORMAT_CHECKER)


def errors(target: str, instance: Any) -> list[str]:
    return [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(target).iter_errors(instance)
    ]


def as_json(value: Any) -> Any:
    """A YAML value as JSON (and a YAML editor) has it: dates are text."""
    if isinstance(value, dict):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def load(path: Path) -> Any:
    return as_json(yaml.safe_load(path.read_text(encoding="utf-8")))


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


EXAMPLES = sorted([*PACKS.glob("*/examples/*.yaml"), *PACKS.glob("*/examples/*.yml")])
EVENT_LOGS = sorted(PACKS.glob("*/examples/*.jsonl"))
CASE_FILES = sorted([*PACKS.glob("*/tests/*.yaml"), *PACKS.glob("*/tests/*.yml")])


def example_records() -> Iterator[Any]:
    for path in EXAMPLES:
        data = load(path)
        for i, record in enumerate(data if isinstance(data, list) else [data]):
            yield pytest.param(record, id=f"{rel(path)}[{i}]")


def inline_case_records() -> Iterator[Any]:
    """Cases' `record:`s that are whole records (not patched afterwards)."""
    for path in CASE_FILES:
        for case in load(path).get("cases", []):
            if isinstance(case.get("record"), dict) and not case.get("patch"):
                yield pytest.param(case["record"], id=f"{rel(path)}: {case['name']}")


def test_there_is_something_to_check() -> None:
    assert len(EXAMPLES) >= 13 and len(CASE_FILES) >= 10 and EVENT_LOGS
    assert len(list(inline_case_records())) >= 4


@pytest.mark.parametrize(
    "target",
    ["station", "project", "organization", "community", "funding", "events", "case", "pack", "report"],
)
def test_each_schema_is_valid_draft_2020_12(target: str) -> None:
    assert schema(target)["$schema"] == DRAFT
    Draft202012Validator.check_schema(schema(target))


@pytest.mark.parametrize("record", list(example_records()))
def test_every_example_record_validates_against_its_kind(record: dict[str, Any]) -> None:
    assert errors(record["kind"], record) == []
    validate_record(record, BUILTIN_SUBJECTS)  # and the engine takes it too


@pytest.mark.parametrize("record", list(inline_case_records()))
def test_inline_case_records_validate_against_their_kind(record: dict[str, Any]) -> None:
    assert errors(record["kind"], record) == []


@pytest.mark.parametrize("path", CASE_FILES, ids=rel)
def test_every_case_file_validates(path: Path) -> None:
    assert errors("case", load(path)) == []


@pytest.mark.parametrize("path", EVENT_LOGS, ids=rel)
def test_every_example_event_validates(path: Path) -> None:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            assert errors("events", json.loads(line)) == []


def test_a_case_file_with_an_unknown_key_or_outcome_is_refused() -> None:
    case = {"name": "x", "as_of": "2023-01-01", "record_file": "a.yaml", "expect": {"rules": {"r": "pass"}}}
    assert errors("case", {"cases": [case]}) == []
    assert errors("case", {"cases": [{**case, "expect": {"rules": {"r": "passed"}}}]})
    assert errors("case", {"cases": [{**case, "expects": {}}]})
    assert errors("case", {"cases": []})


# Bounds: pydantic's ge/le must reach the schema as minimum/maximum.
@pytest.mark.parametrize(
    ("kind", "record"),
    [
        ("station", {"equipment": {"computers": -1}}),
        ("station", {"site": {"office_desks": -3}}),
        ("organization", {"rating": {"level": 6}}),
        ("funding", {"year": 1989}),
        ("project", {"outputs": {"satisfaction_rate": 100.5}}),
    ],
)
def test_out_of_bounds_numbers_are_refused_by_schema_and_engine(kind: str, record: dict[str, Any]) -> None:
    record = {"kind": kind, **record}
    assert errors(kind, record)
    with pytest.raises(RecordError):
        validate_record(record, BUILTIN_SUBJECTS)


def choice_paths(model: type[BaseModel]) -> Iterator[tuple[list[str | int], type[LabelledChoice]]]:
    """A path to each coded field reachable from a subject (each model visited once)."""
    seen: set[type[BaseModel]] = set()

    def walk(m: type[BaseModel], prefix: list[str | int]) -> Iterator[Any]:
        seen.add(m)
        for name, info in m.model_fields.items():
            t, path = field_type_info(info.annotation), [*prefix, name]
            while t.kind == "list" and t.item is not None:
                t, path = t.item, [*path, 0]
            if t.enum is not None and issubclass(t.enum, LabelledChoice):
                yield path, t.enum
            elif t.kind == "model" and t.model is not None and t.model not in seen:
                yield from walk(t.model, path)

    yield from walk(model, [])


def record_with(kind: str, path: list[str | int], value: Any) -> dict[str, Any]:
    node: Any = value
    for step in reversed(path):
        node = [node] if isinstance(step, int) else {step: node}
    return {"kind": kind, **node}


def value_at(obj: Any, path: list[str | int]) -> Any:
    for step in path:
        obj = obj[step] if isinstance(step, int) else getattr(obj, step)
    return obj


CHOICES = [
    pytest.param(kind, path, enum, id=f"{kind}.{'.'.join(map(str, path))}")
    for kind, model in sorted(BUILTIN_SUBJECTS.items())
    for path, enum in choice_paths(model)
]


def test_every_coded_value_type_of_the_records_is_checked_below() -> None:
    record_modules = ("policyengine.models.codes", "policyengine.models.components")
    record_modules += ("policyengine.models.subjects",)
    defined = {c for c in LabelledChoice.__subclasses__() if c.__module__ in record_modules}
    assert {p.values[2] for p in CHOICES} == defined and len(defined) >= 6


@pytest.mark.parametrize(("kind", "path", "enum"), CHOICES)
def test_codes_labels_and_synonyms_validate_and_mean_the_same(
    kind: str, path: list[str | int], enum: type[LabelledChoice]
) -> None:
    for text, code in enum.accepted().items():
        record = record_with(kind, path, text)
        assert errors(kind, record) == [], text
        assert value_at(validate_record(record, BUILTIN_SUBJECTS), path) == code


@pytest.mark.parametrize(("kind", "path", "enum"), CHOICES)
def test_a_value_neither_code_nor_label_is_refused(
    kind: str, path: list[str | int], enum: type[LabelledChoice]
) -> None:
    for text in ["不存在的值", "Public_Tender", ""]:
        record = record_with(kind, path, text)
        assert errors(kind, record), text
        with pytest.raises(RecordError):
            validate_record(record, BUILTIN_SUBJECTS)


def test_a_label_shows_beside_each_code_for_editors() -> None:
    level = schema("station")["$defs"]["StationLevel"]
    shown = dict(zip(level["enum"], level["enumDescriptions"], strict=True))
    assert shown["county_centre"] == shown["县级社工总站"] == "县级社工总站(county_centre)"
    assert level["x-labels"]["county_centre"] == "县级社工总站"


AMOUNTS_OK = [
    300000,
    0,
    156.3,
    "300000",
    "300,000",
    "30万",
    "108.8万元",
    "¥1,000",
    "0.4万",
    "1.5亿",
    " 30 万 ",
]
AMOUNTS_BAD = [-5, "-5", "三十万", True, "1e400", "2万亿元", "30万美元", 10**13]


@pytest.mark.parametrize("written", AMOUNTS_OK, ids=repr)
def test_amounts_as_people_write_them_validate(written: Any) -> None:
    record = {"kind": "funding", "funds": {"social_assistance": written}}
    assert errors("funding", record) == []
    validate_record(record, BUILTIN_SUBJECTS)


@pytest.mark.parametrize("written", AMOUNTS_BAD, ids=repr)
def test_unusable_amounts_are_refused_by_schema_and_engine(written: Any) -> None:
    record = {"kind": "funding", "funds": {"social_assistance": written}}
    assert errors("funding", record)
    with pytest.raises(RecordError):
        validate_record(record, BUILTIN_SUBJECTS)


@pytest.mark.parametrize(
    ("written", "ok"),
    [
        (280, True),
        ("280", True),
        ("1,280.5", True),
        (-1, False),
        ("-1", False),
        ("二百八十", False),
        ("280㎡", False),
    ],
)
def test_quantities_agree(written: Any, ok: bool) -> None:
    record = {"kind": "station", "site": {"area_m2": written}}
    assert (errors("station", record) == []) is ok
    if ok:
        validate_record(record, BUILTIN_SUBJECTS)
    else:
        with pytest.raises(RecordError):
            validate_record(record, BUILTIN_SUBJECTS)


@pytest.mark.parametrize(
    ("written", "ok"),
    [
        ("2022-09-27", True),
        ("2022年9月27日", True),
        ("2022/9/27", True),
        ("2022.9.27", True),
        ("2022-13-01", False),
        ("27/9/2022", False),
        ("昨天", False),
    ],
)
def test_dates_agree(written: str, ok: bool) -> None:
    record = {"kind": "station", "established": written}
    assert (errors("station", record) == []) is ok
    if ok:
        validate_record(record, BUILTIN_SUBJECTS)
    else:
        with pytest.raises(RecordError):
            validate_record(record, BUILTIN_SUBJECTS)


def object_schemas(s: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    yield s["title"], s
    for name, d in s.get("$defs", {}).items():
        if d.get("type") == "object":
            yield name, d


@pytest.mark.parametrize("kind", sorted(BUILTIN_SUBJECTS))
def test_every_subject_and_field_has_a_chinese_title_and_a_description(kind: str) -> None:
    s = schema(kind)
    assert s["title"] == BUILTIN_SUBJECTS[kind].kind_title["zh"] and s["description"]
    for where, obj in object_schemas(s):
        for name, prop in obj["properties"].items():
            assert CJK.search(prop.get("title", "")), f"{where}.{name} has no Chinese title"
            assert prop.get("description"), f"{where}.{name} has no description"


@pytest.mark.parametrize("kind", sorted(BUILTIN_SUBJECTS))
def test_no_pydantic_keyword_leaks_into_a_schema(kind: str) -> None:
    text = json.dumps(schema(kind))
    assert not re.search(r'"(ge|le|gt|lt|multiple_of)": ', text)
