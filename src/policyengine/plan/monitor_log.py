"""An event log as a DuckDB table, read by DuckDB itself (JSON Lines, CSV, Parquet), typed and
screened in SQL exactly as :func:`policyengine.monitor.events.read_events` and
:func:`~policyengine.monitor.events.screen` do in Python.

DuckDB types a row only where it is sure to read it as the event model does: known fields,
text without surrounding spaces, control characters, quotes or backslashes, an event type
written as a code or its Chinese label, a date in one of the accepted forms (ASCII digits). A
log with any other row (a number where text belongs, a padded cell, an unknown field, a line
that is not JSON) is read by Python's reader instead: the same events, or the same error with
file and line. Events without an id get the one :mod:`policyengine.models.events` makes from
their content (SHA-1 of the model's JSON), computed in SQL.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from ..errors import Location, Problem, RecordError
from ..models.events import EVENT_FIELDS, Event, EventType

if TYPE_CHECKING:
    import duckdb

#: The event fields as the table holds them: dates as DATE, the rest as VARCHAR.
DATE_FIELDS = ("date", "start", "end")
TEXT_FIELDS = tuple(f for f in EVENT_FIELDS if f not in ("type", *DATE_FIELDS))
#: The model's JSON field order without the id (the content an id is made from).
HASHED = tuple(f for f in EVENT_FIELDS if f != "id")

#: Text the event model keeps as it is: no surrounding white space (Python's or pydantic's
#: strip), no control or format characters, no quote or backslash (escaped in JSON).
SIMPLE = r'[^\s\p{Z}\p{Cc}\p{Cf}"\\]([^\p{Cc}"\\]*[^\s\p{Z}\p{Cc}\p{Cf}"\\])?'
_MIDNIGHT = r"(?:[T ]0?0:00(?::00(?:\.0+)?)?)?"
#: The accepted date forms (models.values.parse_date) on ASCII text, one per separator (RE2
#: has no back-references): each gives year, month, day.
DATE_FORMS = (
    r"(\d{4}) *年 *(\d{1,2}) *月 *(\d{1,2}) *[日号]?",
    *(rf"(\d{{4}}){s}(\d{{1,2}}){s}(\d{{1,2}}){_MIDNIGHT}" for s in ("-", "/", r"\.")),
    r"(\d{4})(\d{2})(\d{2})",
)


def ddl(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Run a statement to completion (the connection takes no other work while a result of
    ``execute`` is unfinished)."""
    con.execute(sql).fetchall()


def one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...] | None:
    """The first row of a query, the query run to completion."""
    rows = con.execute(sql).fetchall()
    return tuple(rows[0]) if rows else None


def q(name: str) -> str:
    """A quoted identifier (``end`` is a keyword)."""
    return exp.to_identifier(name, quoted=True).sql("duckdb")


def lit(value: str) -> str:
    return exp.Literal.string(value).sql("duckdb")


def _text_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(lit(v) for v in values) + "]"


def _date_sql(v: str) -> str:
    """``v`` (text) as a DATE where it is one of the accepted forms of a real day, else NULL
    (ISO first: most logs write it)."""
    iso = f"WHEN regexp_full_match({v}, '\\d{{4}}-\\d{{2}}-\\d{{2}}') THEN "
    cases = [iso + f"CASE WHEN {v} >= '0001' THEN TRY_CAST({v} AS DATE) END"]
    for form in DATE_FORMS:
        y, m, d = (f"regexp_extract({v}, {lit('^' + form + '$')}, {i})" for i in (1, 2, 3))
        day = f"try(make_date(CAST({y} AS BIGINT), CAST({m} AS BIGINT), CAST({d} AS BIGINT)))"
        cases.append(f"WHEN regexp_full_match({v}, {lit(form)}) THEN CASE WHEN {y} >= '0001' THEN {day} END")
    return f"(CASE WHEN {v} IS NULL THEN NULL {' '.join(cases)} END)"


