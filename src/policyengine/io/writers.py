"""Batch outputs: XLSX, CSV, JSON Lines, HTML and JUnit XML, chosen by the file's extension.

Each writer takes assessed rows one at a time (so memory stays flat) and the summary at the
end. Every input row appears in every output, including rows that could not be read.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from ..assess import AssessedRow, Summary
from ..errors import Location, PolicyEngineError, Problem

OUTPUT_SUFFIXES = (".xlsx", ".csv", ".jsonl", ".html", ".xml")

VERDICT_ZH = {"compliant": "合规", "non_compliant": "不合规", "incomplete": "数据不全", "invalid": "无法读取"}
OUTCOME_ZH = {
    "pass": "符合",
    "fail": "不符合",
    "unknown": "数据不足",
    "not_applicable": "不适用",
    "error": "无法评估",
}

RESULT_HEADERS = [
    "序号",
    "工作表",
    "行号",
    "编号",
    "名称",
    "地区",
    "结论",
    "得分",
    "等级",
    "不符合条数",
    "数据不足条数",
    "不符合的规则",
    "数据不足的规则",
    "输入错误",
]
DETAIL_HEADERS = [
    "序号",
    "编号",
    "名称",
    "政策包",
    "规则",
    "规则名称",
    "结果",
    "级别",
    "说明",
    "依据文件",
    "条款",
    "原文",
]
ERROR_HEADERS = ["工作表", "行号", "字段", "问题", "建议"]


def result_row(row: AssessedRow) -> list[Any]:
    """One row of the results table (the same columns in XLSX, CSV and HTML)."""
    rep = row.notable or {}
    subj = rep.get("subject", {})
    findings = rep.get("findings", [])
    failed = [f for f in findings if f["outcome"] == "fail"]
    unknown = [f for f in findings if f["outcome"] in ("unknown", "error")]
    scores = rep.get("scores", [])
    score = "; ".join(f"{s['score']}/{s['total']}" for s in scores)
    grade = "; ".join((s["grade"] or {}).get("zh", "—") for s in scores)
    return [
        row.index + 1,
        row.sheet,
        row.line,
        subj.get("id") or row.record_id,
        subj.get("name") or row.record_name,
        row.area,
        VERDICT_ZH.get(row.verdict, row.verdict),
        score,
        grade,
        len(failed),
        len(unknown),
        "\n".join(f"{f['rule']} {f['message']['zh']}({f['citation']['clause']})" for f in failed),
        "\n".join(f"{f['rule']} {f['message']['zh']}" for f in unknown),
        "\n".join(_error_text(e) for e in row.errors),
    ]


def detail_rows(row: AssessedRow) -> list[list[Any]]:
    rep = row.notable or {}
    subj = rep.get("subject", {})
    out = []
    for f in rep.get("findings", []):
        if f["outcome"] in ("pass", "not_applicable"):
            continue
        c = f["citation"]
        out.append(
            [
                row.index + 1,
                subj.get("id"),
                subj.get("name"),
                f["pack"],
                f["rule"],
                f["title"]["zh"],
                OUTCOME_ZH[f["outcome"]],
                f["severity"],
                f["message"]["zh"],
                c["document"],
                c["clause"],
                c["quote"],
            ]
        )
    return out


def _error_text(e: dict[str, Any]) -> str:
    where = f"{e['sheet']} 第{e['row']}行" if e.get("sheet") else f"第{e['row']}行"
    field = f" {e['field']}" if e.get("field") else ""
    hint = f"({e['hint']})" if e.get("hint") else ""
    return f"{where}{field}:{e['message']}{hint}"


class Writer:
    path: Path

    def write(self, row: AssessedRow) -> None:
        raise NotImplementedError

    def close(self, summary: Summary) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        """The run failed: leave no half-written file behind."""
        fh = getattr(self, "fh", None) or getattr(self, "body", None)
        if fh is not None:
            fh.close()
        self.path.unlink(missing_ok=True)


class CsvWriter(Writer):
    """One row per input row, UTF-8 with BOM so that Excel opens it in Chinese."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fh = path.open("w", encoding="utf-8-sig", newline="")
        self.out = csv.writer(self.fh)
        self.out.writerow(RESULT_HEADERS)

    def write(self, row: AssessedRow) -> None:
        self.out.writerow(["" if v is None else v for v in result_row(row)])

    def close(self, summary: Summary) -> None:
        self.fh.close()


