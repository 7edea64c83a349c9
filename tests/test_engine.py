"""The engine and the report: outcomes, verdicts, citations, the JSON shape."""

from __future__ import annotations

import json
from datetime import date
from types import GeneratorType

import pytest

from policyengine import Engine, Outcome, RecordError, Verdict, load_pack

AS_OF = date(2023, 9, 28)


def test_the_example_is_compliant(lanzhou: Engine, lanzhou_example: dict) -> None:
    report = lanzhou.evaluate(lanzhou_example, as_of=AS_OF)
    assert report.verdict is Verdict.COMPLIANT
    assert all(f.outcome is Outcome.PASS for f in report.findings)


def test_a_missing_field_gives_unknown_and_incomplete(lanzhou: Engine, lanzhou_example: dict) -> None:
    del lanzhou_example["community"]["site"]["area_m2"]
    report = lanzhou.evaluate(lanzhou_example, as_of=AS_OF)
    finding = report.finding("community.service_area")
    assert finding.outcome is Outcome.UNKNOWN
    assert finding.missing == ("community.site.area_m2",)
    assert report.verdict is Verdict.INCOMPLETE


def test_a_failure_cites_its_clause_and_shows_the_values(lanzhou: Engine, lanzhou_example: dict) -> None:
    lanzhou_example["community"]["site"]["area_m2"] = 280
    report = lanzhou.evaluate(lanzhou_example, as_of=AS_OF)
    f = report.finding("community.service_area")
    assert f.outcome is Outcome.FAIL
    assert f.citation.clause == "七(一)3"
    assert f.citation.quote == "服务面积不低于300平方米"
    assert f.message["zh"] == "社区服务面积 280 平方米,低于 300 平方米"
    assert [(t.text, t.left, t.right) for t in f.trace] == [
        ("community.site.area_m2 >= param.min_service_area_m2", 280, 300)
    ]
    assert report.verdict is Verdict.NON_COMPLIANT


def test_a_failed_info_rule_does_not_make_the_subject_non_compliant(
    lanzhou: Engine, lanzhou_example: dict
) -> None:
    lanzhou_example["operator"]["projects_completed"] = 0
    report = lanzhou.evaluate(lanzhou_example, as_of=AS_OF)
    assert report.finding("operator.experience").outcome is Outcome.FAIL
    assert report.verdict is Verdict.COMPLIANT


def test_failure_outranks_unknown(lanzhou: Engine, lanzhou_example: dict) -> None:
    lanzhou_example["community"]["site"]["area_m2"] = 280
    del lanzhou_example["operator"]
    assert lanzhou.evaluate(lanzhou_example, as_of=AS_OF).verdict is Verdict.NON_COMPLIANT


def test_report_json_names_pack_version_hash_and_date(lanzhou: Engine, lanzhou_example: dict) -> None:
    data = json.loads(
        json.dumps(lanzhou.evaluate(lanzhou_example, as_of=AS_OF).to_dict(), ensure_ascii=False)
    )
    assert data["schema"] == "policyengine.report/2"
    assert data["as_of"] == "2023-09-28"
    [pack] = data["packs"]
    assert pack["id"] == "lanzhou_2022" and pack["version"] == "1.2.0"
    assert pack["content_hash"].startswith("sha256:") and len(pack["content_hash"]) == 71
    assert data["subject"] == {
        "kind": "project",
        "id": "LZ-2022-CG-01",
        "name": '城关区示例社区"三社联动"试点项目',
    }
    for f in data["findings"]:
        assert f["citation"]["clause"] and f["citation"]["document"]
        assert f["trace"], f["rule"]


def test_decimal_values_survive_json_as_exact_text(write_pack) -> None:
    pack = load_pack(
        write_pack("""\
rules:
  - id: share
    title: 比例
    subject: funding
    require: funds.purchase_services <= 0.03 * funds.social_assistance
    cite: {clause: "1", quote: 3%}
    message: "{funds.purchase_services}"
""")
    )
    report = Engine([pack]).evaluate(
        {
            "kind": "funding",
            "funds": {"social_assistance": "5210.00", "purchase_services": "156.31"},
        },
        as_of=AS_OF,
    )
    [entry] = report.to_dict()["findings"][0]["trace"]
    assert entry == {
        "text": "funds.purchase_services <= 0.03 * funds.social_assistance",
        "op": "<=",
        "left": "156.31",
        "right": "156.3",
        "result": False,
    }


def test_bad_record_raises_record_error_naming_the_field(lanzhou: Engine) -> None:
    with pytest.raises(RecordError) as err:
        lanzhou.evaluate({"kind": "project", "budget": {"total": "lots"}}, as_of=AS_OF)
    assert err.value.problems[0].location.path == "budget.total"


def test_evaluate_many_is_lazy(lanzhou: Engine, lanzhou_example: dict) -> None:
    seen: list[int] = []

    def records():  # type: ignore[no-untyped-def]
        for i in range(3):
            seen.append(i)
            yield lanzhou_example

    stream = lanzhou.evaluate_many(records(), as_of=AS_OF)
    assert isinstance(stream, GeneratorType) and seen == []
    first = next(stream)
    assert seen == [0] and first.verdict is Verdict.COMPLIANT
    assert len(list(stream)) == 2


def test_records_of_a_kind_no_rule_covers_are_not_assessed_never_compliant(lanzhou: Engine) -> None:
    report = lanzhou.evaluate({"kind": "station", "name": "x"}, as_of=AS_OF)
    assert report.findings == () and report.verdict is Verdict.NOT_ASSESSED
    assert report.evaluated == 0 and report.to_dict()["rules_evaluated"] == 0


def test_evaluation_is_deterministic(lanzhou: Engine, lanzhou_example: dict) -> None:
    a = lanzhou.evaluate(lanzhou_example, as_of=AS_OF).to_dict()
    b = lanzhou.evaluate(lanzhou_example, as_of=AS_OF).to_dict()
    assert a == b
