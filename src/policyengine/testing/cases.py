"""Pack test cases: ``packs/<id>/tests/*.yaml``.

Run by ``pytest`` (through :mod:`policyengine.pytest_plugin`) and by ``policyengine test``.
A case gives a record, a date and the outcome expected of each named rule::

    cases:
      - name: 服务面积280平方米不达标
        as_of: 2023-09-28
        record_file: ../examples/project.yaml   # relative to this file
        set:                                     # change single facts (null removes one)
          community.site.area_m2: 280
        expect:
          verdict: non_compliant
          rules:
            community.service_area: fail
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .._yaml import load_yaml_file, locate, strip_positions, value_pos
from ..errors import Location, PackError, PolicyEngineError, Problem, did_you_mean
from ..evaluate.engine import Engine
from ..evaluate.render import trace_lines
from ..evaluate.report import Report
from ..models.base import pydantic_problems
from ..outcomes import Outcome, Verdict
from ..packs.runtime import Pack

OutcomeName = Literal["pass", "fail", "unknown", "not_applicable", "error"]


class _ExpectScore(BaseModel):
    model_config = ConfigDict(extra="forbid")
    score: Decimal | None = None
    grade: str | None = None
    complete: bool | None = None


class _Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verdict: Literal["compliant", "non_compliant", "incomplete"] | None = None
    rules: dict[str, OutcomeName] = Field(default_factory=dict)
    scores: dict[str, _ExpectScore] = Field(default_factory=dict)


class _Case(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    as_of: date
    record: dict[str, Any] | None = None
    record_file: str | None = None
    patch: dict[str, Any] | None = None
    set: dict[str, Any] | None = None
    expect: _Expect


class _CaseFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cases: list[_Case] = Field(min_length=1)


@dataclass
class Case:
    """One test case, ready to run."""

    name: str
    file: Path
    line: int
    as_of: date
    record: dict[str, Any]
    expect_rules: dict[str, Outcome]
    expect_verdict: Verdict | None
    expect_scores: dict[str, _ExpectScore] = field(default_factory=dict)


@dataclass
class CaseResult:
    case: Case
    report: Report | None
    mismatches: list[tuple[str, Outcome, Outcome | None]] = field(default_factory=list)
    verdict: tuple[Verdict, Verdict] | None = None
    error: str | None = None
    score_mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            not self.mismatches and self.verdict is None and self.error is None and not self.score_mismatches
        )


def case_files(pack: Pack) -> list[Path]:
    d = pack.tests_dir
    if not d.is_dir():
        return []
    return sorted([*d.glob("*.yaml"), *d.glob("*.yml")])


def load_cases(path: Path, pack: Pack) -> list[Case]:
    """Read one case file; every problem (with file:line:col) is raised together."""
    data = load_yaml_file(path)
    lines = path.read_text(encoding="utf-8-sig").split("\n")

    def where(loc: tuple[Any, ...]) -> Location:
        pos, _ = locate(data, loc)
        if pos is None:
            return Location(str(path))
        text = lines[pos.line - 1] if 0 < pos.line <= len(lines) else None
        return Location(str(path), pos.line, pos.column, text)

    try:
        model = _CaseFile.model_validate(data)
    except ValidationError as exc:
        raise PackError(pydantic_problems(exc, _CaseFile, where, code="case")) from None

    problems: list[Problem] = []
    cases: list[Case] = []
    for i, c in enumerate(model.cases):
        base = ("cases", i)
        problems.extend(_unknown_ids(c, pack, base, where))
        record = _record_of(c, path, base, where, problems)
        if record is None:
            continue
        pos = value_pos(data, base)
        cases.append(
            Case(
                name=c.name,
                file=path,
                line=pos.line if pos else 1,
                as_of=c.as_of,
                record=record,
                expect_rules={k: Outcome(v) for k, v in c.expect.rules.items()},
                expect_verdict=Verdict(c.expect.verdict) if c.expect.verdict else None,
            )
        )
    if problems:
        raise PackError(problems)
    return cases


Where = Callable[[tuple[Any, ...]], Location]


def _unknown_ids(c: _Case, pack: Pack, base: tuple[Any, ...], where: Where) -> list[Problem]:
    """Expectations naming a scorecard or rule the pack does not have."""
    problems = []
    card_ids = {sc.id for sc in pack.scorecards}
    for cid in c.expect.scores:
        if cid not in card_ids:
            problems.append(
                Problem(
                    f"pack `{pack.id}` has no scorecard `{cid}`",
                    where((*base, "expect", "scores", cid)),
                    None,
                    "case",
                )
            )
    rule_ids = {r.id for r in pack.rules}
    for rid in c.expect.rules:
        if rid not in rule_ids:
            suggestion = did_you_mean(rid, rule_ids)
            problems.append(
                Problem(
                    f"pack `{pack.id}` has no rule `{rid}`",
                    where((*base, "expect", "rules", rid)),
                    f"did you mean `{suggestion}`?" if suggestion else None,
                    "case",
                )
            )
    return problems


def _record_of(
    c: _Case, path: Path, base: tuple[Any, ...], where: Where, problems: list[Problem]
) -> Any | None:
    """The case's record: given inline or in a file, then patched and set; None if unusable."""
    if (c.record is None) == (c.record_file is None):
        problems.append(
            Problem("give exactly one of `record:` and `record_file:`", where(base), None, "case")
        )
        return None
    if c.record is not None:
        record = strip_positions(c.record)
    else:
        target = (path.parent / str(c.record_file)).resolve()
        try:
            loaded = load_yaml_file(target)
        except PackError as exc:
            problems.extend(exc.problems)
            return None
        record = strip_positions(loaded)
    if c.patch:
        record = deep_merge(record, strip_positions(c.patch))
    if c.set:
        for key, value in c.set.items():
            try:
                set_path(record, key, strip_positions(value))
            except (KeyError, IndexError, TypeError) as exc:
                problems.append(
                    Problem(f"cannot set `{key}`: {exc}", where((*base, "set", key)), None, "case")
                )
    return record


