"""DuckDB reads a CSV batch itself: the raw cells of every sheet as text tables, each column's
distinct cells typed once by the row path's own cell reader (:func:`.cells.read_row`: the
same headers, units, 是/否 and Chinese labels, the same refusals), and the plan's tables as
views over them (``records`` keyed by row, a second sheet's rows keyed by the row whose id
they name, a list cell's items).

Nothing here decides an outcome: :mod:`.columnar` runs the plan over these views and sends the
rows it cannot take whole (a refused cell, no id) to the row engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._csv import MAX_CELL
from ..models.values import MAX_LIST_ITEMS
from .cells import read_row
from .columnar_sheets import NotColumnar, Sheet
from .tabular import Column

if TYPE_CHECKING:
    import duckdb

    from ..plan.build import Plan
    from ..plan.layout import Table

#: a cell that starts or ends with a space or control character (Python strips more than SQL)
_EDGE = r"^[\pZ\pC]|[\pZ\pC]$"
_BLANK_IDS = "('', '-', '—', '/', 'N/A', 'n/a')"


def q(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def scan(con: duckdb.DuckDBPyConnection, sheet: Sheet, name: str) -> int:
    """``sheet``'s rows below its header as table ``name`` (``c0``, ``c1``, ... text; ``_n`` the
    row's place); checks that each row is one line, none blank, none a total, no cell holding a
    quote (where Python's csv and DuckDB's could part) and none too long."""
    width = len(sheet.headers)
    spec = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
    con.execute(
        f"CREATE TABLE {name} AS SELECT * FROM read_csv({q(str(sheet.path))}, header = false, "
        f"skip = {sheet.header_row}, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
        f"null_padding = false, columns = {{{spec}}})"
    )
    con.execute(f"ALTER TABLE {name} ADD COLUMN _n BIGINT")
    con.execute(f"UPDATE {name} SET _n = rowid")
    count = int(_one(con, f"SELECT count(*) FROM {name}"))
    lines = _lines(sheet.path)
    if lines != sheet.header_row + count:
        raise NotColumnar(f"{sheet.name}: a cell over several lines, or blank lines")
    cells = [f"c{i}" for i in range(width)]
    blank = " AND ".join(f"coalesce(regexp_full_match({c}, '[\\pZ\\pC]*'), true)" for c in cells)
    total = " OR ".join(f"{c} LIKE '%计%' OR {c} LIKE '%\"%'" for c in cells)  # and quotes in cells
    long = " OR ".join(f"length({c}) > {MAX_CELL}" for c in cells)
    if _one(con, f"SELECT count(*) FROM {name} WHERE ({blank}) OR ({total}) OR ({long})"):
        raise NotColumnar(f"{sheet.name}: blank rows, total rows, quotes in cells or long cells")
    return count


def _lines(path: Path) -> int:
    """Lines in a file (a last line without its newline counts)."""
    count, last = 0, b"\n"
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (0 if last == b"\n" else 1)


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def check_keys(con: duckdb.DuckDBPyConnection, table: str, column: int | None) -> None:
    """Ids and parent ids are compared as the row path compares them (stripped text): no cell
    may start or end with what Python would strip and SQL would not."""
    if column is not None and _one(
        con, f"SELECT count(*) FROM {table} WHERE regexp_matches(c{column}, '{_EDGE}')"
    ):
        raise NotColumnar("ids with spaces around them")


def typed(
    con: duckdb.DuckDBPyConnection,
    sheet: Sheet,
    table: str,
    i: int,
    kinds: dict[tuple[str, ...], str],
) -> str:
    """Lookup table of column ``i``'s distinct cells: ``raw``, ``bad`` (the row path refuses it),
    ``val`` (the value as the plan's table holds it, kind ``kinds[path]``), and for a list
    ``len`` and a table ``…_items`` (``raw``, ``pos``, ``val``). Returns its name."""
    from ..plan.layout import plain_value

    col = sheet.columns[i]
    assert col is not None
    header = sheet.headers[i] if i < len(sheet.headers) else ""
    kind = kinds.get(col.path, "string")
    out: dict[str, list[Any]] = {"raw": [], "bad": [], "val": [], "len": []}
    items: dict[str, list[Any]] = {"raw": [], "pos": [], "val": []}
    for (raw,) in con.execute(f"SELECT DISTINCT c{i} FROM {table} WHERE c{i} IS NOT NULL").fetchall():
        record, notes = read_row([col], [header], [raw], sheet.name, 0)
        value = _at(record, col.path)
        out["raw"].append(raw)
        out["bad"].append(bool(notes))
        if isinstance(value, list):
            out["len"].append(len(value))
            out["val"].append(None)
            for pos, item in enumerate(value):
                items["raw"].append(raw)
                items["pos"].append(pos)
                items["val"].append(None if notes else plain_value(item, kind))
        else:
            out["len"].append(None)
            out["val"].append(None if notes else _text(plain_value(value, kind)))
    name = f"lk_{table}_{i}"
    _register(con, name, out, {"raw": "VARCHAR", "bad": "BOOLEAN", "val": "VARCHAR", "len": "BIGINT"})
    _register(con, name + "_items", items, {"raw": "VARCHAR", "pos": "BIGINT", "val": "VARCHAR"})
    return name


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _at(record: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = record
    for step in path:
        node = node.get(step) if isinstance(node, dict) else None
    return node


def _register(
    con: duckdb.DuckDBPyConnection, name: str, data: dict[str, list[Any]], types: dict[str, str]
) -> None:
    """``data`` as table ``name`` with ``types``."""
    import numpy as np

    con.register(f"__{name}", {k: np.array(v, dtype=object) for k, v in data.items()})
    casts = ", ".join(f'CAST("{k}" AS {t}) AS "{k}"' for k, t in types.items())
    con.execute(f'CREATE TABLE {name} AS SELECT {casts} FROM "__{name}"')
    con.unregister(f"__{name}")


def column_of(sheet: Sheet, path: tuple[str, ...]) -> int | None:
    """The column of ``sheet`` filling ``path``."""
    return next((i for i, c in enumerate(sheet.columns) if c is not None and c.path == path), None)


def child_rows(con: duckdb.DuckDBPyConnection, main: Sheet, child: Sheet, name: str, id_col: int) -> None:
    """Table ``name``: each second-sheet row under each record row whose id it names
    (``_parent``, ``_n`` its place in the sheet, ``_key`` one per pair)."""
    assert child.key_col is not None
    con.execute(
        f"CREATE TABLE {name} AS SELECT row_number() OVER (ORDER BY m._n, s._n) - 1 AS _key, "
        f"m._n AS _parent, s._n AS _n, row_number() OVER (PARTITION BY m._n ORDER BY s._n) AS _pos "
        f"FROM {child.table} s JOIN {main.table} m "
        f"ON trim(s.c{child.key_col}) = trim(m.c{id_col}) "
        f"WHERE m.c{id_col} IS NOT NULL AND trim(m.c{id_col}) NOT IN {_BLANK_IDS}"
    )


def plan_views(
    con: duckdb.DuckDBPyConnection,
    plan: Plan,
    main: Sheet,
    children: dict[str, Sheet],
    lookups: dict[tuple[str, int], str],
) -> None:
    """The plan's tables as views over the raw cells and their lookups."""
    for table in plan.tables():
        if table.parent is None:
            _records_view(con, table, main, children, lookups)
        elif table.parent.parent is not None:
            raise NotColumnar("a list inside a list's items")
        elif table.steps[0] in children and len(table.steps) == 1:
            _child_view(con, table, children[table.steps[0]], lookups)
        else:
            _items_view(con, table, main, lookups)


def _records_view(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    main: Sheet,
    children: dict[str, Sheet],
    lookups: dict[tuple[str, int], str],
) -> None:
    joins: dict[str, str] = {}
    cols = ['m._n AS "_key"']
    for c in table.columns.values():
        if c.kind == "length" and len(c.steps) == 1 and c.steps[0] in children:
            f = c.steps[0]
            joins[f"g_{f}"] = (
                f"(SELECT _parent, count(*) AS n FROM ch_{f} GROUP BY _parent) g_{f} ON g_{f}._parent = m._n"
            )
            cols.append(f'CAST(g_{f}.n AS BIGINT) AS "{c.name}"')
            continue
        i = column_of(main, c.steps)
        if i is None:
            cols.append(f'CAST(NULL AS {c.sql_type}) AS "{c.name}"')
            continue
        lk = lookups[(main.table, i)]
        joins[lk] = f"{lk} ON {lk}.raw = m.c{i}"
        what = f"{lk}.len" if c.kind == "length" else f"{lk}.val"
        cols.append(f'CAST({what} AS {c.sql_type}) AS "{c.name}"')
    sql = f"SELECT {', '.join(cols)} FROM {main.table} m " + " ".join(
        f"LEFT JOIN {j}" for j in joins.values()
    )
    con.execute(f'CREATE OR REPLACE VIEW "{table.name}" AS {sql}')


def _child_view(
    con: duckdb.DuckDBPyConnection, table: Table, sheet: Sheet, lookups: dict[tuple[str, int], str]
) -> None:
    cols = ['k._key AS "_key"', 'k._parent AS "_parent"', 'k._parent AS "_root"']
    joins: list[str] = []
    for c in table.columns.values():
        i = column_of(sheet, c.steps)
        if i is None or c.kind == "length":
            if c.kind == "length":
                raise NotColumnar("a list inside a second sheet's items")
            cols.append(f'CAST(NULL AS {c.sql_type}) AS "{c.name}"')
            continue
        lk = lookups[(sheet.table, i)]
        joins.append(f"LEFT JOIN {lk} ON {lk}.raw = s.c{i}")
        cols.append(f'CAST({lk}.val AS {c.sql_type}) AS "{c.name}"')
    sql = f"SELECT {', '.join(cols)} FROM ch_{sheet.field} k JOIN {sheet.table} s ON s._n = k._n " + " ".join(
        joins
    )
    con.execute(f'CREATE OR REPLACE VIEW "{table.name}" AS {sql}')


def _items_view(
    con: duckdb.DuckDBPyConnection, table: Table, main: Sheet, lookups: dict[tuple[str, int], str]
) -> None:
    """A list of plain values written in one cell (``服务功能``: ``收集群众需求、链接社会资源``)."""
    i = column_of(main, table.steps)
    if i is None and not any(c is not None and c.path[0] == table.steps[0] for c in main.columns):
        cols = [
            'CAST(NULL AS BIGINT) AS "_key"',
            'CAST(NULL AS BIGINT) AS "_parent"',
            'CAST(NULL AS BIGINT) AS "_root"',
        ]
        cols += [f'CAST(NULL AS {c.sql_type}) AS "{c.name}"' for c in table.columns.values()]
        con.execute(f'CREATE OR REPLACE VIEW "{table.name}" AS SELECT {", ".join(cols)} WHERE false')
        return  # no column gives the list: absent in every record
    if table.model is not None or i is None or any(c.name != "value" for c in table.columns.values()):
        raise NotColumnar(f"the list {table.path}")
    items = lookups[(main.table, i)] + "_items"
    cols = ['row_number() OVER (ORDER BY m._n, it.pos) - 1 AS "_key"', 'm._n AS "_parent"', 'm._n AS "_root"']
    cols += [f'CAST(it.val AS {c.sql_type}) AS "{c.name}"' for c in table.columns.values()]
    sql = f"SELECT {', '.join(cols)} FROM {main.table} m JOIN {items} it ON it.raw = m.c{i}"
    con.execute(f'CREATE OR REPLACE VIEW "{table.name}" AS {sql}')


def kinds_of(table: Table) -> dict[tuple[str, ...], str]:
    """Each field path the table reads and its kind (a list's items: the ``value`` column's)."""
    out = {c.steps: c.kind for c in table.columns.values() if c.kind != "length"}
    for sub in table.lists.values():
        value = sub.columns.get("value")
        if value is not None:
            out[sub.steps] = value.kind
    return out


def needs_lookup(col: Column, kinds: dict[tuple[str, ...], str]) -> bool:
    """Whether a column's cells must be typed one by one: anything but free text the plan
    does not read (ids, names) may be refused or read by the plan."""
    free = col.info.kind == "string" and not col.info.choices
    return not free or col.path in kinds


def slow_rows_sql(
    main: Sheet, lookups: dict[tuple[str, int], str], children: Sequence[Sheet], id_col: int | None
) -> str:
    """A query of the record rows the row engine must read itself (``_n``): a refused cell,
    a refused cell among its second-sheet rows, too many of them, or no id to match them by."""
    parts = [
        f"SELECT m._n FROM {main.table} m JOIN {lk} ON {lk}.raw = m.c{i} WHERE {lk}.bad"
        for (t, i), lk in lookups.items()
        if t == main.table
    ]
    for sheet in children:
        bad = [
            f"SELECT s._n FROM {sheet.table} s JOIN {lk} ON {lk}.raw = s.c{i} WHERE {lk}.bad"
            for (t, i), lk in lookups.items()
            if t == sheet.table
        ]
        if bad:
            parts.append(f"SELECT _parent FROM ch_{sheet.field} WHERE _n IN ({' UNION '.join(bad)})")
        parts.append(
            f"SELECT _parent FROM ch_{sheet.field} GROUP BY _parent HAVING count(*) > {MAX_LIST_ITEMS}"
        )
    if id_col is not None:  # a blank id: no record (and nothing to match second-sheet rows by)
        parts.append(
            f"SELECT m._n FROM {main.table} m WHERE m.c{id_col} IS NULL OR trim(m.c{id_col}) IN {_BLANK_IDS}"
        )
    elif children:
        parts.append(f"SELECT m._n FROM {main.table} m")
    return " UNION ".join(parts) if parts else f"SELECT _n FROM {main.table} WHERE false"
