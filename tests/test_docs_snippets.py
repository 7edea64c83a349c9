"""Every ```python block in README.md and docs/*.md runs as written.

Each block is saved as a script and run in a subprocess, in a scratch directory that holds the
files the snippets name (the shipped examples at their paths in the repository, and a small
``stations.xlsx`` built as tests/test_assess.py builds its workbook). A block must exit 0; where
it prints, what it prints is checked against EXPECT. Excerpts that cannot run take another
fence (```text); keep those few.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # every snippet in its own interpreter

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHIPPED = [
    "packs/lanzhou_2022/examples/project.yaml",
    "packs/haining/examples/events-2023.jsonl",
    "packs/hunan/examples/project.yaml",
    "packs/hunan/examples/oversight-2022.jsonl",
]
FENCE = re.compile(r"^```python\n(.*?)^```$", re.M | re.S)
TIMEOUT = 120  # seconds; the row-by-row batch example starts two worker processes

#: what a block's output must contain, by its test id (file and block index)
EXPECT = {
    "README.md[0]": "compliant",
    "docs/architecture.md[0]": "1\tSC0001\tinvalid",
    "docs/architecture.md[3]": "visitors=1200",
    "docs/embedding.md[0]": "compliant",
    "docs/embedding.md[1]": "'rows': 20",
    "docs/embedding.md[2]": "'compliant': 18",  # row 17's one unreadable cell is a note, not fatal
    "docs/embedding.md[3]": "P1 fail ['P2']",
    "docs/monitoring.md[0]": "staff.departure_filed",
    "docs/monitoring.md[1]": "['2023-01', '2023-02', '2023-03', '2023-07']",
    "docs/monitoring.md[2]": "[('2023-01', 'fail'), ('2023-02', 'fail'), ('2023-03', 'fail')]",
    "docs/monitoring.md[3]": "non_compliant ['2022-01', '2022-02', '2022-03', '2022-Q1']",
}


def _blocks() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        name = doc.relative_to(ROOT).as_posix()
        text = doc.read_text(encoding="utf-8")
        found += [(f"{name}[{i}]", m.group(1)) for i, m in enumerate(FENCE.finditer(text))]
    return found


BLOCKS = _blocks()


@pytest.fixture(scope="module")
def stations(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 20-row workbook of 四川 township stations: two lack a worker, row 17 has a bad cell."""
    pytest.importorskip("openpyxl")
    from test_assess import build_workbook

    path = tmp_path_factory.mktemp("ledger") / "stations.xlsx"
    build_workbook(path, n=20)
    return path


@pytest.mark.parametrize(("name", "code"), BLOCKS, ids=[name for name, _ in BLOCKS])
def test_snippet_runs_as_written(
    name: str, code: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    for rel in SHIPPED:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tmp_path / rel)
    if "stations.xlsx" in code:
        shutil.copy(request.getfixturevalue("stations"), tmp_path / "stations.xlsx")
    if ".xlsx" in code:
        pytest.importorskip("openpyxl")
    script = tmp_path / "snippet.py"
    script.write_text(code, encoding="utf-8")
    returncode, stdout, stderr = _run(script)
    assert returncode == 0, f"{name} failed:\n{code}\n--- stderr ---\n{stderr}"
    if name in EXPECT:
        assert EXPECT[name] in stdout, f"{name} printed:\n{stdout}"


def _run(script: Path) -> tuple[int, str, str]:
    """Run a script in its own session, so that a hang ends with its worker processes too."""
    proc = subprocess.Popen(
        [sys.executable, script.name],
        cwd=script.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
        proc.communicate()
        pytest.fail(f"{script.name} ran past {TIMEOUT}s (worker processes without a __main__ guard?)")
    return proc.returncode, stdout, stderr


def test_the_docs_have_snippets_and_every_expectation_names_one() -> None:
    names = {name for name, _ in BLOCKS}
    assert len(names) >= 10
    assert set(EXPECT) <= names


@pytest.mark.parametrize("doc", DOCS, ids=[d.relative_to(ROOT).as_posix() for d in DOCS])
def test_python_blocks_are_fenced_exactly_python(doc: Path) -> None:
    """A ```py or ```python3 fence would slip past the extraction above."""
    fences = re.findall(r"^```(py\w*)", doc.read_text(encoding="utf-8"), re.M)
    assert set(fences) <= {"python"}
