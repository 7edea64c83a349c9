"""The pack case runner cannot lie: every expectation a case states is compared, a case that
states nothing or a key the runner does not know is refused with its line, and a pack without
cases or with an uncovered rule outcome fails ``policyengine test``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from policyengine import PackError
from policyengine.cli import main
from policyengine.evaluate.engine import Engine
from policyengine.plugins import get_registry, load_pack
from policyengine.testing.cases import Case, case_files, load_cases, run_case
from policyengine.testing.spec import Expect, ExpectScore

ROOT = Path(__file__).resolve().parent.parent
OUTCOMES = ("pass", "fail", "unknown", "not_applicable", "error")
VERDICTS = ("compliant", "non_compliant", "incomplete", "not_assessed")


def _shipped_cases() -> Iterator[tuple[Engine, Case]]:
    registry = get_registry()
    for pid in registry.ids():
        pack = registry.load(pid)
        engine = Engine([pack])
        for path in case_files(pack):
            for case in load_cases(path, pack):
                yield engine, case


def _mutations(expect: Expect) -> Iterator[tuple[str, Expect]]:
    """Each stated expectation changed to something else, one at a time."""
    if expect.verdict:
        for other in VERDICTS:
            if other != expect.verdict:
                yield f"verdict {other}", expect.model_copy(update={"verdict": other})
    for rule, outcome in expect.rules.items():
        other = next(o for o in OUTCOMES if o != outcome)
        yield f"rule {rule} {other}", expect.model_copy(update={"rules": {**expect.rules, rule: other}})
    for card, want in expect.scores.items():
        changed: list[ExpectScore] = []
        if want.score is not None:
            changed.append(want.model_copy(update={"score": want.score + Decimal(1)}))
        if want.grade is not None:
            changed.append(want.model_copy(update={"grade": want.grade + "?"}))
        if want.complete is not None:
            changed.append(want.model_copy(update={"complete": not want.complete}))
        for c in changed:
            yield f"score {card} {c}", expect.model_copy(update={"scores": {**expect.scores, card: c}})
    for rule, words in expect.messages.items():
        update = {"messages": {**expect.messages, rule: words + "✗"}}
        yield f"message {rule}", expect.model_copy(update=update)
    for mon, counts in expect.monitors.items():
        for outcome, n in counts.items():
            update = {"monitors": {**expect.monitors, mon: {**counts, outcome: n + 1}}}
            yield f"monitor {mon} {outcome}", expect.model_copy(update=update)


def test_every_expectation_in_every_shipped_case_is_checked() -> None:
    """Changing any expected verdict, outcome, score, grade, completeness, message or monitor
    count of any shipped case makes that case fail."""
    checked = 0
    undetected = []
    categories: set[str] = set()
    for engine, case in _shipped_cases():
        assert run_case(engine, case).ok, case.name
        for what, expect in _mutations(case.expect):
            checked += 1
            categories.add(what.split()[0])
            mutated = Case(case.name, case.file, case.line, case.as_of, case.record, expect, case.events)
            if run_case(engine, mutated).ok:
                undetected.append(f"{case.file.parent.parent.name}: {case.name}: {what}")
    assert undetected == []
    assert checked > 300
    assert categories == {"verdict", "rule", "score", "message", "monitor"} - (
        {"message"} if not any(c.expect.messages for _, c in _shipped_cases()) else set()
    )


CASES_HEAD = """\
rules:
  - id: site.area
    title: 面积
    subject: station
    require: site.area_m2 >= 300
    cite: {clause: "1", quote: q}
    message: 面积 {site.area_m2}
"""


def _pack_with_cases(write_pack, cases: str) -> Path:  # type: ignore[no-untyped-def]
    d = write_pack(CASES_HEAD)
    (d / "tests").mkdir()
    (d / "tests" / "cases.yaml").write_text(cases, encoding="utf-8")
    return d


def test_an_unknown_key_in_a_case_file_is_refused_with_its_line(write_pack) -> None:  # type: ignore[no-untyped-def]
    d = _pack_with_cases(
        write_pack,
        """\
