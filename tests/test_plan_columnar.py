"""``assess --engine plan`` over CSV, columnar (``policyengine.batch.columnar``): DuckDB reads
the sheets and the plan judges every row, and the files written are those of ``--engine
rows``, byte for byte, with the same console summary — on ledgers with refused cells (in the
records and in the second sheets), rows without ids, duplicate ids, orphan and unkeyed
second-sheet rows, missing and ignored columns, a mapping file, and spaces around cells. Each
test checks that the columnar path did the work (the per-row plan path is made to fail), or,
for the inputs it leaves to the per-row path, that it did not."""

from __future__ import annotations

import csv
import random
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from policyengine.batch import planned
from policyengine.batch.run import run_assessment, run_planned_assessment

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import census

PACKS = ["sichuan", "fujian", "hubei"]
AS_OF = date(2023, 6, 30)
STAFF = ["所属编号", "姓名", "职业水平证书", "专业社工", "全职"]
SERVICES = ["所属编号", "服务领域", "服务名称"]


def ledger(directory: Path, n: int, seed: int = 7, headers: list[str] | None = None) -> dict[str, Path]:
    """``n`` stations of the census generator with its staff and services sheets, plus what
    real ledgers hold: refused cells, rows without or with the same id, orphan rows, spaces."""
    rng = random.Random(seed)
    rows, staff, services = [], [], []
    for row, st, sv, _ in census.stations(n, seed):
        rows.append(row)
        staff += st
        services += sv
    rows[3][7] = "也许"  # 办公场地: not a yes/no
    rows[5][2] = "省级社工站"  # 层级: not a level
    rows[8][0] = ""  # no id: its staff cannot be matched
    rows[9][0] = rows[10 % n][0]  # the same id twice: both take its staff
    rows[-2][6] = " 120 "  # spaces around a number
    rows[-1][1] = "=危险公式"  # a name a spreadsheet would run
    staff[2][3] = "不清楚"  # a refused cell on the second sheet
    staff.append(["S9999999", "无主社工", "初级", "是", "是"])  # no such station
    staff.append(["", "无编号社工", "中级", "否", "是"])
    services.append(["S8888888", "社会救助", "社会救助"])
    rng.shuffle(staff)  # second-sheet rows in any order
    header = headers or census.STATION_HEADERS
    out = {"stations": directory / "stations.csv", "staff": directory / "staff.csv"}
    out["services"] = directory / "services.csv"
    _write(out["stations"], header, [r[: len(header)] for r in rows])
    _write(out["staff"], STAFF, staff)
    _write(out["services"], SERVICES, services)
    return out


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def both(
    tmp_path: Path,
    files: dict[str, Path],
    outs: tuple[str, ...] = ("results.csv",),
    ignore_scope: bool = True,
    **options: Any,
) -> Any:
    """The batch with each engine: (summary, files) of rows, then of the plan."""
    found = []
    sheets = [f"{name}={files[name]}" for name in ("staff", "services") if name in files]
    for engine, run in (("rows", run_assessment), ("plan", run_planned_assessment)):
        out = tmp_path / engine
        out.mkdir()
        summary = run(
            PACKS, files["stations"], [out / o for o in outs], as_of=AS_OF, kind="station",
            sheets=sheets, ignore_scope=ignore_scope, **options,
        )  # fmt: skip
        found.append((summary, {o: (out / o).read_bytes() for o in outs}))
    return found


def same(found: Any) -> Any:
    (rows, rows_files), (plan, plan_files) = found
    assert plan_files == rows_files
    assert plan.console_lines([]) == rows.console_lines([])
    return rows


@pytest.fixture
def columnar_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The per-row plan path fails: what passes was done by the columnar path."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the per-row plan path was taken")

    monkeypatch.setattr(planned, "assess_planned", refuse)


