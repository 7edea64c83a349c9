"""The benchmarks' baselines stay valid and their scripts keep running (no timings asserted)."""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
sys.path.insert(0, str(BENCH))


def test_hand_written_lanzhou_checks_give_the_engines_outcome_for_every_rule() -> None:
    # the ratio engine/hand-written only means something while both check the same thing:
    # a change to the pack that the baseline does not follow fails here, not silently there
    from handwritten import lanzhou
    from throughput import AS_OF, lanzhou_records

    from policyengine import Engine

    engine = Engine.from_packs(["lanzhou_2022"])
    records = lanzhou_records(400, seed=3)
    verdicts: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    for r in records:
        report = engine.evaluate(r, as_of=AS_OF, trace=False)
        got = {f.rule: f.outcome.value for f in report.findings}
        assert got == lanzhou(r, AS_OF), r.id
        verdicts[report.verdict.value] += 1
        outcomes.update(got.values())
    assert set(got) == {rule.id for rule in engine.packs[0].rules}
    # the generated mix has all three verdicts and every outcome the rules can give
    assert set(verdicts) == {"compliant", "non_compliant", "incomplete"}
    assert {"pass", "fail", "unknown", "not_applicable"} <= set(outcomes)


def _run(script: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(BENCH / script), *args], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@functools.cache
def _throughput_small() -> str:
    return _run("throughput.py", "--records", "300", "--slice", "100", "--rounds", "3")


def test_throughput_script_checks_agreement_and_prints_its_ratios() -> None:
    out = _throughput_small()
    first = out.splitlines()[0]
    assert first.startswith("# method: candidates interleaved in one process"), first
    assert "process CPU time" in first and "median of per-round ratios" in first
    assert "engine vs hand-written disagree on 0 records" in out
    labels = ["hand-written throughput, traces off"]
    if "durable-rules: not available" not in out:
        labels += ["durable-post throughput", "durable-facts throughput"]
    for label in labels:
        ratio = re.search(rf"ratio engine/{label}: (\d+\.\d+) \(middle half of rounds", out)
        assert ratio and float(ratio.group(1)) > 0, label


def test_durable_facts_fire_every_failing_check_and_post_does_not() -> None:
    out = _throughput_small()
    if "durable-rules: not available" in out:
        pytest.skip("durable-rules does not import on this Python")
    m = re.search(r"(\d+) failing checks on (\d+) records; firings with facts (\d+), with post (\d+)", out)
    assert m, out
    failing, failing_records, by_facts, by_post = map(int, m.groups())
    assert by_facts == failing
    assert by_post == failing_records < failing  # some records fail several checks: post hides them
    assert "facts firings == failing checks: True" in out


def test_batch_script_reports_every_workload() -> None:
    out = _run("batch.py", "--rows", "300", "--projects", "60")
    lines = [line for line in out.splitlines() if "rows/s" in line]
    assert len(lines) == 6  # funding JSONL and CSV, projects JSONL; 1 and 2 processes each
    assert all(re.search(r"peak \d+ MB", line) for line in lines)


def test_monitoring_script_finds_both_backends_agreeing() -> None:
    out = _run("monitoring.py", "--stations", "5")
    assert "plain:" in out
    last = out.rstrip().splitlines()[-1]
    assert last == "all backends agree: True", out  # the whole output: it lists the differences


@pytest.mark.slow
def test_followed_by_scaling_script_prints_its_table_and_both_backends_agree() -> None:
    out = _run("followed_by_scaling.py", "--sizes", "200,2000", "--runs", "1")
    assert out.splitlines()[0].startswith("# method: plain and durable alternating in one process"), out
    assert "| size " in out and "| CPU s (median) |" in out and "| CPU × previous size |" in out, out
    durable = "durable-rules: not available" not in out
    for size in ("200", "2,000"):
        for backend in ("plain", "durable") if durable else ("plain",):
            row = re.search(rf"^\| {size} +\| {backend} +\| 1 +\| (\d+\.\d+) +\|", out, re.M)
            assert row, (size, backend, out)
    assert re.search(r"^\| 2,000 +\| plain .*\| \d+\.\d \(sizes ×10\) +\|", out, re.M), out
    if not durable:
        pytest.skip("durable-rules does not import on this Python")
    assert "backends agree at 2,000: True" in out
    assert out.rstrip().splitlines()[-1] == "backends agree: True", out
