from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from policyengine import Engine
from policyengine._yaml import load_yaml_file, strip_positions

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium driven by Playwright, started once for the whole session (the web
    app's tests; see tests/web_support.py)."""
    from web_support import launch_browser

    yield from launch_browser()


PACKS = ROOT / "packs"

MINIMAL_HEAD = """\
pack:
  id: {pid}
  version: 0.1.0
  title: {{zh: 测试, en: test}}
sources:
  - id: doc
    title: 测试文件
"""


@pytest.fixture
def write_pack(tmp_path: Path) -> Callable[..., Path]:
    """Write a pack directory from YAML text; returns the directory."""

    def write(body: str, pid: str = "demo", head: bool = True, name: str | None = None) -> Path:
        directory = tmp_path / (name or pid)
        directory.mkdir(parents=True, exist_ok=True)
        text = (MINIMAL_HEAD.format(pid=pid) if head else "") + textwrap.dedent(body)
        (directory / "pack.yaml").write_text(text, encoding="utf-8")
        return directory

    return write


@pytest.fixture(scope="session")
def lanzhou() -> Engine:
    return Engine.from_packs(["lanzhou_2022"])


@pytest.fixture
def lanzhou_example() -> dict:
    return strip_positions(load_yaml_file(PACKS / "lanzhou_2022" / "examples" / "project.yaml"))
