"""Records (subject models) into the plan's tables, and the plan run on DuckDB in-process.

Each table goes to DuckDB as columns of Python values (numbers and dates as text, cast back
to exact DECIMAL and DATE by a view: DuckDB's own reading of Decimal objects guesses a scale
from the first values and rounds the rest), then the plan's query runs over the views.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .layout import RECORDS, Column, Table, plain_value

if TYPE_CHECKING:
    import duckdb

    from .build import Plan

Getter = Callable[[Any], Any]


def _getter(steps: tuple[str, ...]) -> Getter:
    """``steps`` read from an item, None where a model on the way is absent."""
    if not steps:
        return lambda item: item
    get = operator.attrgetter(".".join(steps))

    def read(item: Any) -> Any:
        try:
            return get(item)
        except AttributeError:  # None on the way
            return None

    return read


def _reader(column: Column) -> Getter:
    get = _getter(column.steps)
    kind = column.kind
    if kind == "length":
        return lambda item: None if (v := get(item)) is None else str(len(v))
    if kind == "bool":
        return get
    return lambda item: plain_value(get(item), kind)


Row = tuple[Any, int, int, int]  # (item, key, root key, parent key)


def tables_of(plan: Plan, subjects: Sequence[Any]) -> dict[str, dict[str, list[Any]]]:
    """The plan's tables as columns of plain values, for ``subjects`` (keys 0..n-1)."""
    layout = plan.layout
    out: dict[str, dict[str, list[Any]]] = {}
    items: dict[str, list[Row]] = {RECORDS: [(s, i, i, -1) for i, s in enumerate(subjects)]}
    for table in layout.tables.values():
        if table.parent is not None:
            items[table.name] = _items(table, items[table.parent.name])
        rows = items[table.name]
        data: dict[str, list[Any]] = {"_key": [k for _, k, _, _ in rows]}
        if table.parent is not None:
            data["_parent"] = [p for _, _, _, p in rows]
            data["_root"] = [r for _, _, r, _ in rows]
        for column in table.columns.values():
            read = _reader(column)
            data[column.name] = [read(obj) for obj, _, _, _ in rows]
        out[table.name] = data
    return out


def _items(table: Table, parents: list[Row]) -> list[Row]:
    """Every item of ``table`` as (item, key, root key, parent key)."""
    get = _getter(table.steps)
    out: list[Row] = []
    for obj, key, root, _ in parents:
        values = get(obj)
        if not values:
            continue
        for value in values:
            out.append((value, len(out), root, key))
    return out


def load(con: duckdb.DuckDBPyConnection, plan: Plan, subjects: Sequence[Any]) -> None:
    """Register ``subjects`` as the plan's tables on ``con`` (views with exact types)."""
    import numpy as np

    for name, data in tables_of(plan, subjects).items():
        table = plan.layout.tables[name]
        raw = f"__raw_{name}"
        con.register(raw, {k: np.array(v, dtype=object) for k, v in data.items()})
        casts = ['CAST("_key" AS BIGINT) AS "_key"']
        if table.parent is not None:
            casts += ['CAST("_parent" AS BIGINT) AS "_parent"', 'CAST("_root" AS BIGINT) AS "_root"']
        for column in table.columns.values():
            casts.append(f'CAST("{column.name}" AS {column.sql_type}) AS "{column.name}"')
        con.execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS SELECT {", ".join(casts)} FROM "{raw}"')


def run(plan: Plan, subjects: Sequence[Any], con: duckdb.DuckDBPyConnection | None = None) -> Result:
    """Run ``plan`` over ``subjects`` on DuckDB (a new in-memory database unless ``con``)."""
    import duckdb

    own = con is None
    con = con or duckdb.connect()
    try:
        load(con, plan, subjects)
        cursor = con.execute(plan.sql("duckdb", pretty=False))
        names = [d[0] for d in cursor.description or ()]
        return Result(names, cursor.fetchall())
    finally:
        if own:
            con.close()


class Result:
    """The plan's output: one row per record, in record order."""

    def __init__(self, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        self.columns = columns
        self.rows = rows
        self.index = {name: i for i, name in enumerate(columns)}
        self._rules = [(n, i) for n, i in self.index.items() if ":" in n and not n.startswith("judged:")]

    def __len__(self) -> int:
        return len(self.rows)

    def codes(self, i: int) -> dict[str, int]:
        """Record ``i``'s outcome code per rule column."""
        row = self.rows[i]
        return {name: row[j] for name, j in self._rules}

    def verdict(self, i: int) -> str | None:
        value = self.rows[i][self.index["verdict"]]
        return None if value is None else str(value)

    def judged(self, i: int, pack: str) -> bool:
        return bool(self.rows[i][self.index[f"judged:{pack}"]])


def read_tables(con: duckdb.DuckDBPyConnection, plan: Plan, files: Mapping[str, Path]) -> None:
    """Views named as the plan's tables over files DuckDB reads itself, out of core: ``.csv``
    (a header row; the columns :meth:`~.build.Plan.create_tables` lists, ``true``/``false``
    for booleans, exact decimal text for numbers, ISO dates; an empty cell is NULL) or
    ``.parquet``. ``files`` maps each table's name to its file."""
    for table in plan.tables():
        path = files[table.name]
        types = {"_key": "BIGINT"}
        if table.parent is not None:
            types.update(_parent="BIGINT", _root="BIGINT")
        types.update({c.name: c.sql_type for c in table.columns.values()})
        if Path(path).suffix.lower() == ".parquet":
            cols = ", ".join(f'CAST("{n}" AS {t}) AS "{n}"' for n, t in types.items())
            source = f"read_parquet('{_quote(path)}')"
        else:
            cols = "*"
            spec = ", ".join(f"'{_quote(n)}': '{t}'" for n, t in types.items())
            source = f"read_csv('{_quote(path)}', header = true, columns = {{{spec}}})"
        con.execute(f'CREATE OR REPLACE VIEW "{table.name}" AS SELECT {cols} FROM {source}')


def _quote(value: object) -> str:
    return str(value).replace("'", "''")
