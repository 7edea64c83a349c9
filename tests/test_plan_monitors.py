"""Monitors as SQL on DuckDB: the same findings as the plain backend, for every monitor kind,
on generated logs (absent subjects, rosters with joins and withdrawals, empty periods, windows,
ties on one day, events out of order, duplicates and id conflicts, implausible dates), on the
shipped packs' example logs, and on the logs DuckDB reads itself (JSON Lines, CSV, Parquet).
"""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("duckdb")
pytest.importorskip("sqlglot")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from event_logs import year_log
from policyengine import RecordError
from policyengine.models.events import EVENT_FIELDS
from policyengine.monitor import Member, Monitor

ROOT = Path(__file__).resolve().parent.parent

#: One monitor of every kind and option the SQL has a branch for.
EDGE_PACK = """\
parameters:
  pilot_start:
    title: {zh: 起, en: from}
    values: {2020-01-01: {value: 2023-02-01, cite: {clause: "1", quote: q}}}
  pilot_end:
    title: {zh: 止, en: to}
    values: {2020-01-01: {value: 2023-10-31, cite: {clause: "1", quote: q}}}
monitors:
  - {id: fb_days, title: fb, kind: followed_by, trigger: {type: staff_left}, response: {type: staff_filed},
     match: [staff], within: {days: 7}, cite: {clause: "1", quote: q}, message: "{staff} {date} {deadline}"}
  - {id: fb_same, title: fb, kind: followed_by, trigger: {type: visit}, response: {type: visit},
     match: [person], within: {months: 1}, cite: {clause: "1", quote: q}, message: "{person} {date}"}
  - {id: fb_where, title: fb, kind: followed_by, trigger: {type: assignment, where: {project: P1}},
     response: {type: staff_filed}, match: [staff, station], within: {months: 2},
     cite: {clause: "1", quote: q}, message: "{staff} {station} {deadline}"}
  - {id: fb_nomatch, title: fb, kind: followed_by, trigger: {type: payment}, response: {type: report},
     within: {days: 3}, cite: {clause: "1", quote: q}, message: "{date} {type}"}
  - {id: pb_months, title: pb, kind: preceded_by, event: {type: staff_left}, by: {type: staff_notice},
     match: [staff, station], at_least: {months: 1}, cite: {clause: "1", quote: q},
     message: "{staff} {date} {latest} {notice}"}
  - {id: pb_same, title: pb, kind: preceded_by, event: {type: visit}, by: {type: visit},
     match: [person], at_least: {days: 0}, cite: {clause: "1", quote: q}, message: "{person} {notice}"}
  - {id: ap_month, title: ap, kind: at_least_per_period, event: {type: visit}, group_by: [person],
     period: month, min: 2, population: {joins: {type: enrolled}, leaves: {type: withdrawn}},
     cite: {clause: "1", quote: q}, message: "{group} {period} {count} {min}"}
  - {id: ap_quarter, title: ap, kind: at_least_per_period, event: {type: monitoring},
     group_by: [project, station], period: quarter, min: 1, cite: {clause: "1", quote: q},
     message: "{group} {period} {count}"}
  - {id: ap_year, title: ap, kind: at_least_per_period, event: {type: report}, group_by: [region],
     period: year, min: 1, cite: {clause: "1", quote: q}, message: "{group} {period}"}
  - {id: ad, title: ad, kind: at_most_distinct, event: {type: staff_left}, group_by: [project],
     distinct: staff, max: 1, during: {from: param.pilot_start, to: param.pilot_end},
     cite: {clause: "1", quote: q}, message: "{group} {count} {values} {from} {to}"}
  - {id: ad_open, title: ad, kind: at_most_distinct, event: {type: assignment}, group_by: [station],
     distinct: project, max: 2, cite: {clause: "1", quote: q}, message: "{group} {values}"}
  - {id: "no", title: "no", kind: no_overlap, event: {type: assignment}, key: staff, distinct: project,
     cite: {clause: "1", quote: q}, message: "{key} {first} {second} {first_start} {second_end}"}
"""

TYPES = [
    "staff_left",
    "staff_filed",
    "staff_notice",
    "visit",
    "visit",
    "monitoring",
    "report",
    "assignment",
    "payment",
    "enrolled",
    "withdrawn",
]


