"""The HTML report, opened in a real headless Chromium (Debian's package; .ci/run installs it)."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a real browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    if os.environ.get("CI"):
        pytest.fail("CI must install Debian's chromium (see .ci/run)", pytrace=False)
    pytest.skip("chromium is not installed here (CI installs it)", allow_module_level=True)

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],  # type: ignore[list-item]
            capture_output=True,
            text=True,
            timeout=120,
        )


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from test_assess import build_workbook

    out = tmp_path_factory.mktemp("html")
    build_workbook(out / "in.xlsx", n=60)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "policyengine.cli",
            "assess",
            "-p",
            "sichuan",
            "in.xlsx",
            "--kind",
            "station",
            "--as-of",
            "2022-10-01",
            "-o",
            "report.html",
        ],
        capture_output=True,
        text=True,
        cwd=out,
    )
    assert result.returncode == 1, result.stderr
    return out / "report.html"


def test_the_report_is_self_contained(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']https?://""", html)
    assert "<script" not in html


def test_chromium_renders_the_summary_and_the_charts(report: Path) -> None:
    dom = chromium("--dump-dom", report.as_uri()).stdout
    # 60 stations: 6 have one professional social worker too few; row 17 has a broken cell,
    # read as missing (its rules do not need it: the station is still judged)
    cards = dict(re.findall(r'data-verdict="(\w+)"><div>[^<]+</div>\s*<div class="n"[^>]*>(\d+)<', dom))
    assert cards == {
        "compliant": "54",
        "non_compliant": "6",
        "incomplete": "0",
        "not_assessed": "0",
        "invalid": "0",
    }
    verdict_chart = dom[dom.index('id="verdict-chart"') : dom.index('id="rules-chart"')]
    assert [int(v) for v in re.findall(r'data-value="(\d+)"', verdict_chart)] == [54, 6, 0, 0, 0]
    start = dom.index('id="rules-chart"')
    rules_chart = dom[start : dom.index("</figure>", start)]
    # the most-failed rule, by its full Chinese title: never a cut rule id
    assert "每站配备2名以上专业社工" in rules_chart
    assert "station." not in rules_chart and "…" not in rules_chart
    assert "社工站 第18行" in dom  # the broken cell, by sheet and row
    assert "服务面积(平方米)" in dom and "site.area_m2" not in dom  # the field by its title


def test_a_screenshot_shows_a_page(report: Path, tmp_path: Path) -> None:
    shot, blank = tmp_path / "report.png", tmp_path / "blank.png"
    chromium("--window-size=1200,1600", f"--screenshot={shot}", report.as_uri())
    (tmp_path / "blank.html").write_text("<html><body></body></html>", encoding="utf-8")
    chromium("--window-size=1200,1600", f"--screenshot={blank}", (tmp_path / "blank.html").as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1200, 1600)
    assert len(data) > 10 * blank.stat().st_size  # text and charts, not an empty page


def test_the_report_prints(report: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    chromium(f"--print-to-pdf={pdf}", "--no-pdf-header-footer", report.as_uri())
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and data.count(b"/Type /Page\n") + data.count(b"/Type/Page") >= 1
