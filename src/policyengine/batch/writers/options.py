"""What ``policyengine assess`` tells its outputs beyond the rows: who issues the report, which
rows fail a CI gate, how CSV is encoded, where the per-record reports go."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

#: ``--fail-on``: which rows a gate (the JUnit file, the exit code) fails, from the fewest up.
#: ``non-compliant``: non-compliant and unreadable rows; ``incomplete`` (the default) also rows
#: some rule could not decide for missing data; ``warning`` also rows failing a warning rule.
FAIL_ON = ("non-compliant", "incomplete", "warning")

#: ``--encoding`` for CSV outputs → the codec written (UTF-8 with a BOM, which Excel needs to
#: read UTF-8; GB18030, which old Excel and WPS on Chinese Windows open directly).
CSV_ENCODINGS = {"utf-8": "utf-8-sig", "gb18030": "gb18030"}

#: per-record report formats (``--station-format``), as file suffixes
RECORD_FORMATS = (".pdf", ".docx")


@dataclass(frozen=True)
class OutputOptions:
    """The run's report options. Every field has the value a run without options gets."""

    #: 出具单位: the body issuing the report (``--issuer "某某县民政局"``)
    issuer: str | None = None
    #: 评估单位: who carried out the assessment (``--assessor "某某评估中心"``)
    assessor: str | None = None
    #: which rows fail a gate: one of :data:`FAIL_ON`
    fail_on: str = "incomplete"
    #: CSV encoding: a key of :data:`CSV_ENCODINGS`
    encoding: str = "utf-8"
    #: the input as the reports name it (its file name)
    source: str | None = None
    #: a directory for one report per record (``--station-reports DIR``), or None
    record_reports: Path | None = None
    #: the formats of those reports, as suffixes (of :data:`RECORD_FORMATS`)
    record_formats: tuple[str, ...] = (".pdf",)
    #: the run's as-of date and generation time (``run_assessment`` fills them in, so that
    #: every output, the per-record reports too, gives the same ones), and the rows' kind
    as_of: date | None = None
    generated_at: datetime | None = None
    #: the kind of record the rows are, when the run settled one (titles an unreadable row's report)
    kind: str | None = None

    def fails_incomplete(self) -> bool:
        """Incomplete rows fail the gate (``--fail-on incomplete`` or ``warning``)."""
        return self.fail_on != "non-compliant"

    def fails_warnings(self) -> bool:
        """Rows failing a warning rule fail the gate (``--fail-on warning``)."""
        return self.fail_on == "warning"


DEFAULT_OPTIONS = OutputOptions()
