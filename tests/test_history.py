"""The decision history and its rectification ledger, on SQLite and on a real PostgreSQL server
(every test taking ``history_url`` runs on both; see test_history_databases.py)."""

from __future__ import annotations

import copy
import json
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from policyengine import Engine
from policyengine.cli import main
from policyengine.errors import PolicyEngineError
from policyengine.evaluate.report import Finding, PackRef, Report, SubjectRef
from policyengine.history import (
    MASKING_RULES,
    History,
    Region,
    Scope,
    mask_record,
    quarterly_trend,
    rectification_items,
    render_trend,
    stored_input,
    subject_evaluations,
    update_item,
)
from policyengine.outcomes import Citation, Outcome
from test_history_databases import free_port, history_url, new_database

__all__ = ["history_url"]  # the fixture, imported

ROOT = Path(__file__).resolve().parent.parent
STATION = yaml.safe_load(
    (ROOT / "packs" / "haining" / "examples" / "station.yaml").read_text(encoding="utf-8")
)
RULE = "volunteers.per_worker"


def failing_station() -> dict[str, Any]:
    record = copy.deepcopy(STATION)
    record["volunteers"] = {"registered": 5, "regular": 2}  # fewer than 5 per social worker
    return record


@pytest.fixture(scope="module")
def haining() -> Engine:
    return Engine.from_packs(["haining"])


@pytest.fixture
def history(history_url: str) -> Any:
    h = History(history_url, keep_inputs=True)
    yield h
    h.close()


def record(history: History, engine: Engine, rec: dict[str, Any], as_of: date, **kw: Any) -> Any:
    report = engine.evaluate(rec, as_of=as_of)
    return history.record(report, record=rec, region=Region.of(rec.get("region")), **kw)


def test_a_station_that_fails_then_is_fixed_opens_then_closes_one_item(
    history: History, haining: Engine
) -> None:
    first = record(history, haining, failing_station(), date(2023, 3, 31))
    assert len(first.moves.opened) == 1 and not first.moves.closed
    [item] = rectification_items(history, open_only=True)
    assert (item.subject_id, item.pack, item.rule, item.rounds) == ("HN-ZJ-01", "haining", RULE, 1)
    assert item.title["zh"] == "每名社工发展5名常态化志愿者"
    fixed = record(history, haining, STATION, date(2023, 6, 30))
    assert fixed.moves.closed == [item.id] and not fixed.moves.opened
    assert rectification_items(history, open_only=True) == []
    [done] = rectification_items(history)
    assert done.status == "closed" and done.closed_on == date(2023, 6, 30)
    assert (done.opened_evaluation_id, done.closed_evaluation_id) == (
        first.evaluation_id,
        fixed.evaluation_id,
    )
    evaluations = subject_evaluations(history, "HN-ZJ-01")
    assert [(e.id, e.verdict) for e in evaluations] == [
        (first.evaluation_id, "non_compliant"),
        (fixed.evaluation_id, "compliant"),
    ]


def test_what_is_stored_of_an_evaluation(history: History, haining: Engine) -> None:
    report = haining.evaluate(STATION, as_of=date(2023, 6, 30))
    done = history.record(
        report, record=STATION, region=Region.of(STATION["region"]), source="api", recorded_by="t"
    )
    [ev] = subject_evaluations(history, "HN-ZJ-01")
    assert ev.id == done.evaluation_id and (ev.source, ev.recorded_by) == ("api", "t")
    assert (ev.subject_kind, ev.subject_name, ev.as_of) == (
        "station",
        "示例街道社会工作站",
        date(2023, 6, 30),
    )
    assert ev.region == "浙江省 嘉兴市 海宁市"
    [pack] = report.packs
    assert ev.packs == [{"id": "haining", "version": pack.version, "content_hash": pack.content_hash}]
    assert [(f["rule"], f["outcome"]) for f in ev.findings] == [
        (f.rule, f.outcome.value) for f in report.findings
    ]
    assert ev.rules_evaluated == report.evaluated and ev.verdict == "compliant"
    assert ev.input_hash.startswith("sha256:") and ev.input_stored
    again = history.record(report, record=copy.deepcopy(STATION), region=Region.of(STATION["region"]))
    [_, second] = subject_evaluations(history, "HN-ZJ-01")
    assert second.id == again.evaluation_id and second.input_hash == ev.input_hash
    other = history.record(report, record=failing_station(), region=Region())
    assert subject_evaluations(history, "HN-ZJ-01")[2].input_hash != ev.input_hash
    assert other.evaluation_id > again.evaluation_id


