"""``policyengine pack coverage``: the clause table comes from the pack itself, so every rule,
monitor, batch check, indicator and not_checked entry appears under the clause it cites."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from policyengine import load_pack
from policyengine.packs.coverage import coverage, summary

ROOT = Path(__file__).resolve().parent.parent
PACKS = sorted(p.name for p in (ROOT / "packs").iterdir() if (p / "pack.yaml").exists())


@pytest.mark.parametrize("pack_id", PACKS)
def test_every_item_and_every_not_checked_entry_is_under_its_clause(pack_id: str) -> None:
    pack = load_pack(ROOT / "packs" / pack_id)
    rows = coverage(pack)
    listed = {(kind, ident) for r in rows for kind, ident in r.items}
    assert {("rule", r.id) for r in pack.rules} <= listed
    assert {("monitor", m.id) for m in pack.monitors} <= listed
    assert {("correlation", c.id) for c in pack.correlations} <= listed
    assert sum(len(r.not_checked) for r in rows) == len(pack.not_checked)
    for r in pack.rules:  # under the very clause the rule cites
        assert any(("rule", r.id) in row.items and row.clause == r.citation.clause for row in rows)
    s = summary(rows)
    assert s["clauses"] == len(rows) == s["encoded"] + s["partly"] + s["not_checked"] + s["parameter"]


def test_a_clause_only_listed_as_not_checked_reads_so(write_pack) -> None:  # type: ignore[no-untyped-def]
    d = write_pack("""\
rules:
  - id: site.area
    title: 面积
    subject: station
    require: site.area_m2 >= 300
    cite: {clause: 一, quote: 面积}
    message: 面积不足
not_checked:
  - cite: {clause: 二, quote: 每周一报送}
    reason: {zh: 省厅内部的工作机制, en: The department's own reporting}
  - cite: {clause: 一, quote: 面积}
    reason: {zh: 面积的测量方法未规定, en: How to measure is not said}
""")
    rows = {r.clause: r for r in coverage(load_pack(d))}
    assert (rows["一"].status, rows["二"].status) == ("partly", "not_checked")
    assert rows["二"].not_checked == [{"zh": "省厅内部的工作机制", "en": "The department's own reporting"}]


def test_the_cli_prints_the_table_and_json() -> None:
    md = subprocess.run(
        [sys.executable, "-m", "policyengine.cli", "pack", "coverage", "haining"],
        capture_output=True,
        text=True,
    )
    assert md.returncode == 0 and "| 来源 | 条款 | 状态 | 编码为 | 未检查的原因 |" in md.stdout
    assert (
        "监测 `staff.notice_given`" in md.stdout and "批量核查 `staffing.no_double_assignment`" in md.stdout
    )
    js = subprocess.run(
        [sys.executable, "-m", "policyengine.cli", "pack", "coverage", "haining", "--format", "json"],
        capture_output=True,
        text=True,
    )
    data = json.loads(js.stdout)
    assert data["pack"] == "haining" and data["summary"]["clauses"] == len(data["clauses"])
