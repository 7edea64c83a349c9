"""Pack test cases: ``packs/<id>/tests/*.yaml``.

Run by ``pytest`` (through :mod:`policyengine.pytest_plugin`) and by ``policyengine test``.
A case gives a record, a date and what it expects; every category of expectation it states
is compared (:data:`CHECKS`), and a key the runner does not know is refused with its line::

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
          messages:                              # words the zh message must contain
            community.service_area: 低于 300 平方米
          scores:                                # scorecards: score, grade, complete
            performance: {score: 75, grade: 合格}
    unreachable:                                 # outcomes a rule cannot give, and why
      some.rule: {unknown: "applies only when the fact is recorded"}
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .._yaml import load_yaml_file, locate, strip_positions, value_pos
from ..errors import Location, PackError, PolicyEngineError, Problem, RecordError, did_you_mean
from ..evaluate.engine import Engine
from ..evaluate.report import Report
from ..models.base import pydantic_problems
from ..models.events import Event, parse_events
from ..monitor.api import Monitor
from ..monitor.events import read_events
from ..monitor.findings import MonitorFinding
from ..packs.runtime import Pack
from .checks import CHECKS, Observed
from .spec import CaseFile, CaseSpec, Expect, ExpectScore, OutcomeName


@dataclass
class Case:
    """One test case, ready to run."""

    name: str
    file: Path
    line: int
    as_of: date
    record: dict[str, Any] | None
    expect: Expect
    events: list[Event] | None = None
    #: the observation window's first day, when the case gives one
    observe_from: date | None = None


@dataclass
class CaseResult:
    case: Case
    report: Report | None
    #: one line per expectation not met (with what explains it, indented)
    problems: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.error is None


def case_files(pack: Pack) -> list[Path]:
    d = pack.tests_dir
    if not d.is_dir():
        return []
    return sorted([*d.glob("*.yaml"), *d.glob("*.yml")])


def load_cases(path: Path, pack: Pack) -> list[Case]:
    """Read one case file; every problem (with file:line:col) is raised together."""
    data = load_yaml_file(path, inside=pack.path)
    lines = path.read_text(encoding="utf-8-sig").split("\n")

    def where(loc: tuple[Any, ...]) -> Location:
        pos, _ = locate(data, loc)
        if pos is None:
            return Location(str(path))
        text = lines[pos.line - 1] if 0 < pos.line <= len(lines) else None
        return Location(str(path), pos.line, pos.column, text)

    try:
        model = CaseFile.model_validate(data)
    except ValidationError as exc:
        raise PackError(pydantic_problems(exc, CaseFile, where, code="case")) from None

    problems: list[Problem] = []
    rule_ids = {r.id for r in pack.rules}
    for rid in model.unreachable:
        if rid not in rule_ids:
            suggestion = did_you_mean(rid, rule_ids)
            hint = f"did you mean `{suggestion}`?" if suggestion else None
            problems.append(
                Problem(f"pack `{pack.id}` has no rule `{rid}`", where(("unreachable", rid)), hint, "case")
            )
    cases: list[Case] = []
    for i, c in enumerate(model.cases):
        base = ("cases", i)
        problems.extend(_unknown_ids(c, pack, base, where))
        problems.extend(_what_is_given(c, base, where))
        given_record = c.record is not None or c.record_file is not None
        record = _record_of(c, path, base, where, problems) if given_record else None
        events = _events_of(c, path, problems)
        if (given_record and record is None) or ((c.events is not None or c.events_file) and events is None):
            continue
        pos = value_pos(data, base)
        cases.append(
            Case(
                name=c.name,
                file=path,
                line=pos.line if pos else 1,
                as_of=c.as_of,
                record=record,
                expect=c.expect,
                events=events,
                observe_from=c.observe_from,
            )
        )
    if problems:
        raise PackError(problems)
    return cases


Where = Callable[[tuple[Any, ...]], Location]


def _unknown_ids(c: CaseSpec, pack: Pack, base: tuple[Any, ...], where: Where) -> list[Problem]:
    """A case that expects nothing, and expectations naming a scorecard or rule the pack does
    not have."""
    problems = []
    if not c.expect.stated():
        problems.append(
            Problem(
                "this case expects nothing, so it could never fail",
                where((*base, "expect")),
                f"state at least one of {', '.join(Expect.model_fields)}",
                "case",
            )
        )
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
    monitor_ids = {m.id for m in pack.monitors}
    for mid in c.expect.monitors:
        if mid not in monitor_ids:
            suggestion = did_you_mean(mid, monitor_ids)
            problems.append(
                Problem(
                    f"pack `{pack.id}` has no monitor `{mid}`",
                    where((*base, "expect", "monitors", mid)),
                    f"did you mean `{suggestion}`?" if suggestion else None,
                    "case",
                )
            )
    rule_ids = {r.id for r in pack.rules}
    for section in ("rules", "messages"):
        for rid in getattr(c.expect, section):
            if rid not in rule_ids:
                suggestion = did_you_mean(rid, rule_ids)
                problems.append(
                    Problem(
                        f"pack `{pack.id}` has no rule `{rid}`",
                        where((*base, "expect", section, rid)),
                        f"did you mean `{suggestion}`?" if suggestion else None,
                        "case",
                    )
                )
    return problems


def _what_is_given(c: CaseSpec, base: tuple[Any, ...], where: Where) -> list[Problem]:
    """A record for what judges the record, events for ``monitors``, never both forms of one."""
    out = []
    has_record = c.record is not None or c.record_file is not None
    has_events = c.events is not None or c.events_file is not None
    if c.record is not None and c.record_file is not None:
        out.append(Problem("give one of `record:` and `record_file:`, not both", where(base), None, "case"))
    if c.events is not None and c.events_file is not None:
        out.append(Problem("give one of `events:` and `events_file:`, not both", where(base), None, "case"))
    if not has_record and not has_events:
        out.append(
            Problem("give a record (`record:` or `record_file:`) or `events:`", where(base), None, "case")
        )
    if c.expect.about_the_record() and not has_record:
        out.append(
            Problem(
                f"`expect: {c.expect.about_the_record()[0]}` judges a record, and this case gives none",
                where((*base, "expect")),
                "add `record:` or `record_file:`",
                "case",
            )
        )
    if c.expect.monitors and not has_events:
        hint = "add `events:` or `events_file:`"
        out.append(Problem("`expect: monitors` needs an event log", where((*base, "expect")), hint, "case"))
    return out


def _events_of(c: CaseSpec, path: Path, problems: list[Problem]) -> list[Event] | None:
    """The case's events, read and checked (every bad event named by its line)."""
    try:
        if c.events_file is not None:
            return read_events((path.parent / c.events_file).resolve())
        if c.events is not None:
            return parse_events([strip_positions(e) for e in c.events], f"{path}: events")
    except RecordError as exc:
        problems.extend(exc.problems)
    return None


