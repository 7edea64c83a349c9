"""The same plan on PySpark (local mode) gives DuckDB's outcomes, judged packs and verdicts,
row for row: a shipped pack's plan transpiled by SQLGlot to Spark SQL over a generated batch.
Needs Java and ``pyspark`` (the ``spark`` extra); skipped where they are missing, except where
``POLICYENGINE_TEST_SPARK=required`` (CI sets it): there a missing part fails the test."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from policyengine import Engine
from policyengine.plan import plan_for, run
from policyengine.plan.spark import spark_run
from test_plan_records import batch

pytestmark = pytest.mark.slow  # a Spark session takes seconds to start
if os.environ.get("POLICYENGINE_TEST_SPARK") == "required":
    import pyspark  # CI must have it: an ImportError fails the run

    assert shutil.which("java") is not None, "POLICYENGINE_TEST_SPARK=required but no java"
pyspark = pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java", allow_module_level=True)

AS_OF = date(2023, 9, 30)


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("policyengine-plan")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.mark.parametrize(("pack", "kind"), [("lanzhou_2022", "project"), ("sichuan", "station")])
def test_spark_gives_duckdbs_result_row_for_row(spark: Any, pack: str, kind: str) -> None:
    engine = Engine.from_packs([pack])
    records = batch(list(engine.packs), kind, dict(engine.subjects), 300, seed=23, as_of=AS_OF)
    plan = plan_for([pack], kind, AS_OF)
    duck = run(plan, records)
    sparked = spark_run(spark, plan, records)
    assert sparked.columns == duck.columns
    assert sparked.rows == duck.rows
    verdicts = {duck.verdict(i) for i in range(len(records))}
    assert len(verdicts) >= 2, verdicts  # the batch is mixed, so agreeing means something
