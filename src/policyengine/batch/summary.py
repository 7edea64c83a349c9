"""The run's summary: counts built up row by row, for the writers and the console."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from .._format import format_rounded
from .._text import terminal_text, xml_text
from ..outcomes import ROW_STATUSES, Outcome, Severity, Verdict
from .rows import InputProblem, ResultRow

#: Input errors the console lists before saying how many more there are.
CONSOLE_ERRORS = 10


def reproducible() -> bool:
    """``SOURCE_DATE_EPOCH`` is set (reproducible-builds.org): outputs then give that moment as
    their generation time and 0 as the run's duration, so two runs give the same bytes."""
    return os.environ.get("SOURCE_DATE_EPOCH", "").strip().isdigit()


def generation_time() -> datetime:
    """When the outputs are generated: now (local time, whole seconds), or the moment
    ``SOURCE_DATE_EPOCH`` gives (UTC) when it is set."""
    if reproducible():
        moment = datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"].strip()), tz=UTC)
        return moment.replace(tzinfo=None)
    return datetime.now().replace(microsecond=0)


@dataclass
class OutputChanges:
    """What one output file holds other than the text it was given, so that the file can hold
    it (a character XML cannot) or a spreadsheet will not run it (a formula): each is counted,
    the console says so after the run, and the file too where it has room (XLSX 汇总, JUnit
    properties, an HTML note). Never silent; the JSONL output always holds the exact text."""

    replaced: int = 0  # characters XML cannot hold, now U+FFFD
    prefixed: int = 0  # CSV text cells starting with = + - @ TAB CR, now with a leading '
    truncated: int = 0  # XLSX cells longer than a cell holds, cut

    def xml(self, text: str) -> str:
        """``text`` with what XML cannot hold replaced by U+FFFD, counted."""
        clean, n = xml_text(text)
        self.replaced += n
        return clean

    def __bool__(self) -> bool:
        return bool(self.replaced or self.prefixed or self.truncated)

    def lines(self) -> list[str]:
        """What the console says about them (zh / en), one line each."""
        out = []
        if self.prefixed:
            out.append(
                f"{self.prefixed} 个文本单元格以 = + - @、制表符或回车开头,已在前面加 ' 以免被当作公式 / "
                f"{self.prefixed} text cell(s) starting with = + - @, TAB or CR got a leading ' "
                "so that spreadsheets do not run them as formulas"
            )
        if self.replaced:
            out.append(
                f"{self.replaced} 个字符文件无法容纳(控制字符、孤立代理项、U+FFFE、U+FFFF),已替换为 U+FFFD / "
                f"{self.replaced} character(s) the file cannot hold (control characters, lone surrogates, "
                "U+FFFE, U+FFFF) were replaced with U+FFFD"
            )
        if self.truncated:
            out.append(
                f"{self.truncated} 个单元格超过 32767 个字符,已截断(JSONL 输出保留全文) / "
                f"{self.truncated} cell(s) longer than 32,767 characters were cut "
                "(the JSONL output keeps all)"
            )
        return out