def deep_merge(base: Any, patch: Any) -> Any:
    """``patch`` onto ``base``: mappings merge, ``null`` removes a key, anything else replaces."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for k, v in patch.items():
            if v is None:
                out.pop(k, None)
            else:
                out[k] = deep_merge(out.get(k), v)
        return out
    return copy.deepcopy(patch)


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def set_path(record: dict[str, Any], path: str, value: Any) -> None:
    """Set ``a.b[1].c`` in a nested record; ``None`` removes the last key."""
    steps: list[str | int] = [
        int(m.group(2)) if m.group(2) is not None else m.group(1) for m in _STEP.finditer(path)
    ]
    if not steps:
        raise KeyError(path)
    node: Any = record
    for step in steps[:-1]:
        if isinstance(step, int):
            node = node[step]
        else:
            if node.get(step) is None:
                node[step] = {}
            node = node[step]
    last = steps[-1]
    if value is None:
        if isinstance(last, int):
            del node[last]
        else:
            node.pop(last, None)
    else:
        node[last] = value


def run_case(engine: Engine, case: Case) -> CaseResult:
    try:
        report = engine.evaluate(case.record, as_of=case.as_of, trace=True, source=f"{case.file}:{case.line}")
    except PolicyEngineError as exc:
        return CaseResult(case, None, error=exc.render())
    result = CaseResult(case, report)
    actual = {f.rule: f.outcome for f in report.findings}
    for rid, expected in case.expect_rules.items():
        got = actual.get(rid)
        if got is not expected:
            result.mismatches.append((rid, expected, got))
    if case.expect_verdict is not None and report.verdict is not case.expect_verdict:
        result.verdict = (case.expect_verdict, report.verdict)
    scores = {s.scorecard: s for s in report.scores}
    for cid, want in case.expect_scores.items():
        got = scores.get(cid)
        if got is None:
            result.score_mismatches.append(f"scorecard {cid}: expected a score, got none")
            continue
        if want.score is not None and got.score != want.score:
            result.score_mismatches.append(f"scorecard {cid}: expected score {want.score}, got {got.score}")
        grade = got.grade["zh"] if got.grade else None
        if want.grade is not None and grade != want.grade:
            result.score_mismatches.append(f"scorecard {cid}: expected grade {want.grade}, got {grade}")
        if want.complete is not None and got.complete is not want.complete:
            result.score_mismatches.append(
                f"scorecard {cid}: expected complete={want.complete}, got {got.complete}"
            )
        if result.score_mismatches:
            for ind in got.indicators:
                result.score_mismatches.append(
                    f"    {ind.dimension}.{ind.id}: {ind.points}/{ind.max_points} ({ind.why['en']})"
                )
    return result


def run_pack_cases(pack: Pack) -> Iterator[CaseResult]:
    engine = Engine([pack])
    for path in case_files(pack):
        for case in load_cases(path, pack):
            yield run_case(engine, case)


def describe_failure(result: CaseResult) -> str:
    """Expected vs actual for each mismatching rule, with the trace."""

    case = result.case
    lines = [f"{case.file}:{case.line}: case {case.name!r}"]
    if result.error:
        lines.append("  the record was refused:")
        lines.extend("    " + ln for ln in result.error.splitlines())
        return "\n".join(lines)
    if result.verdict:
        lines.append(f"  verdict: expected {result.verdict[0].value}, got {result.verdict[1].value}")
    assert result.report is not None
    lines.extend("  " + m for m in result.score_mismatches)
    for rid, expected, got in result.mismatches:
        lines.append(f"  rule {rid}: expected {expected.value}, got {got.value if got else 'no finding'}")
        if got is None:
            continue
        finding = result.report.finding(rid)
        lines.append(f"    message: {finding.message['zh']}")
        for t in trace_lines(finding, "en"):
            lines.append(f"    trace: {t}")
        if finding.missing:
            lines.append(f"    missing: {', '.join(finding.missing)}")
    return "\n".join(lines)


def is_case_file(path: Path) -> bool:
    return (
        path.suffix in (".yaml", ".yml")
        and path.parent.name == "tests"
        and (path.parent.parent / "pack.yaml").is_file()
    )


__all__ = [
    "Case",
    "CaseResult",
    "case_files",
    "describe_failure",
    "is_case_file",
    "load_cases",
    "run_case",
    "run_pack_cases",
]
