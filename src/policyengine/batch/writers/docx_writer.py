"""The DOCX reports (python-docx): the same blocks as the HTML/PDF report (:mod:`.document`),
on A4, with the running head at the top of each page, 第 N 页 共 M 页 (Word fields) at the
foot, every table's header row repeated on each page, and the seal block at the end. Opens in
Word, WPS and LibreOffice, where a bureau can add its letterhead before signing.

python-docx refuses text XML cannot hold: such characters become U+FFFD and are counted, as
in every other output.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..summary import OutputChanges, Summary
from .report_writer import ReportWriter

if TYPE_CHECKING:
    from .document import Cards, Chart, Document, Table

#: the text block's width on A4 with 18 mm side margins, in mm
TEXT_WIDTH_MM = 174
BODY_FONT, HEAD_FONT, LATIN_FONT = "宋体", "黑体", "Times New Roman"
#: a chart bar is at most this many block characters long (at 8 pt it fits its column)
BAR_CHARS = 20


class _Docx:
    """One document being built: python-docx's objects and the text changes counted."""

    def __init__(self, changes: OutputChanges) -> None:
        from docx import Document as new_document
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Mm, Pt, RGBColor

        self.Mm, self.Pt, self.RGB, self.align = Mm, Pt, RGBColor, WD_ALIGN_PARAGRAPH
        self.changes = changes
        self.doc = new_document()
        section = self.doc.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = Mm(18)
        section.top_margin, section.bottom_margin = Mm(20), Mm(18)
        for name, font, size in (
            ("Normal", BODY_FONT, 10.5),
            ("Heading 2", HEAD_FONT, 13),
            ("Heading 3", HEAD_FONT, 11),
        ):
            style = self.doc.styles[name]
            style.font.size = Pt(size)
            style.font.color.rgb = RGBColor(0x1F, 0x23, 0x28)
            _east_asian(style.element, font)

    def text(self, value: str) -> str:
        return self.changes.xml(value)

    def run(
        self,
        paragraph: Any,
        text: str,
        *,
        bold: bool = False,
        size: float | None = None,
        colour: str | None = None,
    ) -> Any:
        r = paragraph.add_run(self.text(text))
        r.bold = bold or None
        if size is not None:
            r.font.size = self.Pt(size)
        if colour is not None:
            r.font.color.rgb = self.RGB.from_string(colour)
        return r

    def paragraph(
        self,
        text: str = "",
        *,
        size: float | None = None,
        colour: str | None = None,
        bold: bool = False,
        centre: bool = False,
    ) -> Any:
        p = self.doc.add_paragraph()
        if text:
            self.run(p, text, bold=bold, size=size, colour=colour)
        if centre:
            p.alignment = self.align.CENTER
        p.paragraph_format.space_after = self.Pt(3)
        return p

    def table(self, rows: int, widths: list[int], grid: bool = True) -> Any:
        t = self.doc.add_table(rows=rows, cols=len(widths))
        if grid:
            t.style = self.doc.styles["Table Grid"]
        t.autofit = False
        total = sum(widths) or 1
        sizes = [self.Mm(TEXT_WIDTH_MM * w / total) for w in widths]
        _fixed_grid(t, [size.twips for size in sizes])  # LibreOffice and WPS read the grid
        for row in t.rows:
            _row_flag(row, "w:cantSplit")  # a row never breaks across pages
            for cell, size in zip(row.cells, sizes, strict=True):
                cell.width = size  # Word reads each cell's width
        return t

    def cell(
        self, cell: Any, text: str, *, bold: bool = False, colour: str | None = None, size: float = 9
    ) -> None:
        p = cell.paragraphs[0]
        p.paragraph_format.space_after = self.Pt(0)
        self.run(p, text, bold=bold, size=size, colour=colour)


def _east_asian(element: Any, font: str) -> None:
    """Set a style's Chinese font (w:eastAsia, which python-docx has no setter for), and its
    Latin font for digits and letters (as official documents pair them)."""
    from docx.oxml.ns import qn

    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        from docx.oxml import OxmlElement

        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), font)
    for attribute in ("w:ascii", "w:hAnsi"):
        fonts.set(qn(attribute), LATIN_FONT)


def _fixed_grid(table: Any, twips: list[int]) -> None:
    """Column widths in the table grid, and a fixed layout (no reflow to the content)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for col, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), twips, strict=True):
        col.set(qn("w:w"), str(width))
    props = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    props.append(layout)
    margins = OxmlElement("w:tblCellMar")  # 1 mm either side: narrow columns keep their words
    for side in ("left", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), "57")
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    props.append(margins)


def _field(paragraph: Any, instruction: str, shown: str) -> None:
    """A Word field (PAGE, NUMPAGES) with the text shown until the reader updates it."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = shown
    run.append(text)
    fld.append(run)
    paragraph._p.append(fld)


