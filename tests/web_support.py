"""What the web app's tests share: the live server (``policyengine serve`` in a subprocess, as in
``test_service``), a real headless Chromium driven by Playwright, logging in, and the
screenshots kept for people to look at.

Playwright drives Debian's ``chromium`` (``executable_path``); it never downloads a browser.
Screenshots go to ``$POLICYENGINE_SCREENSHOTS`` or ``build/screenshots/`` in the repository:
CI keeps that directory as its artifact.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from policyengine.batch.writers.chromium import find_chromium
from test_history_databases import new_database
from test_service import Server, start_server

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = Path(os.environ.get("POLICYENGINE_SCREENSHOTS") or ROOT / "build" / "screenshots")
VIEWPORT = {"width": 1280, "height": 800}
#: flags for Chromium on a machine with no network beyond loopback, running as root
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--lang=zh-CN",  # the browser's own words (file pickers, date fields) as a bureau's PC shows them
]
#: a web page in zh mode never shows these: an English field name or a raw code (a word of
#: lowercase letters and underscores, as in `non_compliant`, `site.area`)
RAW_CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b|\b[a-z]+\.[a-z_]+\.[a-z_]+\b")


def web_server(tmp: Path, packs: tuple[str, ...] = ("haining", "hunan")) -> Server:
    return start_server(new_database("sqlite", tmp), tmp, packs, "--keep-inputs")


def launch_browser() -> Iterator[Any]:
    """One headless Chromium (skipped only where no Chromium is installed and
    ``POLICYENGINE_TEST_BROWSER`` is not ``required``, as CI sets it). The session's ``browser``
    fixture (tests/conftest.py) is this, started once: a second Playwright in the same process
    would fail."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    executable = find_chromium()
    if executable is None:
        if os.environ.get("POLICYENGINE_TEST_BROWSER") == "required":
            pytest.fail("no Chromium found, and the browser tests are required here")
        pytest.skip("no Chromium installed")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def new_page(browser: Any, lang: str = "zh") -> Any:
    """A fresh page (its own cookies) at 1280×800, in ``lang``."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN" if lang == "zh" else "en-US")
    return context.new_page()


def log_in(page: Any, server: Server, token_name: str) -> None:
    page.goto(f"{server.base}/login")
    page.fill("#token", server.tokens[token_name])
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()


def screenshot(page: Any, name: str, full_page: bool = True) -> Path:
    """Keep a screenshot of what the page shows now as ``<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def print_preview(page: Any, name: str) -> Path:
    """The page as it prints (print media, A4 width) kept as ``<name>.png`` and ``<name>.pdf``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.emulate_media(media="print")
    pdf = SCREENSHOTS / f"{name}.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.emulate_media(media="screen")
    return path
