"""A short, fixed-size fuzz run in CI (the long run: `python fuzz/fuzz.py --seconds 90`, per target).

Each reader target (fuzz/readers.py: CSV, JSONL and XLSX ledgers through every batch output,
records for `evaluate`, event logs for `monitor`) gets a seeded run of a few seconds; together
they take under a minute on two cores.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from policyengine import PackError, RecordError, load_pack

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


#: (target, inputs): sized so that all of them together take well under a minute on two cores
READER_RUNS = [
    pytest.param("csv", 70, id="csv"),
    pytest.param("jsonl", 60, id="jsonl"),
    pytest.param("xlsx", 60, id="xlsx"),
    pytest.param("records", 800, id="records"),
    pytest.param("events", 800, id="events"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("target", "inputs"), READER_RUNS)
def test_short_reader_fuzz_run_finds_no_crash(
    target: str, inputs: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PE_FUZZ_CRASHES", str(tmp_path))  # not among the long runs' crashes
    assert fuzz_main()(["--target", target, "--inputs", str(inputs), "--seed", "11"]) == 0


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x9b"])
def test_control_characters_in_yaml_are_a_clear_error(tmp_path: Path, char: str) -> None:
    (tmp_path / "pack.yaml").write_text(f"pack:\n  id: a{char}b\n", encoding="utf-8")
    with pytest.raises(PackError) as err:
        load_pack(tmp_path)
    [problem] = err.value.problems
    assert problem.location.line == 2 and "control character" in problem.message


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("r.jsonl", b'{"kind": "station", "id": "A\xff"}\n'),  # in a string: the model refuses it
        ("r.jsonl", b'{"kind": "station", "id": \xff}\n'),  # elsewhere: not JSON
        ("e.jsonl", b'{"type": "visit", "date": "2023-01-05", "note": "\xc3\x28"}\n'),
        # a GB18030 line in a UTF-8 file (a whole GB18030 file is read: the encoding is detected)
        ("e.csv", b"type,date,note\nvisit,2023-01-05,\xe7\xbc\x96\nvisit,2023-01-06,\xb1\xe0\xba\xc5\n"),
    ],
)
def test_invalid_utf8_in_records_and_event_logs_is_a_clear_error(
    tmp_path: Path, name: str, data: bytes
) -> None:
    """Found by the fuzzer: a UnicodeDecodeError escaped read_records and read_events."""
    from policyengine.evaluate.engine import Engine
    from policyengine.io import read_records
    from policyengine.monitor import read_events

    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(RecordError):
        if name.startswith("r"):
            engine = Engine.from_packs(["sichuan"])
            for label, record in read_records(path):
                engine.evaluate(record, source=label)
        else:
            read_events(path)