def test_inputs_are_kept_only_when_configured_and_then_masked(history_url: str, haining: Engine) -> None:
    rec = failing_station()
    rec["staff"][0].update(id="330481199001011234", name="张三丰")
    rec["operator"]["name"] = "联系电话 13812345678 的服务社"
    report = haining.evaluate(rec, as_of=date(2023, 3, 31))
    plain = History(history_url)
    first = plain.record(report, record=rec)
    assert stored_input(plain, first.evaluation_id) is None
    plain.close()
    keeping = History(history_url, keep_inputs=True)
    kept = stored_input(keeping, keeping.record(report, record=rec).evaluation_id)
    keeping.close()
    assert kept["staff"][0]["id"] == "330481********1234"
    assert kept["staff"][0]["name"] == "张**"
    assert kept["operator"]["name"] == "联系电话 138****5678 的服务社"
    assert kept["staff"][1] == rec["staff"][1]  # no personal data: kept as given
    assert "199001011234" not in json.dumps(kept) and "12345678" not in json.dumps(kept)


@pytest.mark.parametrize("rule", MASKING_RULES, ids=lambda r: r.name)
def test_each_masking_rule_does_what_it_says(rule: Any) -> None:
    value, shown = rule.example
    if rule.name == "person_name":
        assert mask_record({"staff": [{"name": value}], "联系人": value}) == {
            "staff": [{"name": shown}],
            "联系人": shown,
        }
        assert mask_record({"name": value}) == {"name": value}  # a station's name is no person's
    else:
        assert mask_record({"note": f"见 {value}。", "n": [value]}) == {"note": f"见 {shown}。", "n": [shown]}


def test_numbers_that_are_id_or_phone_numbers_are_masked_too() -> None:
    assert mask_record({"phone": 13812345678, "x": 12345}) == {"phone": "138****5678", "x": 12345}


def test_a_person_written_as_a_mapping_has_its_name_masked() -> None:
    record = {
        "contact": {"name": "张三丰", "phone": "13812345678", "title": "站长"},
        "负责人": [{"name": "李四"}],
        "operator": {"name": "某某社工服务中心"},  # an organisation's name stays
    }
    assert mask_record(record) == {
        "contact": {"name": "张**", "phone": "138****5678", "title": "站长"},
        "负责人": [{"name": "李*"}],
        "operator": {"name": "某某社工服务中心"},
    }


@pytest.mark.parametrize(
    ("written", "masked"),
    [
        ("138-1234-5678", "138-****-5678"),
        ("138 1234 5678", "138 **** 5678"),
        ("057188886666", "057*******66"),
        ("(0571)88886666", "(057*)******66"),
        ("电话 0571 88886666", "电话 057* ******66"),
        ("经费300000元", "经费300000元"),  # an amount is not a phone number
    ],
)
def test_phone_numbers_written_with_spaces_dashes_or_brackets_are_masked(written: str, masked: str) -> None:
    assert mask_record({"note": written}) == {"note": masked}


