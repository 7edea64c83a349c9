"""The benchmarks' baselines stay valid and their scripts keep running (no timings asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

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


def test_throughput_script_checks_agreement_and_prints_its_ratios() -> None:
    out = _run("throughput.py", "--records", "300")
    assert "engine vs hand-written disagree on 0 records" in out
    ratio = re.search(r"ratio engine/hand-written throughput, traces off: (\d+\.\d+)", out)
    assert ratio and float(ratio.group(1)) > 0


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