class JsonlWriter(Writer):
    """One JSON object per input row: where it came from, the full report or the errors."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fh = path.open("w", encoding="utf-8")

    def write(self, row: AssessedRow) -> None:
        where = {"index": row.index, "sheet": row.sheet, "line": row.line, "area": row.area}
        dumps = json.dumps
        # the bytes of json.dumps({...}, ensure_ascii=False), with the report text reused
        self.fh.write(
            f'{{"row": {dumps(where, ensure_ascii=False)}, "verdict": {dumps(row.verdict)}, '
            f'"report": {row.report_text() or "null"}, "errors": {dumps(row.errors, ensure_ascii=False)}}}\n'
        )

    def close(self, summary: Summary) -> None:
        self.fh.close()


class XlsxWriter(Writer):
    """Sheets 结果 (one row per input row), 问题明细, 输入错误 and 汇总, written as a stream."""

    def __init__(self, path: Path) -> None:
        from openpyxl import Workbook

        self.path = path
        self.wb = Workbook(write_only=True)
        self.results = self.wb.create_sheet("结果")
        self.details = self.wb.create_sheet("问题明细")
        self.errors = self.wb.create_sheet("输入错误")
        self.results.append(RESULT_HEADERS)
        self.details.append(DETAIL_HEADERS)
        self.errors.append(ERROR_HEADERS)

    def write(self, row: AssessedRow) -> None:
        self.results.append(result_row(row))
        for d in detail_rows(row):
            self.details.append(d)
        for e in row.errors:
            self.errors.append([e.get("sheet"), e.get("row"), e.get("field"), e["message"], e.get("hint")])

    def close(self, summary: Summary) -> None:
        ws = self.wb.create_sheet("汇总")
        data = summary.to_dict()
        ws.append(["评估基准日", data["as_of"]])
        ws.append(["政策包", ", ".join(f"{p['id']} {p['version']}" for p in data["packs"])])
        ws.append(["记录数", data["rows"]])
        for v in ("compliant", "non_compliant", "incomplete", "invalid"):
            ws.append([VERDICT_ZH[v], data["verdicts"].get(v, 0)])
        ws.append([])
        ws.append(["不符合最多的规则", "次数", "条款", "规则名称"])
        for r in data["top_failed_rules"]:
            ws.append([r["rule"], r["count"], r.get("clause"), r.get("title")])
        ws.append([])
        ws.append(["地区", *[VERDICT_ZH[v] for v in VERDICT_ZH]])
        for area, counts in data["by_area"].items():
            ws.append([area, *[counts.get(v, 0) for v in VERDICT_ZH]])
        self.wb.save(self.path)


class JunitWriter(Writer):
    """JUnit XML: a test case per input row; failures for failed rules, errors for bad rows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.body: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self.counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}

    def write(self, row: AssessedRow) -> None:
        rep = row.notable or {}
        subj = rep.get("subject", {})
        name = subj.get("id") or row.record_id or subj.get("name") or row.record_name or row.where()
        self.counts["tests"] += 1
        self.body.write(
            f"  <testcase classname={quoteattr(subj.get('kind', 'record'))} name={quoteattr(str(name))}>\n"
        )
        if row.notable is None:
            self.counts["errors"] += 1
            text = "\n".join(_error_text(e) for e in row.errors)
            self.body.write(
                f"    <error message={quoteattr('无法读取:' + row.where())}>{escape(text)}</error>\n"
            )
        else:
            failed = [f for f in rep["findings"] if f["outcome"] == "fail" and f["severity"] == "error"]
            unknown = [f for f in rep["findings"] if f["outcome"] in ("unknown", "error")]
            if failed:
                self.counts["failures"] += 1
                text = "\n".join(
                    f"{f['rule']}: {f['message']['zh']} ({f['citation']['clause']})" for f in failed
                )
                self.body.write(
                    f"    <failure message={quoteattr(f'{len(failed)} 条规则不符合')}>"
                    f"{escape(text)}</failure>\n"
                )
            elif unknown:
                self.counts["skipped"] += 1
                text = ", ".join(f["rule"] for f in unknown)
                self.body.write(f"    <skipped message={quoteattr('数据不足:' + text)}/>\n")
        self.body.write("  </testcase>\n")

    def close(self, summary: Summary) -> None:
        c = self.counts
        with self.path.open("w", encoding="utf-8") as fh:
            fh.write('<?xml version="1.0" encoding="UTF-8"?>\n')
            fh.write(
                f'<testsuite name="policyengine" tests="{c["tests"]}" failures="{c["failures"]}" '
                f'errors="{c["errors"]}" skipped="{c["skipped"]}" '
                f"timestamp={quoteattr(summary.as_of.isoformat())}>\n"
            )
            self.body.seek(0)
            for chunk in iter(lambda: self.body.read(1 << 16), ""):
                fh.write(chunk)
            fh.write("</testsuite>\n")
        self.body.close()


def open_writer(path: Path) -> Writer:
    suffix = path.suffix.lower()
    factories: dict[str, Callable[[Path], Writer]] = {
        ".csv": CsvWriter,
        ".jsonl": JsonlWriter,
        ".xlsx": XlsxWriter,
        ".xml": JunitWriter,
    }
    if suffix == ".html":
        from .html import HtmlWriter

        return HtmlWriter(path)
    if suffix not in factories:
        raise PolicyEngineError(
            [
                Problem(
                    f"cannot write {suffix or 'this kind of'} files",
                    Location(str(path)),
                    f"give --out a name ending in one of {', '.join(OUTPUT_SUFFIXES)} (.xml is JUnit)",
                    "usage",
                )
            ]
        )
    return factories[suffix](path)