cases:
  - name: a
    as_of: 2023-01-01
    record: {kind: station, site: {area_m2: 300}}
    expect:
      rules: {site.area: pass}
      verdcit: compliant
""",
    )
    with pytest.raises(PackError) as err:
        load_cases(d / "tests" / "cases.yaml", load_pack(d))
    [problem] = err.value.problems
    assert "unknown field `verdcit`" in problem.message and problem.hint == "did you mean `verdict`?"
    assert problem.location is not None and problem.location.line == 7


def test_a_case_that_expects_nothing_is_refused(write_pack) -> None:  # type: ignore[no-untyped-def]
    d = _pack_with_cases(
        write_pack,
        "cases:\n  - name: a\n    as_of: 2023-01-01\n    record: {kind: station}\n    expect: {}\n",
    )
    with pytest.raises(PackError, match="expects nothing"):
        load_cases(d / "tests" / "cases.yaml", load_pack(d))


def test_monitor_expectations_need_events_and_a_known_monitor(write_pack) -> None:  # type: ignore[no-untyped-def]
    d = _pack_with_cases(
        write_pack,
        "cases:\n  - name: a\n    as_of: 2023-01-01\n    record: {kind: station}\n"
        "    expect: {monitors: {visits: {pass: 1}}}\n",
    )
    with pytest.raises(PackError) as err:
        load_cases(d / "tests" / "cases.yaml", load_pack(d))
    text = err.value.render()
    assert "has no monitor `visits`" in text and "needs an event log" in text


def test_the_test_command_fails_a_pack_without_cases_and_shows_coverage(
    write_pack,  # type: ignore[no-untyped-def]
    capsys: pytest.CaptureFixture[str],
) -> None:
    bare = write_pack(CASES_HEAD, name="bare")
    assert main(["test", str(bare)]) == 5
    assert "no test cases" in capsys.readouterr().out
    d = _pack_with_cases(
        write_pack,
        "cases:\n  - name: 300 passes\n    as_of: 2023-01-01\n"
        "    record: {kind: station, site: {area_m2: 300}}\n    expect: {rules: {site.area: pass}}\n",
    )
    assert main(["test", str(d)]) == 0
    assert main(["test", str(d), "--coverage"]) == 1  # no fail and no unknown case
    out = capsys.readouterr().out
    assert "site.area: no fail case" in out and "site.area: no unknown case" in out
    with (d / "tests" / "cases.yaml").open("a", encoding="utf-8") as fh:
        fh.write(
            "  - name: 299 fails\n    as_of: 2023-01-01\n"
            "    record: {kind: station, site: {area_m2: 299}}\n    expect: {rules: {site.area: fail}}\n"
            'unreachable:\n  site.area: {unknown: "for this test: say why instead of a case"}\n'
        )
    assert main(["test", str(d), "--coverage"]) == 0
    assert "— site.area unknown: for this test" in capsys.readouterr().out


@pytest.mark.slow
def test_pytest_fails_on_a_changed_expectation(tmp_path: Path) -> None:
    pack = tmp_path / "hunan_assessment"
    shutil.copytree(ROOT / "packs" / "hunan_assessment", pack)
    # the copy extends `hunan` by id, which the registry resolves
    cases = pack / "tests" / "scores.yaml"
    text = cases.read_text(encoding="utf-8")
    run = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(pack / "tests")]
    assert subprocess.run(run, capture_output=True, text=True, cwd=tmp_path).returncode == 0
    cases.write_text(text.replace("score: 95", "score: 96", 1), encoding="utf-8")
    failed = subprocess.run(run, capture_output=True, text=True, cwd=tmp_path)
    assert failed.returncode == 1, failed.stdout
    assert "expected score 96, got 95" in failed.stdout