def _typed(texts: str) -> str:
    """The typed rows from ``texts``: a query giving ``pos``, ``ok0`` (the reader's own checks)
    and each field's text as ``t_<field>``. Each value is parsed once, in layers."""
    accepted = EventType.accepted()
    types = f"MAP({_text_list(list(accepted))}, {_text_list(list(accepted.values()))})"
    parsed = ", ".join(f"{_date_sql('t_' + f)} AS {q('d_' + f)}" for f in DATE_FIELDS)
    layer = f"SELECT *, {types}[t_type] AS code, {parsed} FROM ({texts})"
    cols = ["code AS type", *(f"{q('d_' + f)} AS {q(f)}" for f in DATE_FIELDS)]
    cols += [f"t_{f} AS {q(f)}" for f in TEXT_FIELDS]
    checks = ["ok0", "code IS NOT NULL", "d_date IS NOT NULL"]
    checks += [f"(t_{f} IS NULL OR {q('d_' + f)} IS NOT NULL)" for f in DATE_FIELDS]
    checks += [f"(t_{f} IS NULL OR regexp_full_match(t_{f}, {lit(SIMPLE)}))" for f in TEXT_FIELDS]
    return f"SELECT pos, {', '.join(cols)}, ({' AND '.join(checks)}) AS ok FROM ({layer})"


def _jsonl_sql(path: Path) -> str:
    """Each line parsed once into its keys and once into the fields' JSON texts: a field is
    read where it is a JSON string with no escape in it (its text between the quotes) or null."""
    struct = lit(json.dumps({f: "JSON" for f in EVENT_FIELDS}))
    source = f"read_json_objects({lit(str(path))}, format='newline_delimited')"
    scan = (
        f"SELECT row_number() OVER () AS pos, json_type(json) AS jt, json_keys(json) AS keys, "
        f"json_transform(json, {struct}) AS v FROM {source}"
    )
    raw = {f: f"v.{q(f)}" for f in EVENT_FIELDS}
    plain = {f: f"({raw[f]} LIKE '\"%\"' AND NOT contains({raw[f]}, '\\'))" for f in EVENT_FIELDS}
    ok = [
        "jt = 'OBJECT'",
        f"list_has_all({_text_list(list(EVENT_FIELDS))}, keys)",
        "len(keys) = len(list_distinct(keys))",
        *(f"({raw[f]} IS NULL OR {raw[f]} = 'null' OR {plain[f]})" for f in EVENT_FIELDS),
    ]
    texts = ", ".join(f"CASE WHEN {plain[f]} THEN {raw[f]}[2:-2] END AS t_{f}" for f in EVENT_FIELDS)
    return _typed(f"SELECT pos, ({' AND '.join(ok)}) AS ok0, {texts} FROM ({scan})")


def _csv_header(path: Path) -> list[str] | None:
    """The CSV's columns as event fields, if its first line is a plain header of known field
    names or titles (UTF-8), each once; None otherwise (Python's reader decides)."""
    titles = {fi.title: name for name, fi in Event.model_fields.items()}
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            first = fh.readline()
    except UnicodeDecodeError:
        return None
    if '"' in first or not first.endswith("\n"):
        return None
    names = [titles.get(h.strip(), h.strip()) for h in next(csv.reader([first]), [])]
    if not names or len(set(names)) != len(names) or not set(names) <= set(EVENT_FIELDS):
        return None
    return names


def _csv_sql(path: Path, names: list[str]) -> str:
    cols = {f"c{i}": n for i, n in enumerate(names)}
    cell = {f: "NULL::VARCHAR" for f in EVENT_FIELDS}
    for c, n in cols.items():
        cell[n] = f"nullif({c}, '')"
    spec = "{" + ", ".join(f"{lit(c)}: 'VARCHAR'" for c in cols) + "}"
    source = (
        f"read_csv({lit(str(path))}, auto_detect=false, header=false, skip=1, delim=',', "
        f"quote='\"', escape='\"', strict_mode=true, null_padding=true, columns={spec})"
    )
    blank = " AND ".join(f"nullif({c}, '') IS NULL" for c in cols)
    long = " OR ".join(f"coalesce(length({c}), 0) > 32767" for c in cols)
    scan = f"SELECT row_number() OVER () AS pos, * FROM {source}"
    texts = ", ".join(f"{cell[f]} AS t_{f}" for f in EVENT_FIELDS)
    return _typed(f"SELECT pos, NOT ({long}) AS ok0, {texts} FROM ({scan}) WHERE NOT ({blank})")


