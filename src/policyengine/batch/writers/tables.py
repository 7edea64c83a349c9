"""The tables XLSX and CSV share: the results (one row per input row), the details (each
finding that is neither pass nor not_applicable, with its clause) and the input errors. Codes
read as their Chinese labels (结论, 结果, 严重程度, the pack's title) and fields as their titles;
rule ids stay beside the rules' titles, as the identifiers a program matches on.

They read a row's ``notable`` view, so a row from a worker process is never decoded whole.
"""

from __future__ import annotations

from typing import Any

from ...outcomes import Outcome, status_label
from ..rows import QUIET, InputProblem, ResultRow
from .labels import field_text, finding_message, humanise, severity_label

__all__ = [
    "DETAIL_HEADERS",
    "ERROR_HEADERS",
    "RESULT_HEADERS",
    "case_columns",
    "detail_rows",
    "error_row",
    "errors_text",
    "result_row",
]

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
    "评估规则数",
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
    "规则名称",
    "结果",
    "严重程度",
    "说明",
    "依据文件",
    "条款",
    "原文",
    "规则编号",
]
ERROR_HEADERS = ["工作表", "行号", "字段", "问题", "建议"]

_UNDECIDED = (Outcome.UNKNOWN, Outcome.ERROR)


def result_row(row: ResultRow) -> list[Any]:
    """One row of the results table (the same columns in XLSX and CSV). A row may carry its
    verdict-to-messages columns made once for every row like it (``case_columns``: the
    columnar plan path, :mod:`..columnar`)."""
    rep = row.notable or {}
    subj = rep.get("subject", {})
    case = getattr(row, "case_columns", None) or case_columns(row)
    return [
        row.index + 1,
        row.sheet,
        row.line,
        subj.get("id") or row.record_id,
        subj.get("name") or row.record_name,
        row.area,
        *case,
        errors_text(row.errors),
    ]


def case_columns(row: ResultRow) -> list[Any]:
    """The results table's columns from 结论 to 数据不足的规则: what the report says."""
    rep = row.notable or {}
    subj = rep.get("subject", {})
    findings = rep.get("findings", [])
    failed = [f for f in findings if f["outcome"] == Outcome.FAIL]
    unknown = [f for f in findings if f["outcome"] in _UNDECIDED]
    kind = subj.get("kind")
    scores = rep.get("scores", [])
    score = "; ".join(f"{s['score']}/{s['total']}" for s in scores)
    grade = "; ".join((s["grade"] or {}).get("zh", "—") for s in scores)
    return [
        status_label(row.verdict),
        score,
        grade,
        rep.get("rules_evaluated"),  # none for a row that could not be read
        len(failed),
        len(unknown),
        "\n".join(f"{rule_label(f)} {finding_message(f, kind)}({f['citation']['clause']})" for f in failed),
        "\n".join(f"{rule_label(f)} {finding_message(f, kind)}" for f in unknown),
    ]


def detail_rows(row: ResultRow) -> list[list[Any]]:
    """One row of the details table per finding that is neither pass nor not_applicable."""
    rep = row.notable or {}
    subj = rep.get("subject", {})
    packs = {p["id"]: p["title"]["zh"] for p in rep.get("packs", [])}
    out = []
    for f in rep.get("findings", []):
        if f["outcome"] in QUIET:
            continue
        c = f["citation"]
        out.append(
            [
                row.index + 1,
                subj.get("id"),
                subj.get("name"),
                packs.get(f["pack"], f["pack"]),
                f"{f['title']['zh']}({f['period']})" if f.get("period") else f["title"]["zh"],
                Outcome(f["outcome"]).label_zh,
                severity_label(f["severity"]),
                finding_message(f, subj.get("kind")),
                c["document"],
                c["clause"],
                c["quote"],
                rule_label(f),
            ]
        )
    return out


def rule_label(f: dict[str, Any]) -> str:
    """A finding's rule id, with a monitor finding's period (``oversight.monthly_monitoring 2023-01``)."""
    return f"{f['rule']} {f['period']}" if f.get("period") else str(f["rule"])


def error_row(e: InputProblem) -> list[Any]:
    """One row of the input-errors table (the field by its title)."""
    return [e.sheet, e.row, field_text(e.field), humanise(e.message), humanise(e.hint or "") or None]


def errors_text(errors: list[InputProblem]) -> str:
    """A row's input errors, one a line: ``社工站 第18行 场地/服务面积(平方米):…(hint)``."""
    lines = []
    for e in errors:
        field = f" {field_text(e.field)}" if e.field else ""
        hint = f"({humanise(e.hint)})" if e.hint else ""
        lines.append(f"{e.where_zh()}{field}:{humanise(e.message)}{hint}")
    return "\n".join(lines)