@pytest.fixture
def per_row_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The columnar path must decline the input."""
    from policyengine.batch import columnar

    real = columnar.ColumnarInput

    def declined(*args: Any, **kwargs: Any) -> Any:
        with pytest.raises(columnar.NotColumnar):
            real(*args, **kwargs)
        raise columnar.NotColumnar("declined")

    monkeypatch.setattr(columnar, "ColumnarInput", declined)


def test_a_census_ledger_with_bad_cells_and_orphans(tmp_path: Path, columnar_only: None) -> None:
    rows = same(both(tmp_path, ledger(tmp_path, 120)))
    assert sum(rows.verdicts.values()) > 120  # and the orphan rows, after the records
    assert rows.verdicts["invalid"] >= 4  # the row without an id, the orphans
    assert rows.verdicts["non_compliant"] and rows.verdicts["incomplete"] and rows.verdicts["compliant"]
    assert rows.error_count >= 6


def test_missing_and_ignored_columns(tmp_path: Path, columnar_only: None) -> None:
    headers = [h for h in census.STATION_HEADERS if h not in ("社工机构", "规章制度")]
    files = ledger(tmp_path, 60, seed=3)
    with files["stations"].open(encoding="utf-8") as f:
        table = list(csv.reader(f))
    keep = [i for i, h in enumerate(table[0]) if h in headers]
    _write(files["stations"], [*headers, "备注"], [[r[i] for i in keep] + ["见附件"] for r in table[1:]])
    rows = same(both(tmp_path, files))
    assert rows.verdicts["incomplete"] > 0


def test_a_mapping_file_names_the_columns(tmp_path: Path, columnar_only: None) -> None:
    headers = ["站点代码", *census.STATION_HEADERS[1:]]
    files = ledger(tmp_path, 40, seed=5, headers=headers)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("站点代码: id\n", encoding="utf-8")
    same(both(tmp_path, files, mapping=mapping))


def test_without_second_sheets(tmp_path: Path, columnar_only: None) -> None:
    files = ledger(tmp_path, 50, seed=11)
    del files["staff"], files["services"]
    rows = same(both(tmp_path, files))
    assert sum(rows.verdicts.values()) == 50 and rows.verdicts["invalid"] == 1  # the row without an id


def test_packs_judge_only_their_region(tmp_path: Path, columnar_only: None) -> None:
    rows = same(both(tmp_path, ledger(tmp_path, 60, seed=17), ignore_scope=False))
    assert rows.verdicts["compliant"] + rows.verdicts["non_compliant"] + rows.verdicts["incomplete"] > 0


def test_a_caption_above_the_header(tmp_path: Path, columnar_only: None) -> None:
    files = ledger(tmp_path, 40, seed=19)
    text = files["stations"].read_text(encoding="utf-8")
    files["stations"].write_text("2023年社工站台账(示例)\n" + text, encoding="utf-8")
    same(both(tmp_path, files))


@pytest.mark.parametrize(
    "what", ["total row", "cell over two lines", "blank line", "spaces around an id", "quotes in a cell"]
)
def test_inputs_left_to_the_per_row_path(tmp_path: Path, what: str, per_row_only: None) -> None:
    files = ledger(tmp_path, 30, seed=13)
    text = files["stations"].read_text(encoding="utf-8").splitlines()
    if what == "total row":
        text.append("合计,,,,,,300,,,,,")
    elif what == "cell over two lines":
        text[4] = text[4].replace("示例3社工站", '"示例3\n社工站"')
    elif what == "blank line":
        text.insert(6, "")
    elif what == "quotes in a cell":
        text[5] = text[5].replace("示例4社工站", '"示例""4""社工站"')
    else:
        text[7] = " " + text[7]
    files["stations"].write_text("\n".join(text) + "\n", encoding="utf-8")
    same(both(tmp_path, files))


def test_outputs_other_than_csv_go_per_row(tmp_path: Path) -> None:
    from policyengine import Engine
    from policyengine.batch.columnar import open_columnar

    files = ledger(tmp_path, 10)
    engine = Engine.from_packs(PACKS, ignore_scope=True)
    args = (engine, "station", AS_OF, None, None, {}, None)
    assert open_columnar(files["stations"], [tmp_path / "r.jsonl"], *args) is None
    found = open_columnar(files["stations"], [tmp_path / "r.csv"], *args)
    assert found is not None
    found.close()


@pytest.mark.slow
def test_a_larger_census_with_many_cases(tmp_path: Path, columnar_only: None) -> None:
    rows = same(both(tmp_path, ledger(tmp_path, 3000, seed=21)))
    assert sum(rows.verdicts.values()) > 3000  # the records, then the orphan rows
