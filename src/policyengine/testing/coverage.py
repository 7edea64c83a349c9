"""Which outcomes a pack's cases reach, rule by rule: every rule a pack defines should have a
case where it passes, one where it fails and one where it lacks data (unknown), unless a case
file says why an outcome cannot happen (``unreachable:``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .._yaml import load_yaml_file, strip_positions
from ..packs.runtime import Pack
from .cases import CaseFile, case_files, load_cases

#: The outcomes every rule should be seen to give.
REQUIRED = ("pass", "fail", "unknown")


@dataclass
class Coverage:
    """Outcomes seen per rule of one pack (its own rules, not those it extends)."""

    pack: str
    cases: int = 0
    seen: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    unreachable: dict[str, dict[str, str]] = field(default_factory=dict)
    rules: list[str] = field(default_factory=list)

    def gaps(self) -> list[tuple[str, str]]:
        """(rule, outcome) pairs no case reaches and no case file explains."""
        return [
            (rule, outcome)
            for rule in self.rules
            for outcome in REQUIRED
            if outcome not in self.seen[rule] and outcome not in self.unreachable.get(rule, {})
        ]

    def table(self) -> str:
        """Rule × outcome, as text: ✓ reached, — unreachable (said why), ✗ missing."""
        width = max([len(r) for r in self.rules] + [4])
        lines = [f"{self.pack}: {self.cases} cases", f"  {'rule':<{width}}  " + "  ".join(REQUIRED)]
        for rule in self.rules:
            marks = []
            for outcome in REQUIRED:
                if outcome in self.seen[rule]:
                    mark = "✓"
                elif outcome in self.unreachable.get(rule, {}):
                    mark = "—"
                else:
                    mark = "✗"
                marks.append(f"{mark:^{len(outcome)}}")
            lines.append(f"  {rule:<{width}}  " + "  ".join(marks))
        for rule, reasons in sorted(self.unreachable.items()):
            for outcome, why in reasons.items():
                lines.append(f"  — {rule} {outcome}: {why}")
        return "\n".join(lines)


def coverage(pack: Pack) -> Coverage:
    """What the pack's case files reach (each file is read and checked as ``load_cases`` does)."""
    out = Coverage(pack.id, rules=[r.id for r in pack.rules if r.origin.parent == pack.path])
    for path in case_files(pack):
        for case in load_cases(path, pack):
            out.cases += 1
            for rule, outcome in case.expect.rules.items():
                out.seen[rule].add(outcome)
        spec = CaseFile.model_validate(strip_positions(load_yaml_file(path)))
        for rule, reasons in spec.unreachable.items():
            out.unreachable.setdefault(rule, {}).update({str(k): v for k, v in reasons.items()})
    return out
