"""Outputs are never half-written and inputs never overwritten: a run that fails or is stopped
(Ctrl-C, SIGTERM, SIGKILL, with one process or two) leaves each output name holding the
previous file or a complete new one, and no partial file, temp file or process behind."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROWS = 100_000
FUNDING = {"kind": "funding", "funds": {"social_assistance": "521万", "purchase_from_special": "15.63万"}}


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "policyengine.cli", *args], capture_output=True, text=True, cwd=cwd
    )


def test_an_output_that_is_the_input_is_refused_before_anything_is_opened(tmp_path: Path) -> None:
    ledger = tmp_path / "same.jsonl"
    ledger.write_text(json.dumps(FUNDING, ensure_ascii=False) + "\n", encoding="utf-8")
    before = ledger.read_bytes()
    out = run("assess", "-p", "sichuan", "same.jsonl", "-o", "same.jsonl", cwd=tmp_path)
    assert out.returncode == 2 and "is the input" in out.stderr
    assert ledger.read_bytes() == before
    out = run("assess", "-p", "sichuan", "same.jsonl", "-o", "r.csv", "-o", "./r.csv", cwd=tmp_path)
    assert out.returncode == 2 and "given twice" in out.stderr and not (tmp_path / "r.csv").exists()


def test_a_finished_run_replaces_the_previous_file_and_leaves_no_partial(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_text(json.dumps(FUNDING, ensure_ascii=False) + "\n", encoding="utf-8")
    (tmp_path / "r.jsonl").write_text("PREVIOUS\n", encoding="utf-8")
    out = run("assess", "-p", "sichuan", "in.jsonl", "-o", "r.jsonl", "-o", "r.xlsx", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads((tmp_path / "r.jsonl").read_text(encoding="utf-8"))["verdict"] == "compliant"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "r.jsonl", "r.xlsx"]


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("big")
    line = json.dumps(FUNDING, ensure_ascii=False) + "\n"
    (d / "in.jsonl").write_text(line * ROWS, encoding="utf-8")
    return d


OUTS = ("r.jsonl", "r.csv", "r.xlsx")


def _previous(d: Path) -> dict[str, bytes]:
    for name in OUTS:
        (d / name).write_bytes(f"PREVIOUS {name}\n".encode())
    return {name: (d / name).read_bytes() for name in OUTS}


def _start(d: Path, jobs: int) -> subprocess.Popen[bytes]:
    tmp = d / "tmpdir"
    tmp.mkdir(exist_ok=True)
    args = ["assess", "-p", "sichuan", "in.jsonl", "--no-progress", "--jobs", str(jobs)]
    for name in OUTS:
        args += ["-o", name]
    return subprocess.Popen(
        [sys.executable, "-m", "policyengine.cli", *args],
        cwd=d,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "TMPDIR": str(tmp)},  # openpyxl's temp files land here
        start_new_session=True,
    )


def _wait_for_partials(d: Path, proc: subprocess.Popen[bytes], wait: float = 120) -> None:
    """Until the run has opened its outputs (their partial files exist): loading the packs
    takes seconds on a loaded machine, and a signal before that tests nothing about outputs."""
    end = time.monotonic() + wait
    while time.monotonic() < end and proc.poll() is None:
        if any(".partial-" in p.name for p in d.iterdir()):
            return
        time.sleep(0.05)
    pytest.fail("the run never opened its outputs")


def _group_gone(pgid: int, wait: float = 10) -> bool:
    end = time.monotonic() + wait
    while time.monotonic() < end:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def _complete_or_previous(d: Path, previous: dict[str, bytes]) -> None:
    for name in OUTS:
        data = (d / name).read_bytes()
        if data == previous[name]:
            continue
        if name == "r.jsonl":  # a new one is whole: every row, each line a full JSON object
            lines = data.decode("utf-8").splitlines()
            assert len(lines) == ROWS and all(json.loads(x)["verdict"] for x in lines), name
        else:
            assert len(data) > 1000, name


@pytest.mark.slow
@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stopped_run_keeps_the_previous_outputs_and_leaves_nothing_behind(
    big: Path, jobs: int, sig: int, code: int
) -> None:
    previous = _previous(big)
    proc = _start(big, jobs)
    _wait_for_partials(big, proc)
    time.sleep(random.Random(f"{jobs}{sig}").uniform(0.0, 1.5))  # part-way through the rows
    assert proc.poll() is None, "the run ended before it could be stopped"
    os.killpg(proc.pid, sig) if sig == signal.SIGINT else proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=60)  # Ctrl-C with --jobs 2 never exited before
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("the stopped run did not exit within 60 s")
    assert proc.returncode == code, err.decode()[-2000:]
    assert b"Traceback" not in err
    assert {name: (big / name).read_bytes() for name in OUTS} == previous
    assert not [p.name for p in big.iterdir() if ".partial-" in p.name]
    assert list((big / "tmpdir").iterdir()) == []  # no openpyxl temp file left
    assert _group_gone(proc.pid), "worker processes outlived the run"


@pytest.mark.slow
def test_a_killed_run_never_leaves_a_partial_file_under_the_output_name(big: Path) -> None:
    previous = _previous(big)
    proc = _start(big, 2)
    _wait_for_partials(big, proc)
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    _complete_or_previous(big, previous)
    partials = [p for p in big.iterdir() if ".partial-" in p.name]
    # nothing can run on SIGKILL; the next run writing these names removes what is left
    for p in partials:
        assert p.name.startswith(".r.")
    outs = [arg for name in OUTS for arg in ("-o", name)]
    out = run("assess", "-p", "sichuan", "in.jsonl", "--no-progress", *outs, cwd=big)
    assert out.returncode == 0, out.stderr[-2000:]
    assert not [p.name for p in big.iterdir() if ".partial-" in p.name]
