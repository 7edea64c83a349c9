"""Checking a drafted pack from the browser: ``validate`` and ``test`` on text, in a temporary
directory removed afterwards. Nothing is installed or kept.

What a draft may reach is bounded: ``extends:`` names only a pack the service serves (no path),
a case's ``record_file:``/``events_file:`` only a file inside the draft (the served pack's
``examples/`` are copied in when the draft has its id, so a pack's own cases run), each text is
at most :data:`MAX_TEXT_BYTES`, at most :data:`MAX_CASES` cases run. YAML is read by the
project's safe loader (no tags, no aliases, bounded depth).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._yaml import load_yaml_text, value_pos
from ..errors import Location, PackError, PackNotFoundError, PolicyEngineError, Problem
from ..evaluate.engine import Engine
from ..packs.runtime import Pack
from ..plugins import load_pack
from ..testing.cases import CaseResult, load_cases, run_case

#: largest pack or case text accepted (bytes)
MAX_TEXT_BYTES = 512 * 1024
#: most test cases run for one draft
MAX_CASES = 200
#: example files copied from the served pack with the draft's id
EXAMPLE_SUFFIXES = (".yaml", ".yml", ".jsonl", ".csv")
MAX_EXAMPLE_BYTES = 2 * 1024 * 1024

PACK_NAME = "pack.yaml"
CASES_NAME = "cases.yaml"


@dataclass
class DraftResult:
    """What checking a draft found."""

    problems: list[tuple[str, Problem]] = field(default_factory=list)  # (which text, problem)
    pack: Pack | None = None
    cases: list[CaseResult] = field(default_factory=list)
    cases_given: bool = False
    cases_cut: int = 0  # cases not run (beyond MAX_CASES)
    root: str = ""  # where the draft was checked (gone now): problems name files under it


def _resolver(served: Mapping[str, Pack]) -> Any:
    """``extends:`` → a pack the service serves, by its id; nothing else (no paths)."""

    def resolve(name: str, base: Path) -> Path:
        pack = served.get(name)
        if pack is None:
            raise PackNotFoundError([Problem(f"no pack with id `{name}`", None, None, "not-found")])
        return pack.path

    return resolve


def _draft_id(text: str) -> str | None:
    try:
        data = load_yaml_text(text, PACK_NAME)
        pid = data["pack"]["id"]
    except (PolicyEngineError, KeyError, TypeError):
        return None
    return pid if isinstance(pid, str) else None


def _copy_examples(pack: Pack | None, directory: Path) -> None:
    source = pack.path / "examples" if pack is not None else None
    if source is None or not source.is_dir():
        return
    target = directory / "examples"
    target.mkdir()
    for path in sorted(source.iterdir()):
        regular = path.is_file() and not path.is_symlink()
        if path.suffix in EXAMPLE_SUFFIXES and regular and path.stat().st_size <= MAX_EXAMPLE_BYTES:
            shutil.copyfile(path, target / path.name)


def _confined_files(cases_text: str, tests: Path, root: Path) -> list[Problem]:
    """A case's ``record_file:``/``events_file:`` that leads outside the draft, by its line."""
    try:
        data = load_yaml_text(cases_text, CASES_NAME)
    except PolicyEngineError:
        return []  # the case loader reports it
    cases = data.get("cases") if isinstance(data, dict) else None
    problems = []
    for i, case in enumerate(cases if isinstance(cases, list) else []):
        for key in ("record_file", "events_file"):
            name = case.get(key) if isinstance(case, dict) else None
            if not isinstance(name, str):
                continue
            target = (tests / name).resolve()
            if not target.is_relative_to(root.resolve()) or not target.is_file():
                pos = value_pos(data, ("cases", i, key))
                line = cases_text.split("\n")[pos.line - 1] if pos else None
                where = Location(CASES_NAME, pos.line if pos else None, pos.column if pos else None, line)
                hint = (
                    "write the record into the case with `record:`; "
                    "a draft can only use the served pack's examples/"
                )
                problems.append(Problem(f"`{key}: {name}` is not a file of this draft", where, hint, "case"))
    return problems


def check_draft(
    pack_text: str, cases_text: str, served: Mapping[str, Pack], subjects: Mapping[str, Any]
) -> DraftResult:
    """Validate the pack and run its cases, as ``policyengine validate`` and ``test`` would."""
    result = DraftResult(cases_given=bool(cases_text.strip()))
    with tempfile.TemporaryDirectory(prefix="pe-draft-") as tmp:
        root = Path(tmp) / "draft"
        result.root = str(root)
        tests = root / "tests"
        tests.mkdir(parents=True)
        (root / PACK_NAME).write_text(pack_text, encoding="utf-8")
        draft_id = _draft_id(pack_text)
        _copy_examples(served.get(draft_id or ""), root)
        try:
            result.pack = load_pack(root, subjects=subjects, resolve=_resolver(served))
        except PackError as exc:
            result.problems += [(PACK_NAME, p) for p in exc.problems]
            return result
        if not result.cases_given:
            return result
        (tests / CASES_NAME).write_text(cases_text, encoding="utf-8")
        confined = _confined_files(cases_text, tests, root)
        if confined:
            result.problems += [(CASES_NAME, p) for p in confined]
            return result
        try:
            cases = load_cases(tests / CASES_NAME, result.pack)
        except PackError as exc:
            result.problems += [(CASES_NAME, p) for p in exc.problems]
            return result
        engine = Engine([result.pack])
        result.cases = [run_case(engine, case) for case in cases[:MAX_CASES]]
        result.cases_cut = max(0, len(cases) - MAX_CASES)
    return result
