"""The same plan on Spark: the query in Spark's dialect over tables of the plan's layout.

PySpark is optional (``pip install "policyengine[spark]"``, with Java 17); nothing else in the
package imports it. :func:`read_spark_tables` points the plan's table names at Parquet or CSV
files of the layout (as :func:`.load.read_tables` does for DuckDB), :func:`spark_run` loads
subject models instead (for tests and small batches) and runs the plan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .load import Result, tables_of

if TYPE_CHECKING:
    from .build import Plan


def _typed_view(spark: Any, plan: Plan, name: str, raw: Any) -> None:
    """``raw`` (columns as text or booleans) as the view ``name``, each column cast to its type."""
    table = plan.layout.tables[name]
    keys = ["_key"] if table.parent is None else ["_key", "_parent", "_root"]
    casts = [f"CAST(`{k}` AS BIGINT) AS `{k}`" for k in keys]
    casts += [f"CAST(`{c.name}` AS {_spark_type(c.sql_type)}) AS `{c.name}`" for c in table.columns.values()]
    raw.createOrReplaceTempView(f"__raw_{name}")
    spark.sql(f"SELECT {', '.join(casts)} FROM `__raw_{name}`").createOrReplaceTempView(name)


def _spark_type(sql_type: str) -> str:
    return "STRING" if sql_type == "VARCHAR" else sql_type


def read_spark_tables(spark: Any, plan: Plan, files: Mapping[str, Path | str]) -> None:
    """Views named as the plan's tables over Parquet or CSV files (a header row; empty is NULL)."""
    for table in plan.tables():
        path = str(files[table.name])
        reader = spark.read
        raw = reader.parquet(path) if path.endswith(".parquet") else reader.option("header", True).csv(path)
        _typed_view(spark, plan, table.name, raw)


def spark_run(spark: Any, plan: Plan, subjects: Sequence[Any]) -> Result:
    """Run ``plan`` on Spark over ``subjects`` (subject models, keys 0..n-1)."""
    types = import_module("pyspark.sql.types")
    for name, data in tables_of(plan, subjects).items():
        table = plan.layout.tables[name]
        booleans = {c.name for c in table.columns.values() if c.kind == "bool"}
        names = list(data)
        fields = [
            types.StructField(n, types.BooleanType() if n in booleans else types.StringType()) for n in names
        ]
        rows = [
            tuple(v if v is None or isinstance(v, bool) else str(v) for v in row)
            for row in zip(*(data[n] for n in names), strict=True)
        ]
        _typed_view(spark, plan, name, spark.createDataFrame(rows, types.StructType(fields)))
    frame = spark.sql(plan.sql("spark"))
    columns = list(frame.columns)
    return Result(columns, [tuple(row) for row in frame.collect()])
