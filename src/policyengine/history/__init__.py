"""The decision history: every evaluation kept (when asked), by subject over time, and the
rectification ledger (整改台账) that follows the failing rules until they pass.

    History(url)          open (and migrate) a database: SQLite by default, PostgreSQL by URL
    History.record(...)   store one report, move the subject's rectification items
    subject_evaluations   a subject's evaluations over time
    rectification_items   the ledger, by status and region
    quarterly_trend       per quarter and region: compliant subjects, items opened and closed

Needs the ``service`` extra (SQLAlchemy, Alembic). Names load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS = {
    "History": ".store",
    "Recorded": ".store",
    "default_url": ".store",
    "Region": ".regions",
    "Scope": ".regions",
    "MASKING_RULES": ".masking",
    "mask_record": ".masking",
    "subject_evaluations": ".queries",
    "evaluation": ".queries",
    "stored_input": ".queries",
    "rectification_items": ".queries",
    "update_item": ".queries",
    "quarterly_trend": ".trend",
    "render_trend": ".trend_formats",
    "write_trend": ".trend_formats",
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from .masking import MASKING_RULES as MASKING_RULES
    from .masking import mask_record as mask_record
    from .queries import evaluation as evaluation
    from .queries import rectification_items as rectification_items
    from .queries import stored_input as stored_input
    from .queries import subject_evaluations as subject_evaluations
    from .queries import update_item as update_item
    from .regions import Region as Region
    from .regions import Scope as Scope
    from .store import History as History
    from .store import Recorded as Recorded
    from .store import default_url as default_url
    from .trend import quarterly_trend as quarterly_trend
    from .trend_formats import render_trend as render_trend
    from .trend_formats import write_trend as write_trend