def test_a_rule_failing_again_counts_rounds_and_unknown_or_older_changes_nothing(
    history: History, haining: Engine
) -> None:
    record(history, haining, failing_station(), date(2023, 3, 31))
    again = record(history, haining, failing_station(), date(2023, 4, 30))
    [item] = rectification_items(history)
    assert again.moves.continued == [item.id] and item.rounds == 2 and item.last_on == date(2023, 4, 30)
    missing = failing_station()
    del missing["volunteers"]  # the rule cannot be decided: nothing shows it was fixed
    record(history, haining, missing, date(2023, 5, 31))
    [item] = rectification_items(history)
    assert item.status == "open" and item.rounds == 2
    older = record(history, haining, STATION, date(2023, 1, 31))  # recorded late, dated earlier
    assert older.ledger is False and older.moves.closed == []
    assert rectification_items(history, open_only=True) != []
    assert len(subject_evaluations(history, "HN-ZJ-01")) == 4


def synthetic(
    outcomes: dict[str, tuple[str, str]], as_of: date, subject: str = "S1", pack: str = "p"
) -> Report:
    cite = Citation("doc", "《文件》", "一", "原文")
    findings = tuple(
        Finding(pack, rule, {"zh": rule, "en": rule}, Outcome(o), sev, {"zh": "", "en": ""}, cite)
        for rule, (o, sev) in outcomes.items()
    )
    ref = PackRef(pack, "1.0.0", "sha256:" + "0" * 64, {"zh": "包", "en": "pack"})
    return Report(SubjectRef("station", subject, "站"), (ref,), as_of, findings)


def test_which_findings_open_items_and_which_packs_are_looked_at(history: History) -> None:
    outcomes = {
        "a": ("fail", "error"),
        "b": ("fail", "warning"),
        "c": ("fail", "info"),
        "d": ("unknown", "error"),
    }
    history.record(synthetic(outcomes, date(2023, 1, 1)))
    assert sorted(i.rule for i in rectification_items(history)) == ["a", "b"]
    history.record(synthetic({"a": ("pass", "error")}, date(2023, 2, 1), pack="q"))  # another pack
    assert len(rectification_items(history, open_only=True)) == 2
    history.record(synthetic({"a": ("pass", "error"), "b": ("fail", "warning")}, date(2023, 2, 1)))
    assert [i.rule for i in rectification_items(history, open_only=True)] == ["b"]


def test_a_monitor_rule_fails_if_any_period_fails(history: History) -> None:
    cite = Citation("doc", None, "一", None)
    periods = [("2023-01", Outcome.PASS), ("2023-02", Outcome.FAIL)]
    findings = tuple(
        Finding(
            "p",
            "m",
            {"zh": "m", "en": "m"},
            o,
            "error",
            {"zh": "", "en": ""},
            cite,
            origin="monitor",
            period=p,
        )
        for p, o in periods
    )
    report = Report(
        SubjectRef("station", "S1", None),
        (PackRef("p", "1", "sha256:" + "0" * 64),),
        date(2023, 3, 1),
        findings,
    )
    assert len(history.record(report).moves.opened) == 1
    [ev] = subject_evaluations(history, "S1")
    assert [(f["period"], f["origin"]) for f in ev.findings] == [
        ("2023-01", "monitor"),
        ("2023-02", "monitor"),
    ]


def test_a_record_without_an_id_is_refused(history: History, haining: Engine) -> None:
    rec = copy.deepcopy(STATION)
    del rec["id"]
    with pytest.raises(PolicyEngineError) as caught:
        history.record(haining.evaluate(rec, as_of=date(2023, 6, 30)), record=rec)
    assert caught.value.problems[0].location.path == "id"


def test_concurrent_recordings_of_one_subject_open_one_item(history: History) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                history.record(synthetic({"a": ("fail", "error")}, date(2023, 1, 1)))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    [item] = rectification_items(history)
    assert item.rounds == 20 and len(subject_evaluations(history, "S1")) == 20


def place(county: str, city: str = "嘉兴市", province: str = "浙江省") -> dict[str, str]:
    return {"province": province, "city": city, "county": county}


