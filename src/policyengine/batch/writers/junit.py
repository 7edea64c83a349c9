"""JUnit XML output: a test case per input row, for a bureau's CI or data pipeline. Valid against
the Apache Ant JUnit schema (tests/fixtures/junit-ant.xsd): ``timestamp`` is when the file was
generated (no time zone, as the schema wants), with ``hostname``, ``time``, ``properties`` (the
as-of date, the packs with versions and hashes, ``--fail-on``), ``system-out`` and
``system-err``; every ``failure`` and ``error`` has a ``type``.

Which rows fail is ``--fail-on`` (:data:`~.options.FAIL_ON`): a non-compliant row is always a
``failure`` and an unreadable one an ``error``; an incomplete row is a ``failure`` too unless
``--fail-on non-compliant`` (then ``skipped``: never a silent pass); with ``--fail-on warning``
a row failing a warning rule is a ``failure``. A row no rule applied to is ``skipped``.

Text from the rows is escaped for XML, and what XML 1.0 cannot hold (control characters, lone
surrogates, U+FFFE, U+FFFF) becomes U+FFFD; how many is a ``<property>`` of the suite and a
line on the console."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from ...outcomes import Outcome, Severity, Verdict, status_label
from ..rows import ResultRow
from ..summary import OutputChanges, Summary
from .base import Writer
from .labels import citation_text, finding_message, severity_label
from .options import DEFAULT_OPTIONS, OutputOptions
from .tables import errors_text

_UNDECIDED = (Outcome.UNKNOWN, Outcome.ERROR)


def _hostname() -> str:
    import socket

    try:
        return socket.gethostname() or "localhost"
    except OSError:
        return "localhost"


def _line(f: dict[str, Any], kind: str | None) -> str:
    """``【不合规】每站配备2名以上专业社工(station.social_workers):…(依据 文件 三)``"""
    tag = severity_label(f["severity"]) if f["outcome"] == Outcome.FAIL else Outcome(f["outcome"]).label_zh
    rule = f"{f['rule']} {f['period']}" if f.get("period") else f["rule"]
    return (
        f"【{tag}】{f['title']['zh']}({rule}):{finding_message(f, kind)}(依据 {citation_text(f['citation'])})"
    )


class JunitWriter(Writer):
    """Test cases go to a temporary file until the counts are known."""

    accepts_options = True

    def __init__(self, path: Path, options: OutputOptions = DEFAULT_OPTIONS) -> None:
        self.path = path
        self.options = options
        self.body: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        #: the input problems of rows that were judged (cells read as missing): system-err
        self.notes: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
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
            f"  <testcase classname={self._attr(subj.get('kind', 'record'))} name={self._attr(str(name))}"
            ' time="0">\n'
        )
        if row.notable is None:
            self.counts["errors"] += 1
            where = f"{row.sheet} 第{row.line}行" if row.sheet else f"第{row.line}行"
            self.body.write(
                f'    <error type="invalid" message={self._attr("无法读取:" + where)}>'
                f"{self._text(errors_text(row.errors))}</error>\n"
            )
        else:
            self._outcome(rep["findings"], rep["verdict"], subj.get("kind"))
            if row.errors:  # cells that could not be read: the row was judged without them
                self.notes.write(self._text(errors_text(row.errors)) + "\n")
        self.body.write("  </testcase>\n")

    def _outcome(self, findings: list[dict[str, Any]], verdict: str, kind: str | None) -> None:
        failed = [f for f in findings if f["outcome"] == Outcome.FAIL]
        unknown = [f for f in findings if f["outcome"] in _UNDECIDED]
        warned = [f for f in failed if f["severity"] == Severity.WARNING]
        text = "\n".join(_line(f, kind) for f in [*failed, *unknown])
        if verdict == Verdict.NON_COMPLIANT:
            n = sum(f["severity"] == Severity.ERROR for f in failed)
            self._failure("non_compliant", f"{status_label(verdict)}:{n} 条规则不符合", text)
        elif verdict == Verdict.INCOMPLETE and self.options.fails_incomplete():
            self._failure("incomplete", f"数据不全:{len(unknown)} 条规则缺少数据,无法判断", text)
        elif verdict == Verdict.INCOMPLETE:
            self._skipped(f"数据不全(--fail-on non-compliant 不计为失败):{len(unknown)} 条规则无法判断", text)
        elif warned and self.options.fails_warnings():
            self._failure("warning", f"警告:{len(warned)} 条警告级规则不符合", text)
        elif verdict == Verdict.NOT_ASSESSED:  # nothing was checked: never a pass
            self._skipped("未评估:所选政策包没有适用于此记录的规则", "")

    def _failure(self, kind: str, message: str, text: str) -> None:
        self.counts["failures"] += 1
        self.body.write(
            f'    <failure type="{kind}" message={self._attr(message)}>{self._text(text)}</failure>\n'
        )

    def _skipped(self, message: str, text: str) -> None:
        self.counts["skipped"] += 1
        body = f">{self._text(text)}</skipped>" if text else "/>"
        self.body.write(f"    <skipped message={self._attr(message)}{body}\n")

    def _properties(self, summary: Summary) -> list[tuple[str, str]]:
        props = [
            ("policyengine.as_of", summary.as_of.isoformat()),
            ("policyengine.fail_on", self.options.fail_on),
        ]
        for p in summary.packs:
            props.append((f"policyengine.pack.{p['id']}", f"{p['version']} {p['content_hash']}"))
        for key, value in (("issuer", self.options.issuer), ("assessor", self.options.assessor)):
            if value:
                props.append((f"policyengine.{key}", value))
        return props

    def close(self, summary: Summary) -> None:
        c = self.counts
        props = self._properties(summary)  # counted before the replacements' own property
        lines = [f"    <property name={self._attr(k)} value={self._attr(v)}/>" for k, v in props]
        out = "\n".join(summary.console_lines([]))
        system_out = self._text(out)
        if self.changes.replaced:  # the test cases hold U+FFFD where the rows did not
            lines.append(
                f'    <property name="policyengine.replaced_characters" value="{self.changes.replaced}"/>'
            )
        with self.path.open("w", encoding="utf-8") as fh:
            fh.write('<?xml version="1.0" encoding="UTF-8"?>\n')
            fh.write(
                f'<testsuite name="policyengine" tests="{c["tests"]}" failures="{c["failures"]}" '
                f'errors="{c["errors"]}" skipped="{c["skipped"]}" time="{summary.elapsed():.3f}" '
                f'timestamp="{summary.generated_at.isoformat(timespec="seconds")}" '
                f"hostname={quoteattr(self.changes.xml(_hostname()))}>\n"
            )
            fh.write("  <properties>\n" + "".join(f"{line}\n" for line in lines) + "  </properties>\n")
            self.body.seek(0)
            for chunk in iter(lambda: self.body.read(1 << 16), ""):
                fh.write(chunk)
            fh.write(f"  <system-out>{system_out}</system-out>\n  <system-err>")
            self.notes.seek(0)
            for chunk in iter(lambda: self.notes.read(1 << 16), ""):
                fh.write(chunk)
            fh.write("</system-err>\n")
            fh.write("</testsuite>\n")
        self.body.close()
        self.notes.close()
        summary.note_changes(self.path, self.changes)

    def release(self) -> None:
        self.body.close()
        self.notes.close()
