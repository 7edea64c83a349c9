"""The batch report as blocks (:mod:`.document`): overview, by district, the main problems,
scores (only where a scorecard exists), every row, the problems row by row, the input errors,
the seal block. The HTML, PDF and DOCX batch reports all draw this one document."""

from __future__ import annotations

from typing import Any

from ...outcomes import ROW_STATUSES
from ..summary import Summary
from .document import (
    VERDICT_COLOURS,
    Bar,
    Block,
    Card,
    Cards,
    Cell,
    Chart,
    Document,
    Heading,
    Paragraph,
    Table,
    meta_lines,
    packs_table,
    parties,
    running_head,
)
from .labels import TONES, field_text, kind_title, outcome_label, severity_label, zh_part
from .options import OutputOptions
from .views import RowView, error_view

NUMERALS = "一二三四五六七八九十"
#: what the verdicts and severities mean, under every report
TERMS = (
    "结论口径:合规,指至少一条规则适用、每条适用规则的数据齐全,且严重程度为“不合规”的规则全部符合"
    "(严重程度为警告、提示的规则不符合时不影响结论,计入“警告”一栏);不合规,指至少一条"
    "严重程度为“不合规”的规则不符合;数据不全,指缺少判断所需的数据,有规则无法判断;未评估,指所选"
    "政策包没有适用于该记录的规则;无法读取,指台账该行无法读取。严重程度:规则不符合时的后果——"
    "不合规(影响结论)、警告、提示(不影响结论)。每条结论均注明所依据的文件和条款。"
)


def batch_document(summary: Summary, views: list[RowView], options: OutputOptions) -> Document:
    kinds = [k for k, _ in summary.kinds.most_common()] or ([options.kind] if options.kind else [])
    what = kind_title(kinds[0]) if len(kinds) == 1 else "记录"
    title = f"{what}政策符合性评估报告"
    scored = bool(summary.score_counts)
    sections: list[tuple[str, list[Block]]] = [
        ("总体情况", _overview(summary, what)),
        ("按地区统计", [_by_area(summary)]),
        ("主要问题", _problems(summary)),
    ]
    if scored:
        sections.append(("评分", [_scores(summary)]))
    sections.append(("逐条结果", _results(summary, views, scored)))
    details = _details(views)
    if details:
        sections.append(("问题明细", details))
    if summary.error_count:
        sections.append((f"输入错误({summary.error_count} 处)", [_errors(summary)]))
    remarks = _remarks(summary)
    if remarks:
        sections.append(("数据说明", remarks))
    blocks: list[Block] = [packs_table(summary.packs)]
    for i, (heading, body) in enumerate(sections):
        blocks.append(Heading(f"{NUMERALS[i]}、{heading}", 2))
        blocks.extend(body)
    blocks.append(Paragraph(TERMS, note=True, id="terms"))
    number_blocks(blocks)
    return Document(
        title=title,
        subtitle=f"共 {summary.rows} 条记录",
        meta=meta_lines(options, summary.as_of, summary.generated_at),
        blocks=blocks,
        parties=parties(options),
        running_head=running_head(options, title),
    )


def number_blocks(blocks: list[Block]) -> None:
    """Tables and charts numbered in order: 表1 …, 图1 …"""
    tables = charts = 0
    for b in blocks:
        if isinstance(b, Table):
            tables += 1
            b.title = f"表{tables} {b.title}"
        elif isinstance(b, Chart):
            charts += 1
            b.title = f"图{charts} {b.title}"


def _overview(summary: Summary, what: str) -> list[Block]:
    counts = [(s.value, s.label_zh, summary.verdicts.get(s.value, 0)) for s in ROW_STATUSES]
    text = "、".join(f"{label} {n} 条" for _, label, n in counts)
    return [
        Paragraph(f"本次共评估{what}记录 {summary.rows} 条:{text}。", id="overview"),
        Cards("结论", [Card(v, label, n, VERDICT_COLOURS[v]) for v, label, n in counts]),
        Chart("verdict-chart", "结论分布(条)", [Bar(label, n, VERDICT_COLOURS[v]) for v, label, n in counts]),
    ]


def _by_area(summary: Summary) -> Table:
    rows = []
    for area, counts in sorted(summary.by_area.items()):
        cells = [Cell(str(counts.get(s.value, 0))) for s in ROW_STATUSES]
        rows.append([Cell(area), *cells, Cell(str(sum(counts.values())))])
    return Table(
        id="by-area",
        title="各地区评估结论(条)",
        headers=["地区", *[s.label_zh for s in ROW_STATUSES], "合计"],
        rows=rows,
        widths=[30, 12, 12, 12, 12, 12, 10],
        nowrap=frozenset(range(1, 7)),
    )


def _problems(summary: Summary) -> list[Block]:
    failed, unknown = summary.top_failed(), summary.top_unknown()
    if not failed and not unknown:
        return [Paragraph("没有不符合或无法判断的规则。")]
    blocks: list[Block] = []
    if failed:
        bars = [Bar(r.get("title") or r["rule"], r["count"], "#c62828") for r in failed]
        blocks.append(Chart("rules-chart", "不符合次数最多的规则(条)", bars))
        blocks.append(_rule_table("top-rules", "不符合次数最多的规则", failed, "不符合(条)"))
    if unknown:
        blocks.append(_rule_table("top-unknown", "数据不足次数最多的规则", unknown, "数据不足(条)"))
    return blocks


