"""One verdict per subject: ``evaluate --events`` and ``evaluate_with_events`` run the record's
rules and its packs' monitors over the events that name it, in one report.

The Hunan example project runs 2022-01-01..2023-12-31; its oversight log has monthly
monitoring April–December 2022 and scheduling in Q2–Q4 only. 湖南发言三: "每月监测、每季度调度".
Worked out by hand: as of 2022-12-31, with the window from the project's start, January,
February and March fail monthly monitoring and Q1 fails quarterly scheduling."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from policyengine import Engine, Outcome, Verdict, evaluate_with_events
from policyengine.errors import PolicyEngineError
from policyengine.monitor import read_events
from policyengine.monitor.api import durable_available

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "packs/hunan/examples/project.yaml"
LOG = ROOT / "packs/hunan/examples/oversight-2022.jsonl"
DEC31 = date(2022, 12, 31)
MONTHLY, QUARTERLY = "oversight.monthly_monitoring", "oversight.quarterly_scheduling"
BACKENDS = ["plain", "durable"] if durable_available()[0] else ["plain"]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "policyengine.cli", *args], capture_output=True, text=True, cwd=ROOT
    )


def project(**changes: Any) -> dict[str, Any]:
    return {**yaml.safe_load(PROJECT.read_text(encoding="utf-8")), **changes}


def monitor_outcomes(report: Any) -> dict[tuple[str, str], str]:
    return {(f.rule, f.period): f.outcome.value for f in report.findings if f.origin == "monitor"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_record_and_its_log_give_one_verdict_with_the_missing_months_failing(backend: str) -> None:
    engine = Engine.from_packs(["hunan"])
    report = evaluate_with_events(engine, project(), read_events(LOG), as_of=DEC31, backend=backend)
    found = monitor_outcomes(report)
    months = {p: o for (m, p), o in found.items() if m == MONTHLY}
    assert months == {f"2022-{m:02d}": "fail" if m <= 3 else "pass" for m in range(1, 13)}
    quarters = {p: o for (m, p), o in found.items() if m == QUARTERLY}
    assert quarters == {"2022-Q1": "fail", "2022-Q2": "pass", "2022-Q3": "pass", "2022-Q4": "pass"}
    # the record's own rules are in the same report, and they all pass or do not apply
    rules = [f for f in report.findings if f.origin == "rule"]
    assert rules and all(f.outcome in (Outcome.PASS, Outcome.NOT_APPLICABLE) for f in rules)
    assert engine.evaluate(project(), as_of=DEC31).verdict is Verdict.COMPLIANT
    assert report.verdict is Verdict.NON_COMPLIANT  # only the log makes it fail
    assert report.monitoring is not None
    assert (report.monitoring.start, report.monitoring.until, report.monitoring.events) == (
        date(2022, 1, 1),
        DEC31,
        12,
    )


def test_a_complete_log_makes_the_subject_compliant() -> None:
    log = [{"type": "monitoring", "date": f"2022-{m:02d}-05", "project": "HN-2022-01"} for m in range(1, 13)]
    log += [
        {"type": "scheduling", "date": f"2022-{m:02d}-06", "project": "HN-2022-01"} for m in (2, 5, 8, 11)
    ]
    report = evaluate_with_events(Engine.from_packs(["hunan"]), project(), log, as_of=DEC31, backend="plain")
    assert set(monitor_outcomes(report).values()) == {"pass"}
    assert len(monitor_outcomes(report)) == 16
    assert report.verdict is Verdict.COMPLIANT


def test_a_project_with_no_event_at_all_fails_each_whole_period_of_its_own_so_far() -> None:
    report = evaluate_with_events(
        Engine.from_packs(["hunan"]), project(), [], as_of=date(2022, 6, 30), backend="plain"
    )
    assert monitor_outcomes(report) == {
        **{(MONTHLY, f"2022-{m:02d}"): "fail" for m in range(1, 7)},
        (QUARTERLY, "2022-Q1"): "fail",
        (QUARTERLY, "2022-Q2"): "fail",
    }
    assert report.verdict is Verdict.NON_COMPLIANT


def test_only_the_events_naming_this_subject_count() -> None:
    other = [{"type": "monitoring", "date": f"2022-{m:02d}-05", "project": "OTHER"} for m in range(1, 4)]
    engine = Engine.from_packs(["hunan"])
    alone = evaluate_with_events(engine, project(), read_events(LOG), as_of=DEC31, backend="plain")
    mixed = evaluate_with_events(engine, project(), [*read_events(LOG), *other], as_of=DEC31, backend="plain")
    assert mixed.to_dict() == alone.to_dict()


def test_from_overrides_the_record_period_start() -> None:
    report = evaluate_with_events(
        Engine.from_packs(["hunan"]),
        project(),
        read_events(LOG),
        as_of=DEC31,
        start=date(2022, 4, 1),
        backend="plain",
    )
    assert "fail" not in monitor_outcomes(report).values()
    assert report.monitoring is not None and report.monitoring.start == date(2022, 4, 1)


def test_before_the_project_starts_nothing_is_judged_by_the_monitors() -> None:
    report = evaluate_with_events(
        Engine.from_packs(["hunan"]), project(), [], as_of=date(2021, 12, 31), backend="plain"
    )
    assert monitor_outcomes(report) == {}
    assert report.monitoring is not None and report.monitoring.packs == ()


def test_a_pack_out_of_scope_runs_no_monitors_for_the_record() -> None:
    sichuan = project(region={"province": "四川省", "city": "成都市"})
    report = evaluate_with_events(Engine.from_packs(["hunan"]), sichuan, read_events(LOG), as_of=DEC31)
    assert monitor_outcomes(report) == {}
    assert report.verdict is Verdict.NOT_ASSESSED


def test_the_cli_and_the_api_give_the_same_report() -> None:
    out = cli(
        "evaluate", "-p", "hunan", str(PROJECT), "--as-of", "2022-12-31", "--events", str(LOG), "-f", "json"
    )
    assert out.returncode == 1, out.stderr  # non-compliant
    api = evaluate_with_events(Engine.from_packs(["hunan"]), project(), read_events(LOG), as_of=DEC31)
    shown = json.loads(out.stdout)
    assert shown == json.loads(json.dumps(api.to_dict(), default=str))
    assert shown["monitoring"] == {
        "from": "2022-01-01",
        "until": "2022-12-31",
        "events": 12,
        "packs": ["hunan"],
    }
    monitors = [f for f in shown["findings"] if f["origin"] == "monitor"]
    assert {f["period"] for f in monitors if f["outcome"] == "fail"} == {
        "2022-01",
        "2022-02",
        "2022-03",
        "2022-Q1",
    }
    assert all(f["events"] for f in monitors if f["outcome"] == "pass")


def test_the_table_says_what_was_evaluated_and_observed() -> None:
    out = cli("evaluate", "-p", "hunan", str(PROJECT), "--as-of", "2022-12-31", "--events", str(LOG))
    assert out.returncode == 1
    assert "已评估规则 6 条、监测结论 16 条" in out.stdout
    assert "监测窗口 2022-01-01 至 2022-12-31,本对象事件 12 条" in out.stdout
    assert "在 2022-01 没有月度监测记录" in out.stdout
    en = cli(
        "evaluate",
        "-p",
        "hunan",
        str(PROJECT),
        "--as-of",
        "2022-12-31",
        "--events",
        str(LOG),
        "--lang",
        "en",
        "-f",
        "markdown",
    )
    assert "6 rules evaluated; 16 monitor findings" in en.stdout
    assert "`oversight.monthly_monitoring 2022-01`" in en.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["-p", "fujian", "packs/hunan/examples/project.yaml", "--ignore-scope"],
            "none of these packs has monitors",
        ),
        (["-p", "hunan", "packs/hunan/examples/funding.yaml"], "events name projects and stations"),
    ],
)
def test_bad_combinations_are_refused_with_exit_2_and_what_to_do(args: list[str], says: str) -> None:
    out = cli("evaluate", *args, "--as-of", "2022-12-31", "--events", str(LOG))
    assert out.returncode == 2, out.stdout + out.stderr
    assert says in out.stderr and "Traceback" not in out.stderr
    assert "--events" in out.stderr  # the hint says what to do


def test_a_log_without_events_of_this_subject_leaves_event_window_monitors_with_nothing_to_judge() -> None:
    """lanzhou_2022's only monitor (at most N departures in a window) judges events, not
    periods: with no event naming the project it concludes nothing, and the verdict is the
    record's own."""
    record = ROOT / "packs/lanzhou_2022/examples/project.yaml"
    alone = cli("evaluate", "-p", "lanzhou_2022", str(record), "--as-of", "2023-09-28", "-f", "json")
    both = cli(
        "evaluate",
        "-p",
        "lanzhou_2022",
        str(record),
        "--as-of",
        "2023-09-28",
        "-f",
        "json",
        "--events",
        str(LOG),
    )
    assert both.returncode == alone.returncode, both.stderr
    combined = json.loads(both.stdout)
    assert combined["monitoring"]["events"] == 0 and combined["monitoring"]["packs"] == ["lanzhou_2022"]
    assert combined["findings"] == json.loads(alone.stdout)["findings"]


def test_from_without_events_is_refused() -> None:
    out = cli("evaluate", "-p", "hunan", str(PROJECT), "--from", "2022-01-01")
    assert out.returncode == 2 and "--from needs --events" in out.stderr


def test_a_record_without_an_id_cannot_be_matched_to_events() -> None:
    record = project()
    del record["id"]
    with pytest.raises(PolicyEngineError, match="no id"):
        evaluate_with_events(Engine.from_packs(["hunan"]), record, [], as_of=DEC31)
