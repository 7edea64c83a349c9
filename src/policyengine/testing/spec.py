"""The shape of a pack's test-case file (``packs/<id>/tests/*.yaml``), as typed models: what a
case may give and expect. ``policyengine schema case`` is generated from :class:`CaseFile`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

OutcomeName = Literal["pass", "fail", "unknown", "not_applicable", "error"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExpectScore(_Strict):
    """What a scorecard must give: any of the score, the grade (its zh label), completeness."""

    score: Decimal | None = None
    grade: str | None = None
    complete: bool | None = None


class Expect(_Strict):
    """Everything a case can expect. Each field is one category, and :data:`CHECKS` has one
    check per category: an expectation a case states is never ignored."""

    verdict: Literal["compliant", "non_compliant", "incomplete", "not_assessed"] | None = None
    rules: dict[str, OutcomeName] = Field(default_factory=dict)
    scores: dict[str, ExpectScore] = Field(default_factory=dict)
    messages: dict[str, str] = Field(
        default_factory=dict, description="rule → words its zh message must contain"
    )
    monitors: dict[str, dict[OutcomeName, int]] = Field(
        default_factory=dict,
        description="monitor → how many findings of each outcome, over the case's events through as_of",
    )

    def stated(self) -> list[str]:
        """The categories this case states."""
        return [name for name in type(self).model_fields if getattr(self, name)]

    def about_the_record(self) -> list[str]:
        """The stated categories that judge the record (all but ``monitors``)."""
        return [name for name in self.stated() if name != "monitors"]


class CaseSpec(_Strict):
    name: str
    as_of: date
    record: dict[str, Any] | None = None
    record_file: str | None = None
    patch: dict[str, Any] | None = None
    set: dict[str, Any] | None = None
    events: list[dict[str, Any]] | None = Field(
        default=None, description="an event log for the pack's monitors, complete through as_of"
    )
    events_file: str | None = Field(default=None, description=".jsonl or .csv, relative to this file")
    observe_from: date | None = Field(
        default=None,
        description="the observation window's first day (monitor --from): periodic monitors judge "
        "every period from it, also those with no event",
    )
    expect: Expect


class CaseFile(_Strict):
    """A ``tests/*.yaml`` file of a pack."""

    cases: list[CaseSpec] = Field(min_length=1)
    unreachable: dict[str, dict[OutcomeName, str]] = Field(
        default_factory=dict,
        description="rule → outcome it cannot give by construction → why (for the coverage check)",
    )
