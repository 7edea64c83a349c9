"""整改台账: how one recorded evaluation moves the subject's rectification items.

For each pack and rule of the evaluation (a rule with several findings — a monitor's periods —
fails if any fails and passes only if all pass):

- a failing rule of severity ``error`` or ``warning`` with no open item opens one (round 1);
- a failing rule with an open item keeps it open and counts one more round;
- a passing rule closes its open item (整改完成), linking the closing evaluation;
- any other outcome (unknown, not applicable, error) leaves the item open as it is: nothing
  shows the problem was fixed.

Only packs the evaluation used are looked at: an item of another pack stays as it is. The
ledger follows the evaluations in the order of their as-of dates: an evaluation older than
the subject's newest one is stored in the history but moves no item (see :mod:`.store`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .tables import Evaluation, RectificationItem

#: severities whose failures are problems to fix (an info rule failing is information)
OPENS_ITEMS = frozenset({"error", "warning"})


@dataclass
class Moves:
    """What one evaluation did to the ledger: item ids opened, kept open, closed."""

    opened: list[int] = field(default_factory=list)
    continued: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, list[int]]:
        return {"opened": self.opened, "continued": self.continued, "closed": self.closed}


def rule_outcomes(findings: Iterable[tuple[str, str, str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
    """``(pack, rule) → (outcome, severity)`` from ``(pack, rule, outcome, severity)``: fail if
    any finding fails, pass if all pass, else the first other outcome."""
    out: dict[tuple[str, str], tuple[str, str]] = {}
    for pack, rule, outcome, severity in findings:
        key = (pack, rule)
        seen = out.get(key)
        if seen is None or outcome == "fail" or (seen[0] == "pass" and outcome != "pass"):
            out[key] = (outcome, severity)
    return out


def apply(
    session: Session,
    evaluation: Evaluation,
    titles: Mapping[tuple[str, str], Mapping[str, str]],
    now: datetime,
) -> Moves:
    """Open, continue and close ``evaluation``'s subject's items (it is flushed: it has an id)."""
    moves = Moves()
    outcomes = rule_outcomes((f.pack, f.rule, f.outcome, f.severity) for f in evaluation.findings)
    packs = {p.pack_id for p in evaluation.packs}
    items = session.scalars(
        select(RectificationItem)
        .where(
            RectificationItem.subject_kind == evaluation.subject_kind,
            RectificationItem.subject_id == evaluation.subject_id,
            RectificationItem.status == "open",
            RectificationItem.pack.in_(packs),
        )
        .with_for_update()
    ).all()
    open_items = {(i.pack, i.rule): i for i in items}
    for key, item in open_items.items():
        outcome = outcomes.get(key)
        if outcome is None:
            continue
        item.last_evaluation_id, item.last_on, item.updated_at = evaluation.id, evaluation.as_of, now
        if outcome[0] == "pass":
            item.status, item.open_slot = "closed", None
            item.closed_evaluation_id, item.closed_on = evaluation.id, evaluation.as_of
            moves.closed.append(item.id)
        elif outcome[0] == "fail":
            item.rounds += 1
            moves.continued.append(item.id)
    for key, (result, severity) in outcomes.items():
        if result != "fail" or severity not in OPENS_ITEMS or key in open_items:
            continue
        title = titles.get(key, {})
        item = RectificationItem(
            subject_kind=evaluation.subject_kind,
            subject_id=evaluation.subject_id,
            subject_name=evaluation.subject_name,
            region=evaluation.region,
            province_key=evaluation.province_key,
            city_key=evaluation.city_key,
            county_key=evaluation.county_key,
            township_key=evaluation.township_key,
            pack=key[0],
            rule=key[1],
            severity=severity,
            title_zh=title.get("zh", key[1]),
            title_en=title.get("en") or title.get("zh", key[1]),
            status="open",
            open_slot=1,
            rounds=1,
            opened_evaluation_id=evaluation.id,
            last_evaluation_id=evaluation.id,
            opened_on=evaluation.as_of,
            last_on=evaluation.as_of,
            updated_at=now,
        )
        session.add(item)
        session.flush()
        moves.opened.append(item.id)
    return moves
