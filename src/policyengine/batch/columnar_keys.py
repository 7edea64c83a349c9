"""The keys that let the columnar path make each explanation once (see :mod:`.columnar`).

Per row and rule: the plan's outcome, and — where it is neither pass nor not applicable and
the rule's pack judges the row — a hash of every cell the rule could read: the record's cells
whose field path names a word of the rule's ``when``, ``require`` or message, and, for a list
field the rule names, its second-sheet rows' such cells in order (and how many). Per row:
the hash of the cells its packs' scope reads (region, level), and the row's *case*, the hash
of all of these: rows of one case have the same results line but for id, name and area.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from .columnar_sheets import Sheet

if TYPE_CHECKING:
    import duckdb

    from ..plan.build import Plan

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_QUIET_CODES = "(0, 3)"
#: exemplar rows fetched from DuckDB at a time
BATCH = 2048
Exemplar = tuple[int, list[Any], dict[str, int], dict[str, int | None], int]


def _words(rule: Any) -> set[str]:
    r = rule.rule
    texts = [r.when, r.require, r.message.zh, r.message.en]
    return {w for t in texts if t for w in _WORD.findall(t)}


def _cell(c: str) -> str:
    return f"coalesce({c}, chr(0))"


class KeySql:
    """The keys table (``keys``: ``_n``, ``slow``, ``o<k>``, ``h<k>``, ``hs``, ``sig``) and
    what the run reads of it."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, plan: Plan, main: Sheet, children: Sequence[Sheet], kind: str
    ) -> None:
        self.con, self.plan, self.main, self.children, self.kind = con, plan, main, list(children), kind
        self.rules = [(r.column, r.pack.id, _words(r.rule)) for r in plan.rules]
        self.judged = dict(plan.judged_columns)
        self._aggs: dict[tuple[str, tuple[int, ...]], str] = {}

    def _deps(self, words: set[str]) -> list[str]:
        """SQL expressions of the cells a rule naming ``words`` could read."""
        out = [
            _cell(f"m.c{i}")
            for i, c in enumerate(self.main.columns)
            if c is not None and any(step in words for step in c.path)
        ]
        for sheet in self.children:
            if sheet.field not in words:
                continue
            cols = tuple(
                i for i, c in enumerate(sheet.columns) if c is not None and any(s in words for s in c.path)
            )
            name = self._aggs.setdefault((sheet.table, cols), f"a{len(self._aggs)}")
            out.append(f"coalesce({name}.v, '0:')")
        return out

    def _agg_sql(self, name: str, sheet: Sheet, cols: tuple[int, ...]) -> str:
        """Per record: how many second-sheet rows, and a hash of their cells ``cols`` in order
        (each row's hashed with its place under the record)."""
        cells = ", ".join([*(_cell(f"s.c{i}") for i in cols), "k._pos"])
        return (
            f"LEFT JOIN (SELECT k._parent, concat(count(*), ':', sum(hash({cells})::HUGEINT)) AS v "
            f"FROM ch_{sheet.field} k JOIN {sheet.table} s ON s._n = k._n GROUP BY k._parent) {name} "
            f"ON {name}._parent = m._n"
        )

    def build(self, slow_sql: str) -> None:
        """The keys table, from the plan's results ``res`` and the slow rows' query."""
        cols = ["m._n AS _n", "sl._n IS NOT NULL AS slow"]
        sig = []
        for k, (column, pack, words) in enumerate(self.rules):
            deps = self._deps(words)
            judged = f'res."{self.judged[pack]}"' if pack in self.judged else "true"
            code = f'res."{column}"'
            key = f"hash({code}, " + ", ".join(deps or ["''"]) + ")"
            cols.append(f"{code} AS o{k}")
            cols.append(f"CASE WHEN {judged} AND {code} NOT IN {_QUIET_CODES} THEN {key} END AS h{k}")
            sig += [f"o{k}", f"coalesce(h{k}, 0)"]
        for k, pack in enumerate(self.judged):
            cols.append(f'res."{self.judged[pack]}" AS j{k}')
            sig.append(f"j{k}")
        scope = [
            _cell(f"m.c{i}")
            for i, c in enumerate(self.main.columns)
            if c is not None and (c.path[0] == "region" or c.path == ("level",))
        ]
        cols.append("hash(" + ", ".join([*scope, "''"]) + ") AS hs")
        joins = " ".join(self._agg_sql(n, self._sheet(t), c) for (t, c), n in self._aggs.items())
        self.con.execute(
            f"CREATE TABLE keys AS SELECT *, hash({', '.join(['hs', *sig])}) AS sig FROM ("
            f"SELECT {', '.join(cols)} FROM m JOIN res ON res._key = m._n "
            f"LEFT JOIN ({slow_sql}) sl ON sl._n = m._n {joins})"
        )
        self.con.execute("CREATE TABLE rows AS SELECT _n, slow, sig FROM keys ORDER BY _n")

    def _sheet(self, table: str) -> Sheet:
        return next(s for s in self.children if s.table == table)

    def _row_parts(self, row: Sequence[Any]) -> tuple[dict[str, int], dict[str, int | None]]:
        """From ``o0, h0, o1, h1, ...``: codes and hashes by rule column."""
        codes = {column: row[2 * k] for k, (column, _, _) in enumerate(self.rules)}
        hashes = {column: row[2 * k + 1] for k, (column, _, _) in enumerate(self.rules)}
        return codes, hashes

    def _rule_cols(self) -> str:
        return ", ".join(f"o{k}, h{k}" for k in range(len(self.rules)))

    def exemplars(self) -> Iterator[list[Exemplar]]:
        """The first row of each rule's key and of each scope, in batches: ``(row, its cells,
        codes, hashes, scope hash)``."""
        firsts = [
            f"SELECT min(_n) AS _n FROM keys WHERE NOT slow AND h{k} IS NOT NULL GROUP BY h{k}"
            for k in range(len(self.rules))
        ]
        firsts.append("SELECT min(_n) FROM keys WHERE NOT slow GROUP BY hs")
        self.con.execute(
            f"CREATE TABLE ex AS SELECT DISTINCT _n FROM ({' UNION ALL '.join(firsts)}) ORDER BY _n"
        )
        width = len(self.main.headers)
        cells = ", ".join(f"m.c{i}" for i in range(width))
        found = self.con.execute(
            f"SELECT k._n, {self._rule_cols()}, k.hs, {cells} FROM ex JOIN keys k ON k._n = ex._n "
            f"JOIN m ON m._n = ex._n ORDER BY k._n"
        ).fetchall()
        rule_width = 2 * len(self.rules)
        for start in range(0, len(found), BATCH):
            batch = found[start : start + BATCH]
            self._load_children([r[0] for r in batch])
            out = []
            for r in batch:
                codes, hashes = self._row_parts(r[1 : 1 + rule_width])
                out.append((r[0], list(r[2 + rule_width :]), codes, hashes, r[1 + rule_width]))
            yield out

    def _load_children(self, ns: Sequence[int]) -> None:
        """The second-sheet rows of records ``ns`` (for :meth:`children_of`)."""
        self._kids: dict[int, list[tuple[Sheet, int, list[Any]]]] = {n: [] for n in ns}
        if not ns or not self.children:
            return
        wanted = ",".join(str(int(n)) for n in ns)
        for sheet in self.children:
            cells = ", ".join(f"s.c{i}" for i in range(len(sheet.headers)))
            rows = self.con.execute(
                f"SELECT k._parent, s._n, {cells} FROM ch_{sheet.field} k "
                f"JOIN {sheet.table} s ON s._n = k._n WHERE k._parent IN ({wanted}) ORDER BY k._parent, s._n"
            ).fetchall()
            for r in rows:
                self._kids[r[0]].append((sheet, sheet.header_row + 1 + r[1], list(r[2:])))

    def children_of(self, n: int) -> list[tuple[Sheet, int, list[Any]]]:
        return self._kids.get(n, [])

    def cases(self) -> Iterator[tuple[int, dict[str, int], dict[str, int | None], dict[str, bool], int]]:
        """Each distinct case once: ``(sig, codes, hashes, judged by pack, scope hash)``."""
        judged = ", ".join(f"j{k}" for k in range(len(self.judged))) or "NULL"
        found = self.con.execute(
            f"SELECT sig, {self._rule_cols()}, hs, {judged} FROM keys "
            f"WHERE _n IN (SELECT min(_n) FROM keys WHERE NOT slow GROUP BY sig)"
        ).fetchall()
        width = 2 * len(self.rules)
        for r in found:
            codes, hashes = self._row_parts(r[1 : 1 + width])
            flags = {pack: bool(r[2 + width + k]) for k, pack in enumerate(self.judged)}
            yield r[0], codes, hashes, flags, r[1 + width]

    def stream(self, size: int, wanted: Sequence[int]) -> Iterator[list[tuple[Any, ...]]]:
        """Every row in order, ``size`` at a time: ``(row, slow, case, *cells)`` with the cells
        of the ``wanted`` columns."""
        cells = "".join(f", m.c{i}" for i in wanted)
        self.con.execute(
            f"CREATE OR REPLACE TABLE out AS SELECT k._n, k.slow, k.sig{cells} FROM rows k "
            "JOIN m ON m._n = k._n ORDER BY k._n"
        )
        total = self._count()
        for start in range(0, total, size):
            yield self.con.execute(
                f"SELECT * FROM out WHERE _n >= {start} AND _n < {start + size} ORDER BY _n"
            ).fetchall()

    def _count(self) -> int:
        row = self.con.execute("SELECT count(*) FROM rows").fetchone()
        return int(row[0]) if row else 0

    def slow_cells(self, ns: Sequence[int]) -> dict[int, list[Any]]:
        """The cells of rows ``ns`` (their second-sheet rows then by :meth:`children_of`)."""
        if not ns:
            return {}
        self._load_children(ns)
        cells = ", ".join(f"c{i}" for i in range(len(self.main.headers)))
        wanted = ",".join(str(int(n)) for n in ns)
        rows = self.con.execute(f"SELECT _n, {cells} FROM m WHERE _n IN ({wanted})").fetchall()
        return {r[0]: list(r[1:]) for r in rows}

    def orphans(self) -> Iterator[tuple[Sheet, int, list[Any]]]:
        """Second-sheet rows no record took, by sheet then row: ``(sheet, line, cells)``."""
        for sheet in self.children:
            cells = ", ".join(f"c{i}" for i in range(len(sheet.headers)))
            taken = f"SELECT _n FROM ch_{sheet.field}"
            cursor = self.con.execute(
                f"SELECT _n, {cells} FROM {sheet.table} WHERE _n NOT IN ({taken}) ORDER BY _n"
            )
            while batch := cursor.fetchmany(BATCH):
                for r in batch:
                    yield sheet, sheet.header_row + 1 + r[0], list(r[1:])