def _rule_table(id_: str, title: str, rules: list[dict[str, Any]], count: str) -> Table:
    return Table(
        id=id_,
        title=title,
        headers=["规则", "严重程度", "依据", count],
        rows=[
            [
                Cell(r.get("title") or r["rule"]),
                Cell(severity_label(r.get("severity", ""))),
                Cell(" ".join(p for p in (r.get("document"), r.get("clause")) if p)),
                Cell(str(r["count"])),
            ]
            for r in rules
        ],
        widths=[36, 10, 42, 12],
        nowrap=frozenset({1, 3}),
    )


def _scores(summary: Summary) -> Table:
    data = summary.to_dict()["scores"]
    return Table(
        id="scores",
        title="评分结果",
        headers=["评分表", "评分记录(条)", "平均分", "等级分布"],
        rows=[
            [
                Cell(summary.card_titles.get(card, card)),
                Cell(str(summary.score_counts[card])),
                Cell(info["mean"]),
                Cell("、".join(f"{'未定级' if g == '—' else g} {n} 条" for g, n in info["grades"].items())),
            ]
            for card, info in data.items()
        ],
        widths=[34, 14, 12, 40],
        nowrap=frozenset({1, 2}),
    )


def _results(summary: Summary, views: list[RowView], scored: bool) -> list[Block]:
    headers = ["序号", "台账位置", "编号", "名称", "地区", "结论", "不符合", "警告", "数据不足"]
    widths = [5, 13, 11, 21, 11, 10, 9, 8, 12]
    if scored:
        headers[6:6] = ["得分", "等级"]
        widths = [5, 10, 11, 15, 9, 9, 8, 7, 8, 7, 11]
    rows = []
    for v in views:
        cells = [
            Cell(str(v.number)),
            Cell(v.where),
            Cell(v.id),
            Cell(v.name),
            Cell(v.area),
            Cell(v.verdict_zh, TONES.get(v.verdict)),
            Cell(str(v.failed())),
            Cell(str(v.warned())),
            Cell(str(v.undecided())),
        ]
        if scored:
            cells[6:6] = [
                Cell("; ".join(f"{s.score}/{s.total}" for s in v.scores)),
                Cell("; ".join(s.grade for s in v.scores)),
            ]
        rows.append(cells)
    short = {0, 5, len(headers) - 3, len(headers) - 2, len(headers) - 1} | ({6, 7} if scored else set())
    note = None
    if summary.rows > len(views):
        note = f"共 {summary.rows} 条记录,此处列出前 {len(views)} 条;全部结果见 XLSX 或 JSONL 输出。"
    table = Table("results", "逐条评估结果", headers, rows, widths, frozenset(short), note)
    return [table]


def _details(views: list[RowView]) -> list[Block]:
    blocks: list[Block] = []
    for v in views:
        problems = v.problems()
        if not problems and not v.errors:
            continue
        blocks.append(Heading(f"{v.number}. {v.label} — {v.verdict_zh}", 3))
        if v.errors:
            text = ";".join(f"{e.where}{' ' + e.field if e.field else ''}:{e.message}" for e in v.errors)
            blocks.append(Paragraph(f"{'无法读取' if v.verdict == 'invalid' else '输入错误'}:{text}"))
        if problems:
            blocks.append(finding_table(f"details-{v.number}", f"{v.label} 的问题", problems))
    return blocks


def finding_table(id_: str, title: str, findings: list[Any]) -> Table:
    """规则 | 结果 | 严重程度 | 说明 | 依据, one row per finding."""
    rows = []
    for f in findings:
        severity = severity_label(f.severity) if f.outcome != "pass" else "—"
        quote = f":“{f.quote}”" if f.quote else ""
        message = "—" if f.outcome == "pass" and f.message == f.title else f.message
        rows.append(
            [
                Cell(f.title),
                Cell(outcome_label(f.outcome), TONES.get(f.outcome)),
                Cell(severity),
                Cell(message),
                Cell(f"{f.citation}{quote}"),
            ]
        )
    return Table(
        id=id_,
        title=title,
        headers=["规则", "结果", "严重程度", "说明", "依据"],
        rows=rows,
        widths=[20, 10, 10, 30, 30],
        nowrap=frozenset({1, 2}),
    )


def _errors(summary: Summary) -> Table:
    rows = []
    for e in summary.errors:
        ev = error_view(e)
        rows.append([Cell(ev.where), Cell(ev.field or field_text(e.field)), Cell(ev.message), Cell(ev.hint)])
    note = None
    if summary.error_count > len(summary.errors):
        note = f"共 {summary.error_count} 处,此处列出前 {len(summary.errors)} 处;全部见 XLSX 输出。"
    return Table(
        id="input-errors",
        title="输入错误",
        headers=["位置", "字段", "问题", "建议"],
        rows=rows,
        widths=[16, 20, 38, 26],
        nowrap=frozenset({0}),
        note=note,
    )


def _remarks(summary: Summary) -> list[Block]:
    """What the ledger said beyond its records: its caption, the columns left out, notes on
    total rows and events."""
    blocks: list[Block] = []
    if summary.caption:
        blocks.append(Paragraph("台账标题:" + ";".join(summary.caption), id="caption"))
    if summary.ignored_columns:
        blocks.append(Paragraph("未参与评估的列:" + "、".join(summary.ignored_columns), id="ignored"))
    blocks.extend(Paragraph(zh_part(note)) for note in summary.notes)
    return blocks
