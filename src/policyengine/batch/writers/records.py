"""``--station-reports DIR``: one signed report per record (station, project …), as PDF and/or
DOCX (``--station-format``), named ``0001_编号_名称.pdf`` in input order.

Each report is drawn when its row arrives (memory stays flat; one Chromium serves the whole
run) into a partial directory beside DIR, which replaces DIR only when the run finishes, as
every output does (:mod:`.atomic`). Since DIR is replaced whole, it must be new, empty, or a
directory an earlier run wrote (it holds the marker file :data:`MARKER`): a directory with
other files is refused before any row is assessed.
"""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

from ...errors import Location, PolicyEngineError, Problem
from ..rows import ResultRow
from ..summary import OutputChanges, Summary, generation_time
from .atomic import remove_stale_partials
from .base import Writer
from .chromium import Chromium, require_chromium
from .docx_writer import render_docx
from .html import render_html
from .options import OutputOptions
from .pdf import print_pdf
from .record_doc import record_document
from .views import row_view

#: the file that marks a directory as one ``--station-reports`` wrote
MARKER = ".policyengine-reports"
_UNSAFE = re.compile(r"[^\w\-()()·]+")


def file_stem(number: int, record_id: str, name: str) -> str:
    """``0001_SC0001_示例1镇社工站``: the row number, then the id and name as far as a file name
    can hold them (path separators, dots, spaces, controls become ``_``; each part ≤ 40)."""
    parts = [f"{number:04d}"]
    for text in (record_id, name):
        safe = _UNSAFE.sub("_", text).strip("_")[:40]
        if safe:
            parts.append(safe)
    return "_".join(parts)


def _refuse(directory: Path, message: str, hint: str) -> PolicyEngineError:
    return PolicyEngineError([Problem(message, Location(str(directory)), hint, "usage")])


class RecordReportsWriter(Writer):
    """Writes ``options.record_formats`` for each row into a partial directory; :meth:`close`
    puts it in place of ``target``."""

    def __init__(self, target: Path, options: OutputOptions) -> None:
        if target.exists() and not target.is_dir():
            raise _refuse(target, f"--station-reports {target} is a file", "give a directory (it is created)")
        if target.is_dir() and any(target.iterdir()) and not (target / MARKER).exists():
            raise _refuse(
                target,
                f"--station-reports {target} holds other files: it would be replaced whole",
                "give a new or empty directory (or one an earlier run wrote)",
            )
        self.executable = (
            require_chromium("--station-reports PDF") if ".pdf" in options.record_formats else None
        )
        self.target, self.options = target, options
        self.as_of = options.as_of or date.today()
        self.generated_at = options.generated_at or generation_time()
        remove_stale_partials(target)
        self.path = target.with_name(f".{target.name}.partial-{os.getpid()}")
        self.path.mkdir(parents=True)
        (self.path / MARKER).write_text("policyengine assess --station-reports\n", encoding="utf-8")
        self.browser: Chromium | None = None
        self.counts: Counter[str] = Counter()
        self.changes = OutputChanges()

    def write(self, row: ResultRow) -> None:
        view = row_view(row, full=True)
        doc = record_document(view, self.options, self.as_of, self.generated_at)
        stem = file_stem(view.number, view.id, view.name)
        if ".pdf" in self.options.record_formats:
            html, replaced = render_html(doc)
            self.changes.replaced += replaced
            if self.browser is None:
                self.browser = Chromium(self.executable)
            (self.path / f"{stem}.pdf").write_bytes(print_pdf(self.browser, html))
            self.counts["PDF"] += 1
        if ".docx" in self.options.record_formats:
            render_docx(doc, self.path / f"{stem}.docx", self.changes)
            self.counts["DOCX"] += 1

    def close(self, summary: Summary) -> None:
        self.release()
        old = self.target.with_name(f".{self.target.name}.old-{os.getpid()}")
        if self.target.exists():
            os.replace(self.target, old)
        try:
            os.replace(self.path, self.target)
        except BaseException:
            if old.exists():
                os.replace(old, self.target)
            raise
        shutil.rmtree(old, ignore_errors=True)
        made = "、".join(f"{kind} {n} 份" for kind, n in sorted(self.counts.items())) or "0 份"
        summary.written.append(f"已写入 {self.target}/:每条记录一份报告,{made}")
        summary.written.extend(f"  {line}" for line in self.changes.lines())

    def abort(self) -> None:
        try:
            self.release()
        finally:
            shutil.rmtree(self.path, ignore_errors=True)

    def release(self) -> None:
        if self.browser is not None:
            browser, self.browser = self.browser, None
            browser.close()


def open_record_reports(directory: Path, options: OutputOptions) -> Writer:
    """The writer of ``--station-reports DIR``."""
    return RecordReportsWriter(directory, options)