def _shade(cell: Any, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _row_flag(row: Any, name: str) -> None:
    """Set a row property (w:tblHeader: repeated on each page; w:cantSplit: kept whole)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    flag = OxmlElement(name)
    flag.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(flag)


def _repeat_header(row: Any) -> None:
    _row_flag(row, "w:tblHeader")


def _page_frame(d: _Docx, doc: Document) -> None:
    section = d.doc.sections[0]
    head = section.header.paragraphs[0]
    d.run(head, doc.running_head, size=8, colour="59636E")
    foot = section.footer.paragraphs[0]
    foot.alignment = d.align.CENTER
    d.run(foot, "第 ", size=9)
    _field(foot, "PAGE", "1")
    d.run(foot, " 页 共 ", size=9)
    _field(foot, "NUMPAGES", "1")
    d.run(foot, " 页", size=9)


def _front(d: _Docx, doc: Document) -> None:
    d.paragraph(doc.title, size=18, bold=True, centre=True)
    if doc.subtitle:
        d.paragraph(doc.subtitle, size=11, centre=True)
    pairs = doc.meta
    t = d.table((len(pairs) + 1) // 2, [14, 36, 14, 36], grid=False)
    for i, (k, v) in enumerate(pairs):
        row, col = divmod(i, 2)
        d.cell(t.rows[row].cells[col * 2], k, colour="59636E", size=10)
        d.cell(t.rows[row].cells[col * 2 + 1], v, size=10)


def _caption(d: _Docx, title: str) -> None:
    p = d.paragraph(title, size=9.5, bold=True)
    p.paragraph_format.space_before = d.Pt(6)
    p.paragraph_format.keep_with_next = True


def _table(d: _Docx, b: Table) -> None:
    from .document import TONE_COLOURS

    _caption(d, b.title)
    t = d.table(1 + len(b.rows), b.widths)
    _repeat_header(t.rows[0])
    for cell, h in zip(t.rows[0].cells, b.headers, strict=True):
        d.cell(cell, h, bold=True)
        _shade(cell, "EEF1F4")
    for r, row in enumerate(b.rows, start=1):
        for cell, c in zip(t.rows[r].cells, row, strict=True):
            d.cell(cell, c.text, bold=c.tone is not None, colour=TONE_COLOURS.get(c.tone or ""))
    if b.note:
        d.paragraph(b.note, size=8.5, colour="59636E").paragraph_format.space_before = d.Pt(2)


def _chart(d: _Docx, b: Chart) -> None:
    _caption(d, b.title)
    top = max((bar.value for bar in b.bars), default=0) or 1
    t = d.table(len(b.bars), [38, 52, 10], grid=False)
    for row, bar in zip(t.rows, b.bars, strict=True):
        d.cell(row.cells[0], bar.label)
        length = round(BAR_CHARS * bar.value / top)
        bar_text = "█" * length if bar.value else "▏"
        d.cell(row.cells[1], bar_text, colour=bar.colour.lstrip("#").upper(), size=8)
        d.cell(row.cells[2], str(bar.value))


def _cards(d: _Docx, b: Cards) -> None:
    t = d.table(2, [1] * len(b.items))
    for i, c in enumerate(b.items):
        d.cell(t.rows[0].cells[i], c.label, size=9)
        d.cell(t.rows[1].cells[i], str(c.value), bold=True, size=14, colour=c.colour.lstrip("#").upper())


def _seal(d: _Docx, doc: Document) -> None:
    d.paragraph("")
    t = d.table(3, [1] * len(doc.parties), grid=False)
    for row in t.rows:
        row.height = d.Mm(11)  # room to sign and to put the seal
    for i, p in enumerate(doc.parties):
        d.cell(t.rows[0].cells[i], f"{p.role}:{p.name or '＿' * 10}", bold=True, size=10.5)
        d.cell(t.rows[1].cells[i], "负责人签字:" + "＿" * 8, size=10.5)
        d.cell(t.rows[2].cells[i], "日期:　　　　年　　月　　日", size=10.5)


def render_docx(doc: Document, path: Path, changes: OutputChanges) -> None:
    """Write ``doc`` to ``path`` as DOCX, counting in ``changes`` what the file cannot hold."""
    from .document import Cards, Chart, Heading, Paragraph, Table

    d = _Docx(changes)
    _page_frame(d, doc)
    _front(d, doc)
    for b in doc.blocks:
        if isinstance(b, Heading):
            d.doc.add_heading(d.text(b.text), level=b.level)
        elif isinstance(b, Paragraph):
            p = d.paragraph(b.text, size=8.5 if b.note else None, colour="59636E" if b.note else None)
            p.paragraph_format.space_before = d.Pt(4)
        elif isinstance(b, Cards):
            _cards(d, b)
        elif isinstance(b, Chart):
            _chart(d, b)
        elif isinstance(b, Table):
            _table(d, b)
    _seal(d, doc)
    d.doc.core_properties.title = d.text(doc.title)
    d.doc.core_properties.author = d.text(next((p.name for p in doc.parties if p.name), "policyengine"))
    d.doc.save(str(path))


class DocxWriter(ReportWriter):
    """The batch report as DOCX (see :func:`~.batch_doc.batch_document`)."""

    def render(self, doc: Document, summary: Summary) -> None:
        changes = OutputChanges()
        render_docx(doc, self.path, changes)
        summary.note_changes(self.path, changes)
