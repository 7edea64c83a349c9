"""The PDF printer's browser leaves nothing behind: not when it cannot start, not when a signal
(SIGTERM is raised as SystemExit) interrupts its close."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from policyengine.batch.writers import chromium as chromium_module
from policyengine.batch.writers.chromium import Chromium, find_chromium
from policyengine.errors import PolicyEngineError


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def test_a_browser_that_cannot_start_leaves_no_profile(private_tmp: Path) -> None:
    fake = private_tmp / "not-a-browser"
    fake.write_bytes(b"\x00\x01\x02 not an executable format")
    fake.chmod(0o755)
    with pytest.raises(PolicyEngineError, match="无法启动"):
        Chromium(str(fake))
    assert [p.name for p in private_tmp.iterdir()] == ["not-a-browser"]


@pytest.mark.slow
def test_a_signal_during_close_still_kills_the_browser_and_removes_its_profile(
    private_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    executable = find_chromium()
    if executable is None:
        pytest.skip("no Chromium installed")
    browser = Chromium(executable)
    pid = browser._pid
    [profile] = [p for p in private_tmp.iterdir() if p.name.startswith("policyengine-chromium-")]
    real_reaped = chromium_module._reaped
    calls: list[float] = []

    def interrupted(process: int, seconds: float) -> bool:
        calls.append(seconds)
        if len(calls) == 1:
            raise SystemExit(143)  # SIGTERM arriving while the polite close waits
        return real_reaped(process, seconds)

    monkeypatch.setattr(chromium_module, "_reaped", interrupted)
    with pytest.raises(SystemExit):
        browser.close()
    assert len(calls) == 2  # the kill's wait ran after the interruption
    assert not profile.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # reaped: no such process any more
