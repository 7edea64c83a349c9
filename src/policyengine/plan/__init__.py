"""The relational plan: the rules of packs compiled into one SQL query over a batch's tables
(``records`` and one table per list field), run by DuckDB in-process or, transpiled by SQLGlot,
by another engine such as Spark. See docs/scale.md.

>>> from datetime import date
>>> from policyengine.plan import plan_for
>>> plan = plan_for(["lanzhou_2022"], "project", date(2023, 9, 30))
>>> sql = plan.sql("spark")
>>> [r.column for r in plan.not_in_plan()]
['lanzhou_2022:operator.annual_inspection_years']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS = {
    "Plan": ".build",
    "PlannedEngine": ".engine",
    "PlannedRule": ".build",
    "Result": ".load",
    "compile_plan": ".build",
    "plan_for": ".api",
    "run": ".load",
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from .api import plan_for as plan_for
    from .build import Plan as Plan
    from .build import PlannedRule as PlannedRule
    from .build import compile_plan as compile_plan
    from .engine import PlannedEngine as PlannedEngine
    from .load import Result as Result
    from .load import run as run
