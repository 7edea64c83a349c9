"""``policyengine matrix``: comparable parameters of the packs side by side, each cell citing
its clause; docs/policy-matrix.md is its output."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from policyengine import load_pack
from policyengine.errors import PolicyEngineError
from policyengine.packs.coverage import embedded
from policyengine.packs.matrix import build, render_markdown
from policyengine.packs.matrix_tag import MATRIX_MARKERS

ROOT = Path(__file__).resolve().parent.parent
PACKS = sorted(p.name for p in (ROOT / "packs").iterdir() if (p / "pack.yaml").exists())

TAGGED = """\
parameters:
  share:
    title: 专项资金比例
    unit: ratio
    matrix: {row: funding_share, basis: social_assistance_special, reading: ceiling}
    values:
      2020-01-01: {value: 0.03, cite: {clause: 一, quote: 3%}}
      2023-01-01: {value: 0.025, cite: {clause: 二, quote: 2.5%}}
  staff:
    title: 每站社工
    unit: people
    matrix: {row: station_staff, reading: floor}
    values:
      2020-01-01: {value: 2, cite: {clause: 三, quote: 2名}}
rules:
  - id: funding.share
    title: 比例
    subject: funding
    severity: warning
    require: funds.purchase_from_special <= param.share * funds.social_assistance
    cite: {clause: 一, quote: 3%}
    message: 超过比例
"""


def test_a_tagged_parameter_takes_its_row_with_value_basis_reading_and_clause(write_pack) -> None:  # type: ignore[no-untyped-def]
    pack = load_pack(write_pack(TAGGED))
    rows = build([pack], date(2022, 6, 30))
    [share] = rows["funding_share"]
    assert (share.value, share.basis, share.reading, share.clause) == (
        "3%",
        "社会救助专项资金",
        "上限:不超过",
        "一",
    )
    assert share.judged == "警告"  # the rule that reads it is a warning
    [staff] = rows["station_staff"]
    assert (staff.value, staff.reading, staff.judged) == ("2人", "下限:不少于", None)
    later = build([pack], date(2023, 1, 1))["funding_share"][0]
    assert (later.value, later.clause) == ("2.5%", "二")
    assert build([pack], None)["funding_share"][0].value == "2.5%"  # latest value
    assert build([pack], date(2019, 12, 31))["funding_share"] == []  # no value yet: no cell
    text = render_markdown(rows, date(2022, 6, 30))
    assert "| `demo` | — | 3% | 社会救助专项资金 | 上限:不超过 | 警告 | 一 | 3% |" in text
    assert "| `demo` | — | 2人 | — | 下限:不少于 | 仅列明 | 三 | 2名 |" in text


def test_an_unknown_row_is_refused_with_its_line(write_pack) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PolicyEngineError) as err:
        load_pack(write_pack(TAGGED.replace("row: station_staff", "row: staff_count")))
    [problem] = err.value.problems
    assert "'staff_count' is not allowed here" in problem.message and "station_staff" in (problem.hint or "")
    assert problem.location is not None and problem.location.path == "parameters.staff.matrix.row"
    assert problem.location.source_line == "    matrix: {row: staff_count, reading: floor}"


def funding_shares() -> dict[str, list[tuple[str, str, str | None]]]:
    packs = [load_pack(ROOT / "packs" / p) for p in PACKS]
    out: dict[str, list[tuple[str, str, str | None]]] = {}
    for cell in build(packs, None)["funding_share"]:
        out.setdefault(cell.pack, []).append((cell.value, cell.clause, cell.basis))
    return out


def test_the_funding_share_row_names_each_region_s_share_with_its_clause() -> None:
    shares = funding_shares()
    expected = {
        "sichuan": "3%",
        "hunan": "2%",
        "heilongjiang": "2%",
        "xinjiang": "3%",
        "hubei_jingshan": "5%",
        "fujian": "5%",
    }
    for pack_id, value in expected.items():
        assert pack_id in shares, f"{pack_id} has no funding-share parameter in the matrix"
        assert value in [v for v, _, _ in shares[pack_id]], shares[pack_id]
        assert all(clause and basis for _, clause, basis in shares[pack_id]), shares[pack_id]
    xinjiang_bases = {basis for _, _, basis in shares["xinjiang"]}
    assert xinjiang_bases == {"社会救助工作经费", "社会救助补助资金总和"}  # two 3% on two bases


def test_docs_policy_matrix_is_the_commands_output() -> None:
    doc = (ROOT / "docs" / "policy-matrix.md").read_text(encoding="utf-8")
    table = embedded(doc, MATRIX_MARKERS)
    assert table is not None, "docs/policy-matrix.md lost its markers"
    packs = [load_pack(ROOT / "packs" / p) for p in PACKS]
    expected = render_markdown(build(packs, None), None).rstrip("\n")
    assert table == expected, "run: policyengine matrix --write docs/policy-matrix.md"


def test_the_cli_prints_json_and_markdown_for_chosen_packs() -> None:
    run = [sys.executable, "-m", "policyengine.cli", "matrix", "-p", "sichuan", "-p", "hunan"]
    js = subprocess.run([*run, "--format", "json", "--as-of", "2022-06-30"], capture_output=True, text=True)
    assert js.returncode == 0, js.stderr
    data = json.loads(js.stdout)
    assert data["packs"] == ["sichuan", "hunan"] and data["as_of"] == "2022-06-30"
    assert {c["pack"] for c in data["rows"]["funding_share"]} == {"sichuan", "hunan"}
    md = subprocess.run(run, capture_output=True, text=True)
    assert md.returncode == 0 and "## 社会救助资金用于社工服务的比例" in md.stdout


def test_a_pack_shows_what_it_states_not_what_it_inherits_unchanged() -> None:
    packs = [load_pack(ROOT / "packs" / p) for p in ("hunan", "hunan_assessment", "hubei", "hubei_jingshan")]
    rows = build(packs, None)
    assert {c.pack for c in rows["monitoring"]} == {"hunan"}  # hunan_assessment inherits them
    assert [c.pack for c in rows["standard"]] == ["hubei"]
    assert [c.pack for c in rows["funding_share"] if c.pack.startswith("hubei")] == ["hubei_jingshan"]
    alone = build([load_pack(ROOT / "packs" / "hunan_assessment")], None)  # no parent listed: shown
    assert {c.pack for c in alone["monitoring"]} == {"hunan_assessment"}


@pytest.mark.parametrize("pack_id", PACKS)
def test_every_rule_a_matrix_tag_names_is_a_rule_of_the_pack(pack_id: str) -> None:
    pack = load_pack(ROOT / "packs" / pack_id)
    rules = {r.id for r in pack.rules}
    for name, param in pack.parameters.items():
        if param.matrix is not None:
            assert set(param.matrix.checked_by) <= rules, (name, set(param.matrix.checked_by) - rules)
