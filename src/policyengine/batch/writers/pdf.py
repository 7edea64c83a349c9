"""The PDF batch report: the HTML report (:mod:`.html`) printed on A4 by headless Chromium
(:mod:`.chromium` says why Chromium), with the issuer at the top and 第 N 页 共 M 页 at the
foot of every page."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..summary import OutputChanges, Summary
from .chromium import Chromium, require_chromium
from .html import render_html
from .options import DEFAULT_OPTIONS, OutputOptions
from .report_writer import ReportWriter

if TYPE_CHECKING:
    from .document import Document


def print_pdf(browser: Chromium, html: str) -> bytes:
    """``html`` (a whole page) as PDF bytes, through a temporary file the browser loads."""
    with tempfile.TemporaryDirectory(prefix="policyengine-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        return browser.pdf(page)


class PdfWriter(ReportWriter):
    """The batch report as PDF. Chromium is looked for when the file is opened, so a machine
    without it stops the run before any row is assessed."""

    def __init__(self, path: Path, options: OutputOptions = DEFAULT_OPTIONS) -> None:
        super().__init__(path, options)
        self.executable = require_chromium("PDF 报告 / the PDF report")

    def render(self, doc: Document, summary: Summary) -> None:
        html, replaced = render_html(doc)
        with Chromium(self.executable) as browser:
            data = print_pdf(browser, html)
        self.path.write_bytes(data)
        summary.note_changes(self.path, OutputChanges(replaced=replaced))
