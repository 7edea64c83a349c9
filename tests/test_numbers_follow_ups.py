"""Numbers where packs, record files and the command line take them: no traceback for any."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from policyengine.lang.functions import _round

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "policyengine.cli", *args], capture_output=True, text=True, cwd=cwd
    )


@pytest.mark.parametrize("suffix", [".yaml", ".json", ".jsonl"])
def test_a_5000_digit_integer_in_a_record_file_is_an_error_not_a_traceback(
    tmp_path: Path, suffix: str
) -> None:
    digits = "9" * 5000
    text = (
        f"kind: station\nid: S1\nstaff_count: {digits}\n"
        if suffix == ".yaml"
        else ('{"kind": "station", "id": "S1", "staff_count": ' + digits + "}\n")
    )
    (tmp_path / f"r{suffix}").write_text(text, encoding="utf-8")
    out = cli("evaluate", "-p", "sichuan", str(tmp_path / f"r{suffix}"), "--as-of", "2023-01-01")
    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    assert f"r{suffix}" in out.stderr  # the file is named


def test_a_pack_parameter_out_of_the_record_bounds_is_refused_at_load(write_pack) -> None:  # type: ignore[no-untyped-def]
    d = write_pack("""\
parameters:
  cap:
    title: 上限
    values:
      2020-01-01: {value: 1.0e+30, cite: {clause: 一, quote: 上限}}
rules:
  - id: site.area
    title: 面积
    subject: station
    require: site.area_m2 >= param.cap
    cite: {clause: 一, quote: 面积}
    message: 面积不足
""")
    out = cli("validate", str(d))
    assert out.returncode == 2 and "out of range" in out.stderr and "Traceback" not in out.stderr


def test_as_of_is_strictly_yyyy_mm_dd() -> None:
    example = "packs/lanzhou_2022/examples/project.yaml"
    for bad in ("2023-W01-1", "2023001", "20230101"):
        out = cli("evaluate", "-p", "lanzhou_2022", example, "--as-of", bad)
        assert out.returncode == 2 and "write YYYY-MM-DD" in out.stderr, bad


def test_round_takes_0_to_15_places_and_never_fails_on_a_record_value() -> None:
    assert _round(Decimal("999999999999.994"), Decimal(2)) == Decimal("999999999999.99")
    assert _round(Decimal("999999999999.5"), Decimal(0)) == Decimal("1000000000000")
    assert _round(Decimal("0.123456789012345"), Decimal(15)) == Decimal("0.123456789012345")
    with pytest.raises(ValueError, match="0 to 15"):
        _round(Decimal(1), Decimal(16))
    with pytest.raises(ValueError, match="0 to 15"):
        _round(Decimal(1), Decimal(-1))
