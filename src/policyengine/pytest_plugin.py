"""pytest plugin: collects every pack's ``tests/*.yaml`` cases as test items.

Installed through the ``pytest11`` entry point, so ``pytest`` in a checkout (or pointed at
any pack directory) runs pack cases with no configuration. A failing case shows, for each
rule, the expected and the actual outcome, the message and the trace.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .errors import PolicyEngineError
from .evaluate.engine import Engine
from .plugins import get_registry
from .testing.cases import Case, describe_failure, is_case_file, load_cases, run_case


class PackCaseError(Exception):
    """A pack case did not give the expected outcomes."""


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if is_case_file(file_path):
        return PackCaseFile.from_parent(parent, path=file_path)
    return None


def _engine_for(pack_dir: Path) -> Any:
    pack = get_registry().load(pack_dir)
    return pack, Engine([pack])


class PackCaseFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        try:
            pack, engine = _engine_for(self.path.parent.parent)
            cases = load_cases(self.path, pack)
        except PolicyEngineError as exc:
            raise self.CollectError(exc.render()) from None
        for case in cases:
            yield PackCaseItem.from_parent(self, name=case.name, case=case, engine=engine)


class PackCaseItem(pytest.Item):
    def __init__(self, *, case: Case, engine: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.engine = engine

    def runtest(self) -> None:
        result = run_case(self.engine, self.case)
        if not result.ok:
            raise PackCaseError(describe_failure(result))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, PackCaseError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.case.line - 1, f"pack case: {self.case.name}"
