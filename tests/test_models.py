"""Subject models: exact money, Chinese input forms, unknown keys with suggestions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from policyengine import RecordError
from policyengine.models import BUILTIN_SUBJECTS, Certification, validate_record


def funds(value: object) -> Decimal:
    rec = validate_record({"kind": "funding", "funds": {"social_assistance": value}}, BUILTIN_SUBJECTS)
    return rec.funds.social_assistance  # type: ignore[attr-defined,no-any-return]


@pytest.mark.parametrize(
    ("written", "yuan"),
    [
        (300000, Decimal("300000")),
        ("300,000", Decimal("300000")),
        ("30万", Decimal("300000")),
        ("108.8万元", Decimal("1088000")),
        ("¥1,000", Decimal("1000")),
        ("0.4万", Decimal("4000")),
        (156.3, Decimal("156.3")),  # a float goes through its shortest text, not binary noise
        ("1.5亿", Decimal("150000000")),
    ],
)
def test_amounts_as_people_write_them(written: object, yuan: Decimal) -> None:
    assert funds(written) == yuan


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "-5", "三十万", True, "1e400", "2万亿元"])
def test_unusable_amounts_are_refused_naming_the_field(bad: object) -> None:
    with pytest.raises(RecordError) as err:
        funds(bad)
    assert err.value.problems[0].location.path == "funds.social_assistance"


def test_unknown_keys_are_errors_with_did_you_mean() -> None:
    with pytest.raises(RecordError) as err:
        validate_record({"kind": "station", "site": {"area_m3": 280}, "staf": []}, BUILTIN_SUBJECTS)
    rendered = {p.location.path: p.hint for p in err.value.problems}
    assert rendered == {"site.area_m3": "did you mean `area_m2`?", "staf": "did you mean `staff`?"}


def test_chinese_labels_and_dates_are_accepted() -> None:
    rec = validate_record(
        {
            "kind": "station",
            "level": "县级社工总站",
            "established": "2022年9月27日",
            "staff": [{"certification": "中级"}, {"certification": "助理社会工作师"}],
        },
        BUILTIN_SUBJECTS,
    )
    assert rec.level == "county_centre"  # type: ignore[attr-defined]
    assert rec.established == date(2022, 9, 27)  # type: ignore[attr-defined]
    assert [s.certification for s in rec.staff] == [  # type: ignore[attr-defined]
        Certification.intermediate,
        Certification.assistant,
    ]


def test_impossible_date_is_refused() -> None:
    with pytest.raises(RecordError) as err:
        validate_record({"kind": "station", "established": "2022年2月30日"}, BUILTIN_SUBJECTS)
    assert "not a real date" in err.value.render()


def test_record_kind_is_required_and_checked() -> None:
    with pytest.raises(RecordError, match="does not say what it is"):
        validate_record({"name": "x"}, BUILTIN_SUBJECTS)
    with pytest.raises(RecordError, match="did you mean `station`"):
        validate_record({"kind": "staton"}, BUILTIN_SUBJECTS)


def test_records_are_immutable() -> None:
    rec = validate_record({"kind": "station", "name": "a"}, BUILTIN_SUBJECTS)
    with pytest.raises(Exception, match="frozen"):
        rec.name = "b"  # type: ignore[misc]


def test_every_field_has_a_chinese_title() -> None:
    from pydantic import BaseModel

    seen: set[type] = set()
    untitled: list[str] = []

    def walk(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        from policyengine.models.introspect import field_type_info

        for name, info in model.model_fields.items():
            if name != "kind" and not info.title:
                untitled.append(f"{model.__name__}.{name}")
            t = field_type_info(info.annotation)
            while t.kind == "list" and t.item is not None:
                t = t.item
            if t.kind == "model" and t.model is not None:
                walk(t.model)

    for subject in BUILTIN_SUBJECTS.values():
        walk(subject)
    assert untitled == []
