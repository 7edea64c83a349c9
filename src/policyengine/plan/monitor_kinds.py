"""``followed_by``, ``preceded_by``, ``at_most_distinct`` and ``no_overlap`` as SQL over the
screened events table ``ev``: each trigger's answer and each event's notice found by a running
count over the union of both event sets per key (a window, not a join of every pair), each
group's distinct values by aggregate, overlapping assignments by an inequality self-join.
The findings are made by the kinds' own helpers, so messages are the plain backend's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from ..monitor.findings import (
    MonitorFinding,
    distinct_values,
    lacks_fields,
    still_open,
)
from ..monitor.findings import (
    _show as _shown,
)
from ..monitor.kinds import preceded_by as pb
from ..monitor.kinds.at_most_distinct import AtMostDistinct, _range
from ..monitor.kinds.base import spec_of
from ..monitor.kinds.followed_by import FollowedBy
from ..monitor.kinds.no_overlap import NoOverlap
from ..packs.monitors import CompiledMonitor
from .monitor_log import ddl
from .monitor_sql import (
    EV_COLUMNS,
    Maker,
    Row,
    all_known,
    check_days,
    day_literal,
    group,
    key_names,
    keys,
    refs,
    same_key,
    shifted,
    shown,
    text,
    where,
)

if TYPE_CHECKING:
    import duckdb


def _ordered_count(fields: list[str], on: str, kind: str, counted: str) -> str:
    """Over ``u``: per key, how many rows with ``counted`` set come before each row in
    (``on``, ``kind``, seq) order."""
    part = ", ".join(key_names(fields))
    return (
        f"SELECT seq, {kind}, count({counted}) OVER (PARTITION BY {part} ORDER BY {on}, {kind}, seq "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS n FROM u"
    )


def _nth(fields: list[str], table: str, alias: str, n: str) -> str:
    return f"LEFT JOIN {table} {alias} ON {same_key(fields, alias, 't')} AND {alias}.rn = {n}"


def followed_by(con: duckdb.DuckDBPyConnection, mon: CompiledMonitor, until: date) -> list[MonitorFinding]:
    """The first response of the trigger's key dated from its day through its deadline, other
    than itself: responses before it are counted (a day's triggers first), and the next one or
    two looked up by rank."""
    spec = spec_of(mon, FollowedBy)
    m = list(spec.match)
    ddl(
        con,
        f"CREATE OR REPLACE TEMP TABLE t AS SELECT seq, {keys(m)}, {shifted('date', spec.within, 1)} AS due "
        f"FROM ev WHERE {where(spec.trigger)}",
    )
    check_days(con, "t", "due")
    ddl(
        con,
        f"CREATE OR REPLACE TEMP TABLE r AS SELECT seq, id, date, {keys(m)}, row_number() OVER "
        f"(PARTITION BY {', '.join(key_names(m))} ORDER BY date, seq) AS rn FROM ev "
        f"WHERE {where(spec.response)}",
    )
    known = all_known(m)
    union = (
        f"SELECT ev.seq, ev.date, 0 AS kind, NULL AS resp, {', '.join(key_names(m, 't'))} "
        f"FROM t JOIN ev USING (seq) WHERE {all_known(m, 't')} "
        f"UNION ALL SELECT seq, date, 1, 1, {', '.join(key_names(m))} FROM r WHERE {known}"
    )
    ans = "CASE WHEN a.seq = t.seq THEN b.{0} ELSE a.{0} END"
    code = (
        f"CASE WHEN NOT ({all_known(m, 't')}) THEN 3 WHEN {ans.format('date')} <= t.due THEN 0 "
        f"WHEN t.due <= {day_literal(until)} THEN 1 ELSE 2 END"
    )
    ddl(
        con,
        f"""CREATE OR REPLACE TEMP TABLE res AS
        WITH u AS ({union}),
        c AS ({_ordered_count(m, "date", "kind", "resp")})
        SELECT t.seq, {code} AS code, ev.id, {", ".join(key_names(m, "t"))}, t.due,
               {ans.format("id")} AS ans
        FROM t JOIN ev USING (seq)
        LEFT JOIN c ON c.seq = t.seq AND c.kind = 0
        {_nth(m, "r", "a", "c.n + 1")} {_nth(m, "r", "b", "c.n + 2")}
    """,
    )
    make = Maker(mon)
    ks = ", ".join(key_names(m))
    out = [
        make.passing((row[0], row[1]), group(m, row[2:]))
        for row in con.execute(f"SELECT id, ans, {ks} FROM res WHERE code = 0").fetchall()
    ]
    n = len(key_names(m))
    cols = ", ".join(shown(f"ev.{c}") for c in ("date", "type", "staff", "station", "project", "person"))
    fails = f"SELECT res.id, {ks}, {shown('due')}, {cols} FROM res JOIN ev USING (seq) WHERE code = 1"
    names = ("deadline", "date", "type", "staff", "station", "project", "person")
    for row in con.execute(fails).fetchall():
        key = group(m, row[1 : 1 + n])
        values = {**dict(key), **dict(zip(names, row[1 + n :], strict=True))}
        out.append(make.failing((row[0],), values, key))
    rest = f"SELECT {EV_COLUMNS}, {ks}, res.due, res.code FROM res JOIN ev USING (seq) WHERE code >= 2"
    for row in con.execute(rest).fetchall():
        ev = Row(row[:11]).event()
        key = group(m, row[11 : 11 + len(m)])
        if row[-1] == 3:
            out.append(lacks_fields(mon, ev, key))
        else:
            out.append(still_open(mon, [ev], until, key))
    return out


def preceded_by(con: duckdb.DuckDBPyConnection, mon: CompiledMonitor, until: date) -> list[MonitorFinding]:
    """The last notice on or before the latest day (the event itself skipped), else the first
    after it on or before the event's day: notices up to the latest day are counted (a day's
    notices before the events placed on it), and the neighbours looked up by rank."""
    spec = spec_of(mon, pb.PrecededBy)
    m = list(spec.match)
    ddl(
        con,
        f"CREATE OR REPLACE TEMP TABLE t AS SELECT seq, {keys(m)}, "
        f"{pb_latest(spec)} AS latest FROM ev WHERE {where(spec.event)}",
    )
    check_days(con, "t", "latest")
    ddl(
        con,
        f"CREATE OR REPLACE TEMP TABLE r AS SELECT seq, id, date, {keys(m)}, row_number() OVER "
        f"(PARTITION BY {', '.join(key_names(m))} ORDER BY date, seq) AS rn FROM ev "
        f"WHERE {where(spec.by)} AND {all_known(m)}",
    )
    union = (
        f"SELECT seq, latest AS day, 1 AS kind, NULL AS notice, {', '.join(key_names(m))} "
        f"FROM t WHERE {all_known(m)} "
        f"UNION ALL SELECT seq, date, 0, 1, {', '.join(key_names(m))} FROM r"
    )
    early = "CASE WHEN a.seq = t.seq THEN b.{0} ELSE a.{0} END"
    late = "CASE WHEN c2.seq = t.seq THEN d.{0} ELSE c2.{0} END"
    late_ok = f"({late.format('date')} <= ev.date)"
    ddl(
        con,
        f"""CREATE OR REPLACE TEMP TABLE res AS
        WITH u AS ({union}),
        c AS ({_ordered_count(m, "day", "kind", "notice")})
        SELECT t.seq, ev.id, {", ".join(key_names(m, "t"))}, t.latest,
               CASE WHEN NOT ({all_known(m, "t")}) THEN 3 WHEN {early.format("id")} IS NOT NULL THEN 0
                    ELSE 1 END AS code,
               coalesce({early.format("id")}, CASE WHEN {late_ok} THEN {late.format("id")} END)
                 AS notice,
               coalesce({early.format("date")}, CASE WHEN {late_ok} THEN {late.format("date")} END)
                 AS notice_day
        FROM t JOIN ev USING (seq)
        LEFT JOIN c ON c.seq = t.seq AND c.kind = 1
        {_nth(m, "r", "a", "c.n")} {_nth(m, "r", "b", "c.n - 1")}
        {_nth(m, "r", "c2", "c.n + 1")} {_nth(m, "r", "d", "c.n + 2")}
    """,
    )
    make = Maker(mon)
    ks = ", ".join(key_names(m))
    n = len(key_names(m))
    out = [
        make.passing((row[0], row[1]), group(m, row[2:]))
        for row in con.execute(f"SELECT id, notice, {ks} FROM res WHERE code = 0").fetchall()
    ]
    cols = ", ".join(shown(f"ev.{c}") for c in ("date", "type", "staff", "station", "project", "person"))
    fails = (
        f"SELECT res.id, res.notice, {ks}, {shown('latest')}, {shown('notice_day')}, {cols} "
        "FROM res JOIN ev USING (seq) WHERE code = 1"
    )
    names = ("latest", "notice", "date", "type", "staff", "station", "project", "person")
    for row in con.execute(fails).fetchall():
        key = group(m, row[2 : 2 + n])
        values = {**dict(key), **dict(zip(names, row[2 + n :], strict=True))}
        out.append(make.failing((row[0],) if row[1] is None else (row[0], row[1]), values, key))
    rest = f"SELECT {EV_COLUMNS}, {ks} FROM res JOIN ev USING (seq) WHERE code = 3"
    for row in con.execute(rest).fetchall():
        out.append(lacks_fields(mon, Row(row[:11]).event(), group(m, row[11:])))
    return out


def pb_latest(spec: pb.PrecededBy) -> str:
    return shifted("date", spec.at_least, -1)


def at_most_distinct(
    con: duckdb.DuckDBPyConnection, mon: CompiledMonitor, until: date, params: Mapping[str, Any]
) -> list[MonitorFinding]:
    """Per group, each distinct value's first event in event-time order; the first ``max + 1``
    of them decide."""
    spec = spec_of(mon, AtMostDistinct)
    lo, hi = _range(mon, spec, params)
    g = list(spec.group_by)
    span = f"date BETWEEN {day_literal(lo)} AND {day_literal(hi)}" if spec.during else "TRUE"
    part = ", ".join(key_names(g))
    sql = f"""
        WITH a AS (SELECT seq, id, {keys(g)}, {text(spec.distinct)} AS v FROM ev
                   WHERE {where(spec.event)} AND {span}),
        f AS (SELECT {part}, v, min(seq) AS first, arg_min(id, seq) AS id FROM a GROUP BY ALL)
        SELECT {part}, list(v ORDER BY first) FILTER (WHERE v IS NOT NULL),
               list(id ORDER BY first) FILTER (WHERE v IS NOT NULL)
        FROM f GROUP BY ALL
    """
    out = []
    make = Maker(mon)
    n = len(key_names(g))
    for row in con.execute(sql).fetchall():
        key = group(g, row[:n])
        seen, ids = (row[n] or [])[: spec.max + 1], (row[n + 1] or [])[: spec.max + 1]
        if len(seen) > spec.max:
            shown = {k: _shown(v) for k, v in distinct_values(key, seen, spec.max, lo, hi).items()}
            out.append(make.failing(tuple(ids), shown, key))
        elif hi <= until:
            out.append(make.passing(tuple(ids), key))
        else:
            out.append(still_open(mon, refs(ids), until, key))
    return out


def no_overlap(con: duckdb.DuckDBPyConnection, mon: CompiledMonitor) -> list[MonitorFinding]:
    """Assignments lacking dates or the key; pairs of one key, different values, overlapping
    (an inequality join: DuckDB's IEJoin, not every pair)."""
    spec = spec_of(mon, NoOverlap)
    k, v = text(spec.key), text(spec.distinct)
    ddl(
        con,
        f'CREATE OR REPLACE TEMP TABLE t AS SELECT seq, {k} AS k, {v} AS v, start, "end" '
        f"FROM ev WHERE {where(spec.event)}",
    )
    out = []
    lacking = 't.start IS NULL OR t."end" IS NULL OR t.k IS NULL'
    for row in con.execute(f"SELECT {EV_COLUMNS} FROM t JOIN ev USING (seq) WHERE {lacking}").fetchall():
        out.append(lacks_fields(mon, Row(row).event(), what=f"start/end/{spec.key}"))
    ddl(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE p AS WITH ok AS (SELECT * FROM t WHERE NOT ({lacking}))
        SELECT a.seq AS sa, b.seq AS sb FROM ok a JOIN ok b ON a.k = b.k AND a.seq < b.seq
          AND a.start <= b."end" AND b.start <= a."end" AND a.v IS DISTINCT FROM b.v
    """,
    )
    make = Maker(mon)
    parts = ", ".join(shown(c) for c in ("a.v", "b.v", "a.start", 'a."end"', "b.start", 'b."end"'))
    pairs = f"SELECT ea.id, eb.id, a.k, {parts} FROM p JOIN t a ON a.seq = p.sa JOIN t b ON b.seq = p.sb "
    pairs += "JOIN ev ea ON ea.seq = p.sa JOIN ev eb ON eb.seq = p.sb"
    names = ("first", "second", "first_start", "first_end", "second_start", "second_end")
    for row in con.execute(pairs).fetchall():
        key = ((spec.key, row[2]),)
        values = {"key": row[2], **dict(zip(names, row[3:], strict=True))}
        out.append(make.failing((row[0], row[1]), values, key))
    return out
