"""``Report.from_dict`` is the inverse of ``Report.to_dict`` (batch workers send reports as JSON)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from policyengine import Engine, Report
from policyengine.io import read_records

PACKS = Path(__file__).resolve().parent.parent / "packs"
# every example record (the .jsonl files under examples/ are event logs for `monitor`)
EXAMPLES = sorted(p for p in PACKS.glob("*/examples/*") if p.suffix != ".jsonl")
DATES = (date(2022, 10, 1), date(2023, 1, 15), date(2024, 3, 1))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_example_report_reads_back_from_its_dict(path: Path) -> None:
    engine = Engine.from_packs([path.parent.parent.name])
    for _, example in read_records(path):
        bare = {"kind": example["kind"], "id": example.get("id")}  # unknown findings, with missing
        for record, as_of in [(r, d) for r in (example, bare) for d in DATES]:
            for trace in (True, False):
                d = engine.evaluate(record, as_of=as_of, trace=trace).to_dict()
                back = Report.from_dict(json.loads(json.dumps(d, ensure_ascii=False)))
                assert isinstance(back, Report)
                assert back.to_dict() == d
                assert back.verdict.value == d["verdict"]
                assert json.dumps(back.to_dict(), ensure_ascii=False) == json.dumps(d, ensure_ascii=False)


def test_the_examples_cover_traces_and_scores() -> None:
    assert len(EXAMPLES) >= 10
    reports = [
        Engine.from_packs([p.parent.parent.name]).evaluate(r, as_of=d).to_dict()
        for p in EXAMPLES
        for _, r in read_records(p)
        for d in DATES
    ]
    traces = [t for d in reports for f in d["findings"] for t in f["trace"]]
    assert any(isinstance(t["left"], list) or isinstance(t["right"], list) for t in traces)
    assert any(d["scores"] for d in reports)
    assert {f["outcome"] for d in reports for f in d["findings"]} >= {"pass", "not_applicable"}
