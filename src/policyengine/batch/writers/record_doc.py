"""One record's report as blocks (:mod:`.document`): who and what was assessed, on which packs,
the conclusion, scores (only where a scorecard exists), the problems, every rule that applied,
the input errors, the seal block. ``--station-reports`` draws it as PDF and DOCX."""

from __future__ import annotations

from datetime import date, datetime

from ...outcomes import Outcome, Verdict
from .batch_doc import NUMERALS, TERMS, finding_table, number_blocks
from .document import (
    Block,
    Cell,
    Document,
    Heading,
    Paragraph,
    Table,
    meta_lines,
    packs_table,
    parties,
    running_head,
)
from .labels import TONES, kind_title
from .options import OutputOptions
from .views import RowView, ScoreView


def record_document(view: RowView, options: OutputOptions, as_of: date, generated_at: datetime) -> Document:
    """The report of one row (``view`` taken with ``full=True``: every finding that applied)."""
    what = kind_title(view.kind or options.kind)
    title = f"{what}政策符合性评估报告"
    source = f"{options.source} {view.where}" if options.source else view.where
    sections: list[tuple[str, list[Block]]] = [("评估结论", _conclusion(view))]
    if view.scores:
        sections.append(("评分", [b for s in view.scores for b in _score(s)]))
    problems = view.problems()
    if problems:
        sections.append(("存在的问题", [finding_table("problems", "不符合或无法判断的规则", problems)]))
    elif view.findings:
        sections.append(("存在的问题", [Paragraph("未发现不符合或无法判断的规则。")]))
    if view.findings:
        sections.append(
            ("逐条评估结果", [finding_table("findings", "全部适用规则的评估结果", view.findings)])
        )
    if view.errors:
        sections.append(("输入错误", [_errors(view)]))
    blocks: list[Block] = [_basics(view, what), packs_table(view.packs, "无:本行未作评估")]
    for i, (heading, body) in enumerate(sections):
        blocks.append(Heading(f"{NUMERALS[i]}、{heading}", 2))
        blocks.extend(body)
    blocks.append(Paragraph(TERMS, note=True, id="terms"))
    number_blocks(blocks)
    return Document(
        title=title,
        subtitle=view.label,
        meta=meta_lines(options, as_of, generated_at, source),
        blocks=blocks,
        parties=parties(options),
        running_head=running_head(options, f"{title} {view.label}"),
    )


def _basics(view: RowView, what: str) -> Table:
    rows = [
        ("名称", view.name),
        ("编号", view.id),
        ("类型", what),
        ("地区", view.area),
        ("台账位置", view.where),
    ]
    return Table(
        id="basics",
        title="评估对象",
        headers=["项目", "内容"],
        rows=[[Cell(k), Cell(v)] for k, v in rows if v],
        widths=[20, 80],
        nowrap=frozenset({0}),
    )


def _conclusion(view: RowView) -> list[Block]:
    counts = view.counts
    if view.verdict == "invalid":
        row = [Cell(view.verdict_zh, TONES["invalid"]), *(Cell("—") for _ in range(5))]
    else:
        row = [
            Cell(view.verdict_zh, TONES.get(view.verdict)),
            Cell(str(view.rules_evaluated or 0)),
            Cell(str(counts.get(Outcome.PASS.value, 0))),
            Cell(str(view.failed())),
            Cell(str(view.warned())),
            Cell(str(counts.get(Outcome.UNKNOWN.value, 0) + counts.get(Outcome.ERROR.value, 0))),
        ]
    blocks: list[Block] = [
        Table(
            id="conclusion",
            title="评估结论",
            headers=["结论", "评估规则(条)", "符合", "不符合", "警告", "数据不足"],
            rows=[row],
            widths=[20, 20, 15, 15, 15, 15],
            nowrap=frozenset(range(6)),
        )
    ]
    blocks.extend(Paragraph(line) for line in view.scope)
    if view.verdict == Verdict.NOT_ASSESSED:
        blocks.append(Paragraph("所选政策包没有适用于此记录的规则,未作评估。"))
    if view.verdict == "invalid":
        blocks.append(Paragraph("台账中该行无法读取,未作评估;原因见“输入错误”。"))
    return blocks


def _score(s: ScoreView) -> list[Block]:
    complete = "" if s.complete else "(评分不完整:有指标缺少数据)"
    grade = "未定级" if s.grade == "—" else s.grade
    return [
        Paragraph(
            f"{s.title}:总分 {s.score} / {s.total},等级 {grade}{complete}。权重来源:{s.weights_from}。"
        ),
        Table(
            id="score",
            title=f"{s.title} 各项得分",
            headers=["指标", "得分", "满分", "说明"],
            rows=[[Cell(i.title), Cell(i.points), Cell(i.max_points), Cell(i.why)] for i in s.indicators],
            widths=[36, 10, 10, 44],
            nowrap=frozenset({1, 2}),
        ),
    ]


def _errors(view: RowView) -> Table:
    return Table(
        id="input-errors",
        title="输入错误",
        headers=["位置", "字段", "问题", "建议"],
        rows=[[Cell(e.where), Cell(e.field), Cell(e.message), Cell(e.hint)] for e in view.errors],
        widths=[16, 20, 38, 26],
        nowrap=frozenset({0}),
    )
