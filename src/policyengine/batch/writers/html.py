"""The HTML assessment report: one self-contained file (inline CSS, charts as HTML bars, no
script), in Chinese, laid out for A4 with the issuer at the top and 第 N 页 共 M 页 at the foot
of every printed page (CSS paged media, which Chromium prints; :mod:`.pdf` prints it so).

Text from the rows and packs is HTML-escaped by the template (autoescape), and the running
head, which goes into CSS, by :func:`css_string`; what the page cannot hold (characters XML
cannot: control characters, lone surrogates, U+FFFE, U+FFFF) becomes U+FFFD, counted in a note
on the page and on the console.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from ..._text import xml_text
from ..summary import OutputChanges, Summary
from .report_writer import MAX_ROWS, ReportWriter

if TYPE_CHECKING:
    from .document import Document

__all__ = ["MAX_ROWS", "HtmlWriter", "css_string", "render_html"]

#: characters a CSS string may hold as they are (everything else is written as an escape)
_CSS_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ·-_.,:()")


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string that cannot end the string or the ``<style>`` element:
    ASCII other than letters, digits and a little punctuation is written as a six-digit escape;
    other printable characters (Chinese) as they are."""
    out = []
    for ch in text:
        if ch in _CSS_PLAIN or (ord(ch) > 0x7F and ch.isprintable()):
            out.append(ch)
        else:
            out.append(f"\\{ord(ch):06x}")
    return '"' + "".join(out) + '"'


@functools.cache
def _template() -> Any:
    """The report template, compiled once per process (60-140 ms each time otherwise). Jinja2
    (the `assess` extra, slow to import) loads only when a report is written."""
    from importlib.resources import files

    from jinja2 import Environment, select_autoescape

    env = Environment(autoescape=select_autoescape(default=True))
    text = (files("policyengine.batch.writers") / "templates" / "report.html").read_text(encoding="utf-8")
    return env.from_string(text)


def render_html(doc: Document) -> tuple[str, int]:
    """``doc`` as an HTML page, and how many characters it could not hold (now U+FFFD)."""
    template = _template()
    head = css_string(xml_text(doc.running_head)[0])
    html, replaced = xml_text(template.render(doc=doc, head_css=head))
    if replaced:  # once more, saying so at the top (the note holds nothing to replace)
        doc.replaced = replaced
        html, _ = xml_text(template.render(doc=doc, head_css=head))
    return html, replaced


class HtmlWriter(ReportWriter):
    """The batch report as one HTML page (see :func:`~.batch_doc.batch_document`)."""

    def render(self, doc: Document, summary: Summary) -> None:
        html, replaced = render_html(doc)
        summary.note_changes(self.path, OutputChanges(replaced=replaced))
        self.path.write_text(html, encoding="utf-8")
