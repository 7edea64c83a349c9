"""The result vocabulary every layer shares: outcomes, verdicts, severities and citations.

This is the bottom layer (it imports nothing of the package): the pack compiler builds
:class:`Citation`, the engine and the monitors give :class:`Outcome`, reports and batch
outputs print :class:`Verdict` and :class:`Severity`. Their zh and en labels are defined
here, once, on the enums.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class _Labelled(StrEnum):
    """An enum whose members read as a Chinese or an English label."""

    @property
    def label_zh(self) -> str:
        return _LABELS[self][0]

    @property
    def label_en(self) -> str:
        return _LABELS[self][1]

    def label(self, lang: str = "zh") -> str:
        """The label people read: zh by default, en for ``lang == "en"``."""
        return self.label_en if lang == "en" else self.label_zh


class Outcome(_Labelled):
    """What one rule (or one monitor) concluded about one subject."""

    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"  # the record lacks a fact the rule needs
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"  # the rule could not be evaluated (see Finding.error)


class Verdict(_Labelled):
    """The overall conclusion of a report."""

    COMPLIANT = "compliant"
    NON_COMPLIANT = "non_compliant"
    INCOMPLETE = "incomplete"
    NOT_ASSESSED = "not_assessed"  # no rule of the packs applied: nothing was checked


class RowStatus(_Labelled):
    """A batch row's status where it has no report: the row could not be read."""

    INVALID = "invalid"


class Severity(_Labelled):
    """How much a failed rule weighs: only ``error`` makes a subject non-compliant."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


_LABELS: dict[_Labelled, tuple[str, str]] = {
    Outcome.PASS: ("符合", "pass"),
    Outcome.FAIL: ("不符合", "fail"),
    Outcome.UNKNOWN: ("数据不足", "unknown"),
    Outcome.NOT_APPLICABLE: ("不适用", "not applicable"),
    Outcome.ERROR: ("无法评估", "error"),
    Verdict.COMPLIANT: ("合规", "compliant"),
    Verdict.NON_COMPLIANT: ("不合规", "non-compliant"),
    Verdict.INCOMPLETE: ("数据不全", "incomplete"),
    Verdict.NOT_ASSESSED: ("未评估", "not assessed"),
    RowStatus.INVALID: ("无法读取", "invalid"),
    Severity.ERROR: ("错误", "error"),
    Severity.WARNING: ("警告", "warning"),
    Severity.INFO: ("提示", "info"),
}

#: Every status a batch row can have, in the order tables list them: the verdicts, then invalid.
ROW_STATUSES: tuple[Verdict | RowStatus, ...] = (*Verdict, RowStatus.INVALID)


def status_label(value: str, lang: str = "zh") -> str:
    """The label of a verdict or row status given as its code (``"non_compliant"`` → 不合规)."""
    for status in ROW_STATUSES:
        if status.value == value:
            return status.label(lang)
    return value


@dataclass(frozen=True)
class Citation:
    """Where a rule or monitor comes from: the source document, the clause, its quote."""

    source_id: str | None
    document: str | None
    clause: str
    quote: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source_id,
            "document": self.document,
            "clause": self.clause,
            "quote": self.quote,
        }

    def short(self) -> str:
        return f"{self.document or self.source_id or ''} {self.clause}".strip()