@dataclass
class Summary:
    """Counts built up row by row (constant memory apart from the capped error list)."""

    as_of: date
    packs: list[dict[str, Any]] = field(default_factory=list)
    rows: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    failed_rules: Counter[tuple[str, str]] = field(default_factory=Counter)
    unknown_rules: Counter[tuple[str, str]] = field(default_factory=Counter)
    rule_info: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    by_area: dict[str, Counter[str]] = field(default_factory=dict)
    grades: dict[str, Counter[str]] = field(default_factory=dict)
    score_sums: dict[str, Decimal] = field(default_factory=dict)
    score_counts: Counter[str] = field(default_factory=Counter)
    #: each scorecard's zh title, by its id
    card_titles: dict[str, str] = field(default_factory=dict)
    errors: list[InputProblem] = field(default_factory=list)
    error_count: int = 0
    max_errors_kept: int = 1000
    #: output file (as given) → what its writer changed in the text, for files with changes
    changes: dict[str, OutputChanges] = field(default_factory=dict)
    #: lines about the run as a whole (e.g. events naming no record of the batch), zh / en
    notes: list[str] = field(default_factory=list)
    #: the ledger's title and note rows above its header row, one text per row (reports show it)
    caption: list[str] = field(default_factory=list)
    #: the ledger's columns left out (序号, 备注, a mapping's ``表头: null``), as ``sheet: header``
    ignored_columns: list[str] = field(default_factory=list)
    #: the ids of the rows (kept only when ``keep_ids``: ``assess --events`` needs them)
    keep_ids: bool = False
    record_ids: set[str] = field(default_factory=set)
    #: when the outputs are generated (one moment for every output of the run)
    generated_at: datetime = field(default_factory=generation_time)
    started: float = field(default_factory=time.monotonic)
    #: rows with a failed rule of severity warning (``--fail-on warning`` fails them)
    warned_rows: int = 0
    #: the subject kinds of the rows, counted (report titles name the kind)
    kinds: Counter[str] = field(default_factory=Counter)
    #: lines about outputs other than ``--out`` files (``--station-reports``), for the console
    written: list[str] = field(default_factory=list)

    def note_changes(self, path: Path, changes: OutputChanges) -> None:
        """A writer tells what it changed in ``path`` (nothing is kept when it changed nothing)."""
        if changes:
            self.changes[str(path)] = changes

    def add_errors(self, errors: Iterable[InputProblem]) -> None:
        """Count input errors; keep the first `max_errors_kept` for reports."""
        for e in errors:
            self.error_count += 1
            if len(self.errors) < self.max_errors_kept:
                self.errors.append(e)

    def add(self, row: ResultRow) -> None:
        self.rows += 1
        if self.keep_ids and row.record_id:
            self.record_ids.add(row.record_id)
        self.verdicts[row.verdict] += 1
        self.add_errors(row.errors)
        self.by_area.setdefault(row.area or "(未填地区)", Counter())[row.verdict] += 1
        report = row.notable
        if report is None:
            return
        if not self.packs:
            self.packs = report["packs"]
        self.kinds[report["subject"]["kind"]] += 1
        warned = False
        for f in report["findings"]:
            self._add_finding(f)
            warned = warned or (f["outcome"] == Outcome.FAIL and f["severity"] == Severity.WARNING)
        self.warned_rows += warned
        for s in report.get("scores", []):
            card = s["scorecard"]
            self.card_titles.setdefault(card, s["title"]["zh"])
            grade = s["grade"]["zh"] if s["grade"] else "—"
            self.grades.setdefault(card, Counter())[grade] += 1
            self.score_sums[card] = self.score_sums.get(card, Decimal(0)) + Decimal(s["score"])
            self.score_counts[card] += 1

    def _add_finding(self, f: dict[str, Any]) -> None:
        key = (f["pack"], f["rule"])
        if f["outcome"] == Outcome.FAIL:
            self.failed_rules[key] += 1
        elif f["outcome"] in (Outcome.UNKNOWN, Outcome.ERROR):
            self.unknown_rules[key] += 1
        else:
            return
        if key not in self.rule_info:
            self.rule_info[key] = {
                "title": f["title"]["zh"],
                "clause": f["citation"]["clause"],
                "document": f["citation"]["document"] or "",
                "severity": f["severity"],
            }

    @property
    def all_compliant(self) -> bool:
        """Every row compliant and no input error: the run's exit code is 0."""
        return self.rows == self.verdicts.get(Verdict.COMPLIANT.value, 0) and not self.error_count

    def top_failed(self, n: int = 10) -> list[dict[str, Any]]:
        return [
            {"pack": k[0], "rule": k[1], "count": c, **self.rule_info.get(k, {})}
            for k, c in self.failed_rules.most_common(n)
        ]

    def top_unknown(self, n: int = 10) -> list[dict[str, Any]]:
        """The rules most often left undecided (data missing), as :meth:`top_failed`."""
        return [
            {"pack": k[0], "rule": k[1], "count": c, **self.rule_info.get(k, {})}
            for k, c in self.unknown_rules.most_common(n)
        ]

    def elapsed(self) -> float:
        """Seconds since the run started (0 when outputs are :func:`reproducible`)."""
        return 0.0 if reproducible() else round(time.monotonic() - self.started, 3)

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "packs": self.packs,
            "rows": self.rows,
            "verdicts": dict(self.verdicts),
            "top_failed_rules": self.top_failed(),
            "by_area": {k: dict(v) for k, v in sorted(self.by_area.items())},
            "scores": {
                card: {
                    "mean": format_rounded(self.score_sums[card] / self.score_counts[card], 1),
                    "grades": dict(self.grades.get(card, {})),
                }
                for card in self.score_counts
            },
            "input_errors": self.error_count,
            "caption": self.caption,
            "ignored_columns": self.ignored_columns,
            "top_unknown_rules": self.top_unknown(),
            "warned_rows": self.warned_rows,
            "generated_at": self.generated_at.isoformat(timespec="seconds"),
        }

    def console_lines(self, outs: Sequence[Path]) -> list[str]:
        """What ``policyengine assess`` prints when it is done (text from the rows made safe
        for a terminal: no control character reaches it)."""
        counts = "  ".join(f"{s.label_zh} {self.verdicts.get(s.value, 0)}" for s in ROW_STATUSES)
        lines = [f"{self.rows} 条记录:{counts}"]
        if self.error_count:
            lines.append(
                f"输入错误 {self.error_count} 处(无法读取的单元格按缺失处理,该行照常评估;"
                "整行无法读取的,结论为“无法读取”):"
            )
            lines.extend(f"  {terminal_text(e.text_zh(hint=False))}" for e in self.errors[:CONSOLE_ERRORS])
            if self.error_count > CONSOLE_ERRORS:
                lines.append(f"  …… 其余 {self.error_count - CONSOLE_ERRORS} 处见输出文件")
        lines.extend(terminal_text(n) for n in self.notes)
        for out in outs:
            lines.append(f"已写入 {out}")
            changed = self.changes.get(str(out))
            lines.extend(f"  {line}" for line in (changed.lines() if changed else []))
        lines.extend(terminal_text(line) for line in self.written)
        return lines
