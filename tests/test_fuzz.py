"""A short, fixed-size fuzz run in CI (the long run: `python fuzz/fuzz.py --seconds 600`)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from policyengine import PackError, load_pack

FUZZ = Path(__file__).resolve().parent.parent / "fuzz" / "fuzz.py"


def fuzz_main():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("pe_fuzz", FUZZ)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


@pytest.mark.slow
def test_short_fuzz_run_finds_no_crash() -> None:
    inputs = os.environ.get("PE_FUZZ_INPUTS", "1500")
    assert fuzz_main()(["--target", "condition", "--inputs", inputs, "--seed", "11"]) == 0
    assert fuzz_main()(["--target", "pack", "--inputs", "150", "--seed", "11"]) == 0


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x9b"])
def test_control_characters_in_yaml_are_a_clear_error(tmp_path: Path, char: str) -> None:
    (tmp_path / "pack.yaml").write_text(f"pack:\n  id: a{char}b\n", encoding="utf-8")
    with pytest.raises(PackError) as err:
        load_pack(tmp_path)
    [problem] = err.value.problems
    assert problem.location.line == 2 and "control character" in problem.message