def _parquet_sql(path: Path, con: duckdb.DuckDBPyConnection) -> str:
    source = f"read_parquet({lit(str(path))}, file_row_number=true)"
    names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
    unknown = [n for n in names if n not in (*EVENT_FIELDS, "file_row_number")]
    if unknown:
        raise RecordError(
            [Problem(f"unknown event fields {unknown}", Location(str(path)), f"use {EVENT_FIELDS}", "input")]
        )
    cell = {
        f: (f"nullif(CAST({q(f)} AS VARCHAR), '')" if f in names else "NULL::VARCHAR") for f in EVENT_FIELDS
    }
    texts = ", ".join(f"{cell[f]} AS t_{f}" for f in EVENT_FIELDS)
    return _typed(f"SELECT file_row_number + 1 AS pos, TRUE AS ok0, {texts} FROM {source}")


def _hash_sql() -> str:
    """The id the event model gives an event without one (models.events._with_ids), for rows
    whose text needs no escaping in JSON."""
    parts = []
    for f in HASHED:
        v = f"CAST({q(f)} AS VARCHAR)" if f in DATE_FIELDS else q(f)
        parts.append(f"'\"{f}\":' || CASE WHEN {q(f)} IS NULL THEN 'null' ELSE '\"' || {v} || '\"' END")
    body = " || ',' || ".join(parts)
    return f"type || '-' || CAST(date AS VARCHAR) || '-' || sha1('{{' || {body} || '}}')[1:10]"


def load_file(con: duckdb.DuckDBPyConnection, path: Path) -> bool:
    """Create ``raw`` (pos, the event fields) from ``path`` read by DuckDB; False when a row
    is one DuckDB cannot read as the event model does (the caller reads the file in Python)."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise RecordError([Problem("no such file", Location(str(path)), None, "input")])
    if suffix == ".jsonl":
        select = _jsonl_sql(path)
    elif suffix == ".csv":
        names = _csv_header(path)
        if names is None:
            return False
        select = _csv_sql(path, names)
    elif suffix == ".parquet":
        select = _parquet_sql(path, con)
    else:
        return False  # read_events names what it reads
    import duckdb

    try:
        ddl(con, f"CREATE OR REPLACE TEMP TABLE typed AS {select}")
    except duckdb.Error:
        return False  # not JSON, not UTF-8, a ragged CSV row: Python's reader says where
    bad = one(con, "SELECT min(pos) FROM typed WHERE NOT ok OR ok IS NULL")
    if bad is not None and bad[0] is not None:
        if suffix == ".parquet":
            raise RecordError(
                [
                    Problem(
                        "this row is not an event (a field the event model does not read this way)",
                        Location(str(path), int(bad[0])),
                        "dates as YYYY-MM-DD, text without surrounding spaces, known event types",
                        "input",
                    )
                ]
            )
        return False
    cols = ", ".join(q(f) for f in EVENT_FIELDS if f != "id")
    ddl(
        con,
        f"CREATE OR REPLACE TEMP TABLE raw AS SELECT pos, coalesce(id, {_hash_sql()}) AS id, {cols} "
        "FROM typed",
    )
    ddl(con, "DROP TABLE typed")
    return True


def load_events(con: duckdb.DuckDBPyConnection, events: Sequence[Event], table: str = "raw") -> None:
    """Create ``table`` (pos, the event fields) from events validated in Python."""
    import numpy as np

    data: dict[str, Any] = {"pos": np.arange(1, len(events) + 1, dtype=np.int64)}
    for f in EVENT_FIELDS:
        values = [getattr(e, f) for e in events]
        if f == "type":
            values = [v.value for v in values]
        elif f in DATE_FIELDS:
            values = [None if v is None else v.isoformat() for v in values]
        data[f] = np.array(values, dtype=object)
    con.register("_py_events", data)
    cols = ", ".join(
        f"CAST({q(f)} AS DATE) AS {q(f)}" if f in DATE_FIELDS else f"CAST({q(f)} AS VARCHAR) AS {q(f)}"
        for f in EVENT_FIELDS
    )
    ddl(con, f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT pos, {cols} FROM _py_events")
    con.unregister("_py_events")