def _day(rng: random.Random) -> date:
    if rng.random() < 0.3:  # month ends and starts: the calendar's edges
        month = date(rng.choice([2022, 2023]), rng.randint(1, 12), 1)
        nxt = (month + timedelta(days=32)).replace(day=1)
        return rng.choice([month, nxt - timedelta(days=1), nxt - timedelta(days=2)])
    return date(2022, 10, 1) + timedelta(days=rng.randint(0, 480))


def random_log(seed: int, n: int = 300) -> list[dict[str, Any]]:
    """Events of every type the edge pack reads, with fields missing at random, ids shared
    (ties, duplicates, conflicts), no ids, dates in several forms, and a few far-off dates."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for i in range(n):
        if out and rng.random() < 0.04:
            out.append(dict(rng.choice(out)))  # a duplicate
            continue
        day = _day(rng) if rng.random() > 0.01 else date(rng.choice([1990, 2033]), 5, 4)
        e: dict[str, Any] = {"type": rng.choice(TYPES), "date": day.isoformat()}
        if rng.random() < 0.15:
            e["date"] = rng.choice(
                [
                    f"{day.year}/{day.month}/{day.day}",
                    f"{day:%Y%m%d}",
                    f"{day.year}年{day.month}月{day.day}日",
                ]
            )
        r = rng.random()
        if r < 0.75:
            e["id"] = f"e{i:04d}"
        elif r < 0.8 and out:
            e["id"] = rng.choice(out).get("id", "e0000")  # an id conflict (or a duplicate)
        for field, values in (
            ("staff", ["A", "B", "C"]),
            ("station", ["S1", "S2"]),
            ("person", ["L1", "L2", "L3", "L4", "ABSENT9"]),
            ("project", ["P1", "P2", "P3"]),
            ("region", ["R1", "R2"]),
        ):
            if rng.random() < 0.8:
                e[field] = rng.choice(values)
        if e["type"] == "assignment" and rng.random() < 0.9:
            start = _day(rng)
            e["start"] = start.isoformat()
            e["end"] = (start + timedelta(days=rng.randint(0, 120))).isoformat()
        out.append(e)
    rng.shuffle(out)  # out of order
    return out


def findings(
    packs: list[Any],
    backend: str,
    *,
    log: list[dict[str, Any]] | None = None,
    path: Path | None = None,
    start: date | None = None,
    until: date | None = None,
    members: list[Member] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], tuple[date | None, date | None], int]:
    m = Monitor(packs, backend=backend, isolate=False)
    if log is not None:
        m.feed(log)
    if path is not None:
        m.read(path)
    if members:
        m.members(members)
    if until is not None:
        m.advance(until)
    if start is not None:
        m.observe(start)
    found = [f.to_dict() for f in m.findings()]
    aside = [a.to_dict() for a in m.set_aside()]
    return found, aside, m.window(), m.events_read()


@pytest.fixture(scope="module")
def edge_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("edge") / "edge"
    d.mkdir()
    head = "pack:\n  id: edge\n  version: 0.1.0\n  title: {zh: 测试, en: test}\n"
    head += "sources:\n  - id: doc\n    title: 测试\n"
    (d / "pack.yaml").write_text(head + EDGE_PACK, encoding="utf-8")
    return d


MEMBERS = [
    Member({"person": "NEVER1"}, date(2022, 11, 15), None),
    Member({"person": "L2"}, date(2023, 3, 1), date(2023, 8, 31)),
    Member({"project": "P9", "station": "S9"}, date(2023, 1, 2), None),
]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize(
    ("start", "until"),
    [
        (None, None),
        (None, date(2023, 12, 31)),
        (date(2023, 1, 1), date(2023, 12, 31)),
        (date(2023, 2, 14), None),
    ],
)
def test_every_kind_gives_the_plain_backends_findings_on_generated_logs(
    edge_pack: Path, seed: int, start: date | None, until: date | None
) -> None:
    log = random_log(seed)
    members = MEMBERS if seed % 2 else None
    plain = findings([edge_pack], "plain", log=log, start=start, until=until, members=members)
    sql = findings([edge_pack], "duckdb", log=log, start=start, until=until, members=members)
    assert sql == plain
    outcomes = {(f["monitor"], f["outcome"]) for f in plain[0]}
    assert {o for _, o in outcomes} >= {"pass", "fail", "unknown"}  # the log exercises them
    assert plain[1], "the log has duplicates and conflicts to set aside"


def _write_jsonl(path: Path, log: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in log), encoding="utf-8")
    return path


def _write_csv(path: Path, log: list[dict[str, Any]], titles: bool = False) -> Path:
    from policyengine.models.events import Event

    names = list(EVENT_FIELDS)
    header = [Event.model_fields[n].title or n for n in names] if titles else names
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for e in log:
            w.writerow([e.get(n, "") for n in names])
    return path


@pytest.mark.parametrize("form", ["jsonl", "csv", "csv-titles"])
@pytest.mark.parametrize("seed", [5, 6])
def test_a_log_file_read_by_duckdb_itself_gives_the_same_findings(
    edge_pack: Path, tmp_path: Path, form: str, seed: int
) -> None:
    log = random_log(seed)
    path = (
        _write_jsonl(tmp_path / "log.jsonl", log)
        if form == "jsonl"
        else _write_csv(tmp_path / "log.csv", log, titles=form == "csv-titles")
    )
    for start in (None, date(2023, 1, 1)):
        assert findings([edge_pack], "duckdb", path=path, start=start) == findings(
            [edge_pack], "plain", path=path, start=start
        )
    m = Monitor([edge_pack], backend="duckdb").read(path)
    m.findings()
    assert m._log().notes == []  # read by DuckDB, not handed to Python


def test_a_parquet_log_gives_the_findings_of_the_same_log_as_json_lines(
    edge_pack: Path, tmp_path: Path
) -> None:
    import duckdb

    log = [{k: v for k, v in e.items()} for e in random_log(7) if len(e["date"]) == 10]  # ISO dates
    jsonl = _write_jsonl(tmp_path / "log.jsonl", log)
    parquet = tmp_path / "log.parquet"
    cols = ", ".join(f'CAST("{f}" AS VARCHAR) AS "{f}"' for f in EVENT_FIELDS)
    types = "{" + ", ".join(f"'{f}': 'VARCHAR'" for f in EVENT_FIELDS) + "}"
    duckdb.sql(
        f"COPY (SELECT {cols} FROM read_json('{jsonl}', columns={types})) TO '{parquet}' (FORMAT parquet)"
    )
    assert findings([edge_pack], "duckdb", path=parquet)[:3] == findings([edge_pack], "plain", path=jsonl)[:3]


def test_rows_duckdb_does_not_read_as_python_does_are_read_by_python(edge_pack: Path, tmp_path: Path) -> None:
    log = random_log(8, n=120)
    log[0] = {**log[0], "station": "  S1 "}  # padded: the model strips it
    log[1] = {**log[1], "date": 20230504}  # a number: the compact form
    log[2] = {**log[2], "type": " 探访 "}  # a Chinese label with spaces
    path = _write_jsonl(tmp_path / "odd.jsonl", log)
    assert findings([edge_pack], "duckdb", path=path) == findings([edge_pack], "plain", path=path)
    m = Monitor([edge_pack], backend="duckdb").read(path)
    m.findings()
    assert "Python" in m._log().notes[0]["en"]


@pytest.mark.parametrize(
    "bad",
    [
        '{"type": "visit", "date": "2023-02-30", "person": "L1"}',
        '{"type": "vist", "date": "2023-02-01"}',
        '{"type": "visit", "date": "2023-02-01", "colour": "red"}',
        '{"type": "visit", "date": "2023-02-01",',
        '{"type": "visit", "date": "2023-03"}',
    ],
)
def test_a_malformed_event_is_the_same_error_with_file_and_line(
    edge_pack: Path, tmp_path: Path, bad: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"type": "visit", "date": "2023-01-01", "person": "L1"}\n' + bad + "\n", encoding="utf-8"
    )
    errors = []
    for backend in ("plain", "duckdb"):
        with pytest.raises(RecordError) as err:
            Monitor([edge_pack], backend=backend).read(path).findings()
        errors.append([(p.message, p.location) for p in err.value.problems])
    assert errors[0] == errors[1]
    assert errors[0][0][1].line == 2


SHIPPED = [
    ("haining", "events-2023.jsonl", date(2023, 12, 31)),
    ("chengdu", "visits-2023.jsonl", date(2023, 12, 31)),
    ("hunan", "oversight-2022.jsonl", date(2022, 12, 31)),
    ("shaanxi_baishui", "governance-2023.jsonl", date(2023, 12, 31)),
]


@pytest.mark.parametrize(("pack", "log", "until"), SHIPPED)
@pytest.mark.parametrize("start", [None, date(2022, 1, 1)])
def test_the_shipped_packs_example_logs_give_identical_findings(
    pack: str, log: str, until: date, start: date | None
) -> None:
    path = ROOT / "packs" / pack / "examples" / log
    plain = findings([pack], "plain", path=path, start=start, until=until)
    assert findings([pack], "duckdb", path=path, start=start, until=until) == plain
    assert plain[0]


@pytest.mark.slow
def test_ten_thousand_generated_events_under_every_shipped_pack(tmp_path: Path) -> None:
    log = year_log(stations=100, seed=7)
    path = _write_jsonl(tmp_path / "year.jsonl", log)
    packs = ["haining", "chengdu", "hunan", "lanzhou_2022"]
    end = date(2023, 12, 31)
    assert findings(packs, "duckdb", path=path, until=end) == findings(packs, "plain", log=log, until=end)


def test_a_deadline_past_the_calendar_is_left_to_the_plain_backend(edge_pack: Path) -> None:
    log = [
        {"id": "x1", "type": "staff_left", "date": "9999-12-28", "staff": "A", "station": "S1"},
        {"id": "x2", "type": "visit", "date": "9999-12-20", "person": "L1"},
    ]
    plain = findings([edge_pack], "plain", log=log, until=date(9999, 12, 31))
    assert any(f["outcome"] == "error" for f in plain[0])
    assert findings([edge_pack], "duckdb", log=log, until=date(9999, 12, 31)) == plain


def test_an_empty_log_with_members_judges_the_members(edge_pack: Path) -> None:
    args = {"start": date(2023, 1, 1), "until": date(2023, 6, 30), "members": MEMBERS}
    plain = findings([edge_pack], "plain", log=[], **args)
    assert plain[0] and all(f["outcome"] == "fail" for f in plain[0])  # absent: never a pass
    assert findings([edge_pack], "duckdb", log=[], **args) == plain


_event = st.fixed_dictionaries(
    {
        "type": st.sampled_from(TYPES),
        "date": st.dates(date(2022, 12, 1), date(2023, 4, 30)).map(date.isoformat),
        "id": st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "h"]),
    },
    optional={
        "staff": st.sampled_from(["A", "B"]),
        "station": st.sampled_from(["S1", "S2"]),
        "person": st.sampled_from(["L1", "L2"]),
        "project": st.sampled_from(["P1", "P2"]),
        "start": st.dates(date(2023, 1, 1), date(2023, 3, 31)).map(date.isoformat),
        "end": st.dates(date(2023, 1, 1), date(2023, 3, 31)).map(date.isoformat),
    },
)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(log=st.lists(_event, max_size=25), windowed=st.booleans())
def test_property_duckdb_and_plain_agree_on_any_small_log(
    edge_pack: Path, log: list[dict[str, Any]], windowed: bool
) -> None:
    start = date(2023, 1, 1) if windowed else None
    until = date(2023, 4, 30)
    assert findings([edge_pack], "duckdb", log=log, start=start, until=until) == findings(
        [edge_pack], "plain", log=log, start=start, until=until
    )


@pytest.mark.slow
def test_the_cli_monitor_command_with_the_duckdb_backend() -> None:
    path = ROOT / "packs/haining/examples/events-2023.jsonl"
    out = {}
    for backend in ("plain", "duckdb"):
        cmd = [sys.executable, "-m", "policyengine.cli", "monitor", "-p", "haining", str(path)]
        cmd += ["--until", "2023-12-31", "--format", "json", "--all", "--backend", backend]
        run = subprocess.run(cmd, capture_output=True, text=True, check=False)
        assert run.returncode == 1, run.stderr
        out[backend] = json.loads(run.stdout)
    assert out["duckdb"].pop("backend") == "duckdb"
    out["plain"].pop("backend")
    assert out["duckdb"] == out["plain"]


def test_evaluate_with_events_gives_the_same_report_on_the_duckdb_backend() -> None:
    import yaml

    from policyengine import Engine, evaluate_with_events
    from policyengine.monitor import read_events

    record = yaml.safe_load((ROOT / "packs/hunan/examples/project.yaml").read_text(encoding="utf-8"))
    log = read_events(ROOT / "packs/hunan/examples/oversight-2022.jsonl")
    engine = Engine.from_packs(["hunan"])
    reports = [
        evaluate_with_events(engine, record, log, as_of=date(2022, 12, 31), backend=b).to_dict()
        for b in ("plain", "duckdb")
    ]
    for r in reports:
        r.pop("generated_at", None)
    assert reports[0] == reports[1]
    assert any(f.get("origin") == "monitor" and f["outcome"] == "fail" for f in reports[1]["findings"])