def test_region_scopes_and_filters(history: History) -> None:
    regions = {
        "S1": place("海宁市"),
        "S2": place("桐乡市"),
        "S3": {"county": "海宁"},
        "S4": place("海宁市", "苏州市", "江苏省"),
    }
    for sid, where in regions.items():
        history.record(
            synthetic({"a": ("fail", "error")}, date(2023, 1, 1), subject=sid), region=Region.of(where)
        )
    history.record(synthetic({"a": ("fail", "error")}, date(2023, 1, 1), subject="S5"))  # no region
    county = Scope.parse("浙江省/嘉兴市/海宁市")
    seen = {i.subject_id for i in rectification_items(history, scope=county)}
    assert seen == {"S1", "S3"}
    # S3 names its county only: it is in the county's scope, not in the city's (it does not say)
    assert {i.subject_id for i in rectification_items(history, region="浙江省/嘉兴市")} == {"S1", "S2"}
    assert {i.subject_id for i in rectification_items(history, region="浙江/嘉兴")} == {"S1", "S2"}
    assert all(county.covers(Region.of(regions[s])) == (s in seen) for s in regions)
    assert subject_evaluations(history, "S2", scope=county) == []
    item = rectification_items(history, subject_id="S2")[0]
    assert update_item(history, item.id, note="x", scope=county) is None
    changed = update_item(history, item.id, deadline=date(2023, 3, 31), note="约谈后限期整改")
    assert changed is not None and (changed.deadline, changed.note) == (date(2023, 3, 31), "约谈后限期整改")
    assert changed.overdue(date(2023, 4, 1)) and not changed.overdue(date(2023, 3, 31))


@pytest.mark.parametrize("text", ["", "浙江省//海宁市", "a/b/c/d/e"])
def test_a_malformed_scope_says_how_to_write_one(text: str) -> None:
    with pytest.raises(PolicyEngineError) as caught:
        Scope.parse(text)
    assert "浙江省/嘉兴市/海宁市" in (caught.value.problems[0].hint or "")


def test_quarterly_trend(history: History) -> None:
    where = Region.of(place("海宁市"))
    for sid, q1, q2 in (("S1", "fail", "pass"), ("S2", "pass", "pass"), ("S3", "fail", "fail")):
        history.record(synthetic({"a": (q1, "error")}, date(2023, 2, 1), subject=sid), region=where)
        history.record(synthetic({"a": (q2, "error")}, date(2023, 5, 1), subject=sid), region=where)
    rows = {r.quarter: r.to_dict() for r in quarterly_trend(history)}
    assert (
        rows["2023-Q1"] | {"compliant": 1, "non_compliant": 2, "opened": 2, "closed": 0, "open_at_end": 2}
        == rows["2023-Q1"]
    )
    assert (
        rows["2023-Q2"]["compliant"] == 2
        and rows["2023-Q2"]["closed"] == 1
        and rows["2023-Q2"]["open_at_end"] == 1
    )
    assert (
        rows["2023-Q2"]["compliance_rate"] == "66.7%" and rows["2023-Q1"]["region"] == "浙江省 嘉兴市 海宁市"
    )
    assert quarterly_trend(history, region="浙江省/嘉兴市/桐乡市") == []
    csv_text = render_trend(quarterly_trend(history), ".csv").decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("季度,地区,对象类型,评估对象数,合规")
    assert "2023-Q2,浙江省 嘉兴市 海宁市,station,3,2,1,0,0,66.7%,0,1,1" in csv_text


