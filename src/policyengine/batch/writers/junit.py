"""JUnit XML output: a test case per input row, for a bureau's CI or data pipeline.

Text from the rows is escaped for XML, and what XML 1.0 cannot hold (control characters, lone
surrogates, U+FFFE, U+FFFF) becomes U+FFFD; how many is a ``<property>`` of the suite and a
line on the console."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from ...outcomes import Outcome, Severity, Verdict
from ..rows import ResultRow
from ..summary import OutputChanges, Summary
from .base import Writer
from .tables import errors_text


class JunitWriter(Writer):
    """A failure for each non-compliant row, an error for each unreadable one, skipped for a
    row with undecided rules. Test cases go to a temporary file until the counts are known."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.body: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self.counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        self.changes = OutputChanges()

    def _attr(self, text: str) -> str:
        """``text`` as a quoted attribute value XML can hold."""
        return quoteattr(self.changes.xml(text))

    def _text(self, text: str) -> str:
        """``text`` as element content XML can hold."""
        return escape(self.changes.xml(text))

    def write(self, row: ResultRow) -> None:
        rep = row.notable or {}
        subj = rep.get("subject", {})
        name = subj.get("id") or row.record_id or subj.get("name") or row.record_name or row.where()
        self.counts["tests"] += 1
        self.body.write(
            f"  <testcase classname={self._attr(subj.get('kind', 'record'))} name={self._attr(str(name))}>\n"
        )
        if row.notable is None:
            self.counts["errors"] += 1
            self.body.write(
                f"    <error message={self._attr('无法读取:' + row.where())}>"
                f"{self._text(errors_text(row.errors))}</error>\n"
            )
        else:
            self._outcome(rep["findings"], rep["verdict"])
        self.body.write("  </testcase>\n")

    def _outcome(self, findings: list[dict[str, Any]], verdict: str) -> None:
        failed = [f for f in findings if f["outcome"] == Outcome.FAIL and f["severity"] == Severity.ERROR]
        unknown = [f for f in findings if f["outcome"] in (Outcome.UNKNOWN, Outcome.ERROR)]
        if failed:
            self.counts["failures"] += 1
            text = "\n".join(f"{f['rule']}: {f['message']['zh']} ({f['citation']['clause']})" for f in failed)
            message = quoteattr(f"{len(failed)} 条规则不符合")
            self.body.write(f"    <failure message={message}>{self._text(text)}</failure>\n")
        elif unknown:
            self.counts["skipped"] += 1
            text = ", ".join(f["rule"] for f in unknown)
            self.body.write(f"    <skipped message={self._attr('数据不足:' + text)}/>\n")
        elif verdict == Verdict.NOT_ASSESSED:  # nothing was checked: never a pass
            self.counts["skipped"] += 1
            self.body.write(
                f"    <skipped message={quoteattr('未评估:所选政策包没有适用于此记录的规则')}/>\n"
            )

    def close(self, summary: Summary) -> None:
        c = self.counts
        with self.path.open("w", encoding="utf-8") as fh:
            fh.write('<?xml version="1.0" encoding="UTF-8"?>\n')
            fh.write(
                f'<testsuite name="policyengine" tests="{c["tests"]}" failures="{c["failures"]}" '
                f'errors="{c["errors"]}" skipped="{c["skipped"]}" '
                f"timestamp={quoteattr(summary.as_of.isoformat())}>\n"
            )
            if self.changes.replaced:  # the test cases below hold U+FFFD where the rows did not
                n = self.changes.replaced
                fh.write(
                    "  <properties>\n"
                    f'    <property name="policyengine.replaced_characters" value="{n}"/>\n'
                    "  </properties>\n"
                )
            self.body.seek(0)
            for chunk in iter(lambda: self.body.read(1 << 16), ""):
                fh.write(chunk)
            fh.write("</testsuite>\n")
        self.body.close()
        summary.note_changes(self.path, self.changes)

    def release(self) -> None:
        self.body.close()