def _record_of(
    c: CaseSpec, path: Path, base: tuple[Any, ...], where: Where, problems: list[Problem]
) -> Any | None:
    """The case's record: given inline or in a file, then patched and set; None if unusable."""
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
    """Evaluate the case's record, run the pack's monitors over its events (plain backend, the
    log complete through ``as_of``), and compare every category of expectation it states."""
    report = None
    findings: tuple[MonitorFinding, ...] = ()
    try:
        if case.record is not None:
            source = f"{case.file}:{case.line}"
            report = engine.evaluate(case.record, as_of=case.as_of, trace=True, source=source)
        if case.events is not None:
            monitor = Monitor(engine.packs, backend="plain").feed(case.events).advance(case.as_of)
            if case.observe_from is not None:
                monitor.observe(case.observe_from, case.as_of)
            findings = tuple(monitor.findings())
    except PolicyEngineError as exc:
        return CaseResult(case, None, error=exc.render())
    result = CaseResult(case, report)
    observed = Observed(report, findings)
    for category in case.expect.stated():
        result.problems.extend(CHECKS[category](getattr(case.expect, category), observed))
    return result


def run_pack_cases(pack: Pack) -> Iterator[CaseResult]:
    engine = Engine([pack])
    for path in case_files(pack):
        for case in load_cases(path, pack):
            yield run_case(engine, case)


def describe_failure(result: CaseResult) -> str:
    """Every expectation not met, with the message and trace that explain it."""
    case = result.case
    lines = [f"{case.file}:{case.line}: case {case.name!r}"]
    if result.error:
        lines.append("  the record was refused:")
        lines.extend("    " + ln for ln in result.error.splitlines())
        return "\n".join(lines)
    lines.extend("  " + p for p in result.problems)
    return "\n".join(lines)


def is_case_file(path: Path) -> bool:
    return (
        path.suffix in (".yaml", ".yml")
        and path.parent.name == "tests"
        and (path.parent.parent / "pack.yaml").is_file()
    )


__all__ = [
    "CHECKS",
    "Case",
    "CaseFile",
    "CaseResult",
    "CaseSpec",
    "Expect",
    "ExpectScore",
    "OutcomeName",
    "case_files",
    "describe_failure",
    "is_case_file",
    "load_cases",
    "run_case",
    "run_pack_cases",
]