def test_the_trend_in_each_format(history: History, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    history.record(
        synthetic({"a": ("fail", "error")}, date(2023, 2, 1)), region=Region.of({"county": "=HYPERLINK(1)"})
    )
    rows = quarterly_trend(history)
    assert render_trend(rows, ".csv").decode("utf-8-sig").splitlines()[1].split(",")[1] == "'=HYPERLINK(1)"
    assert json.loads(render_trend(rows, ".jsonl").splitlines()[0])["opened"] == 1
    assert json.loads(render_trend(rows, ".json"))[0]["quarter"] == "2023-Q1"
    assert "<td>=HYPERLINK(1)</td>" in render_trend(rows, ".html", "en").decode()
    (tmp_path / "t.xlsx").write_bytes(render_trend(rows, ".xlsx"))
    sheet = load_workbook(tmp_path / "t.xlsx").active
    assert (
        sheet["A1"].value == "季度" and sheet["B2"].value == "=HYPERLINK(1)" and sheet["B2"].data_type == "s"
    )
    with pytest.raises(PolicyEngineError):
        render_trend(rows, ".pdf")


def test_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = new_database("sqlite", tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(failing_station(), allow_unicode=True), encoding="utf-8")
    good = ROOT / "packs" / "haining" / "examples" / "station.yaml"
    assert (
        main(["evaluate", "-p", "haining", str(bad), "--as-of", "2023-03-31", "--record", "--db", url]) == 1
    )
    assert "整改事项 新增 1" in capsys.readouterr().err
    assert (
        main(["evaluate", "-p", "haining", str(good), "--as-of", "2023-06-30", "--record", "--db", url]) == 0
    )
    assert "完成 1" in capsys.readouterr().err
    assert main(["history", "HN-ZJ-01", "--db", url, "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(e["as_of"], e["verdict"]) for e in listed] == [
        ("2023-03-31", "non_compliant"),
        ("2023-06-30", "compliant"),
    ]
    assert main(["rectification", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "整改完成" in out and "HN-ZJ-01" in out and "2023-06-30 (#2)" in out
    assert main(["rectification", "--open", "--db", url, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert (
        main(
            [
                "rectification",
                "--item",
                "1",
                "--deadline",
                "2023-05-31",
                "--note",
                "回头看",
                "--db",
                url,
                "--format",
                "json",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)[0]["note"] == "回头看"
    assert main(["rectification", "--trend", "--db", url, "--out", str(tmp_path / "trend.xlsx")]) == 0
    assert (tmp_path / "trend.xlsx").stat().st_size > 0
    assert main(["history", "NOPE", "--db", url]) == 2
    assert main(["rectification", "--region", "浙江//海宁", "--db", url]) == 2
    assert "浙江省/嘉兴市/海宁市" in capsys.readouterr().err


def test_a_database_that_cannot_be_used_is_an_error_not_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    port = free_port()  # nothing listens there
    assert main(["history", "S1", "--db", f"postgresql+psycopg://pe:secret@127.0.0.1:{port}/x"]) == 2
    err = capsys.readouterr().err
    assert "the history database cannot be used" in err and "Traceback" not in err
    assert "secret" not in err and "pe:***@" in err
    assert main(["rectification", "--db", "not a url"]) == 2
    assert "--db" in capsys.readouterr().err


def test_a_subject_evaluated_in_another_region_is_elsewhere_for_a_scoped_token(history: History) -> None:
    history.record(
        synthetic({"a": ("fail", "error")}, date(2023, 1, 1), subject="S2"), region=Region.of(place("桐乡市"))
    )
    haining_county = Scope.parse("浙江省/嘉兴市/海宁市")
    assert history.elsewhere("station", "S2", haining_county)  # 桐乡's station, named from 海宁
    assert not history.elsewhere("station", "S2", Scope.parse("浙江省/嘉兴市/桐乡市"))
    assert not history.elsewhere("station", "S9", haining_county)  # never seen: nothing to protect
    assert not history.elsewhere("project", "S2", haining_county)  # another kind, another subject


def test_an_evaluation_dated_after_tomorrow_moves_nothing_and_freezes_nothing(history: History) -> None:
    history.record(synthetic({"a": ("fail", "error")}, date(2023, 1, 1)))
    future = history.record(synthetic({"a": ("pass", "error")}, date(2205, 1, 1)))
    assert future.ledger is False and future.moves.closed == []
    assert [i.status for i in rectification_items(history)] == ["open"]
    later = history.record(synthetic({"a": ("pass", "error")}, date(2023, 6, 30)))
    assert later.ledger is True and len(later.moves.closed) == 1  # the typo froze nothing
