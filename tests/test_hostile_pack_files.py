"""Pack files that are not what they seem: a link to a secrets file, a device, a FIFO, a
directory, a file over the limit. Each is refused before it is read, and no error quotes it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from policyengine._yaml import MAX_YAML_BYTES

SECRET = "SECRET_TOKEN=do-not-print-me\x00OTHER=1\n"


def validate(pack: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "policyengine.cli", "validate", str(pack)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_a_pack_file_linking_to_a_secrets_file_outside_is_refused_unread(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.env"
    secrets.write_text(SECRET, encoding="utf-8")
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "pack.yaml").symlink_to(secrets)
    out = validate(pack)
    assert out.returncode == 2
    assert "outside the pack" in out.stderr
    assert "do-not-print-me" not in out.stdout + out.stderr


def test_a_link_inside_the_pack_is_read(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    (pack / "src").mkdir(parents=True)
    (pack / "src" / "real.yaml").write_text("pack: {id: [oops\n", encoding="utf-8")
    (pack / "pack.yaml").symlink_to(pack / "src" / "real.yaml")
    out = validate(pack)
    assert out.returncode == 2 and "outside the pack" not in out.stderr and "YAML syntax" in out.stderr


def test_a_case_file_linking_outside_the_pack_is_refused(tmp_path: Path) -> None:
    import shutil

    root = Path(__file__).resolve().parent.parent
    pack = tmp_path / "fujian"
    shutil.copytree(root / "packs" / "fujian", pack)
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text("cases: [" + SECRET.replace("\x00", " "), encoding="utf-8")
    (pack / "tests" / "evil.yaml").symlink_to(secrets)
    out = subprocess.run(
        [sys.executable, "-m", "policyengine.cli", "test", str(pack)], capture_output=True, text=True
    )
    assert out.returncode != 0
    assert "do-not-print-me" not in out.stdout + out.stderr
    assert "outside the pack" in out.stdout + out.stderr


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_refused_before_it_is_read(tmp_path: Path, device: str) -> None:
    if not Path(device).exists():
        pytest.skip(f"no {device} here")
    (tmp_path / "pack.yaml").symlink_to(device)
    out = validate(tmp_path)
    assert out.returncode == 2 and "not a regular file" in out.stderr


def test_a_fifo_is_refused_and_nothing_hangs(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    os.mkfifo(tmp_path / "pack.yaml")
    out = validate(tmp_path, timeout=60)  # it used to wait for a writer forever
    assert out.returncode == 2 and "not a regular file" in out.stderr


def test_a_directory_named_pack_yaml_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pack.yaml").mkdir()
    out = validate(tmp_path)
    assert out.returncode == 2 and "directory" in out.stderr and "Traceback" not in out.stderr


def test_a_file_over_the_limit_is_refused_reading_no_more_than_the_limit(tmp_path: Path) -> None:
    with (tmp_path / "pack.yaml").open("wb") as fh:
        fh.write(b"# " + b"x" * (MAX_YAML_BYTES + 10) + b"\n")
    out = validate(tmp_path)
    assert out.returncode == 2 and f"more than the {MAX_YAML_BYTES} allowed" in out.stderr
