"""What the batch reports (HTML, PDF, DOCX) share: keep the first :data:`MAX_ROWS` rows as the
report shows them, draw the document at the end. The document's modules load only then, so
registering these writers costs a run that writes none of them nothing."""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..rows import ResultRow
from ..summary import Summary
from .base import Writer
from .options import DEFAULT_OPTIONS, OutputOptions

if TYPE_CHECKING:
    from .document import Document

#: rows listed in full (and with their problems) in a batch report; XLSX and JSONL hold all
MAX_ROWS = 500


class ReportWriter(Writer):
    """A batch report drawn from :func:`~.batch_doc.batch_document` at the end of the run: the
    first :data:`MAX_ROWS` rows are kept as the report shows them (:class:`~.views.RowView`)."""

    accepts_options = True

    def __init__(self, path: Path, options: OutputOptions = DEFAULT_OPTIONS) -> None:
        self.path = path
        self.options = options
        self.views: list[Any] = []

    def write(self, row: ResultRow) -> None:
        if len(self.views) < MAX_ROWS:
            from .views import row_view

            self.views.append(row_view(row))

    def close(self, summary: Summary) -> None:
        from .batch_doc import batch_document

        self.render(batch_document(summary, self.views, self.options), summary)

    @abstractmethod
    def render(self, doc: Document, summary: Summary) -> None:
        """Write ``doc`` to :attr:`path`."""
