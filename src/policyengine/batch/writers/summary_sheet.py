"""The XLSX 汇总 sheet, as rows: who issued it and when, the packs with versions and hashes,
the verdict counts, the rules failed and left undecided most often, the scores (only where a
scorecard exists), and — last, so that a program finds it by its header row — the table by
district. At most six columns wide."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...outcomes import ROW_STATUSES
from ..summary import Summary
from .document import generated_text
from .labels import kind_title, severity_label
from .options import OutputOptions

Row = tuple[str, list[Any]]  # (kind: title | header | "", values)


def summary_rows(summary: Summary, options: OutputOptions) -> Iterator[Row]:
    kinds = [k for k, _ in summary.kinds.most_common()] or ([options.kind] if options.kind else [])
    what = kind_title(kinds[0]) if len(kinds) == 1 else "记录"
    yield "title", [f"{what}政策符合性评估汇总"]
    for label, value in (
        ("出具单位", options.issuer),
        ("评估单位", options.assessor),
        ("评估基准日", summary.as_of.isoformat()),
        ("生成时间", generated_text(summary.generated_at)),
        ("数据来源", options.source),
        ("台账标题", ";".join(summary.caption)),
        ("未参与评估的列", "、".join(summary.ignored_columns)),
    ):
        if value:
            yield "", [label, value]
    yield "", []
    yield "header", ["政策包", "版本", "内容哈希(SHA-256)"]
    for p in summary.packs:
        yield "", [p["title"]["zh"], str(p["version"]), str(p["content_hash"]).removeprefix("sha256:")]
    yield "", []
    yield "header", ["结论", "记录数"]
    yield "", ["全部记录", summary.rows]
    for status in ROW_STATUSES:
        yield "", [status.label_zh, summary.verdicts.get(status.value, 0)]
    yield from _rules("不符合次数最多的规则", summary.top_failed(), "不符合次数")
    yield from _rules("数据不足次数最多的规则", summary.top_unknown(), "数据不足次数")
    if summary.score_counts:
        yield "", []
        yield "header", ["评分表", "评分记录数", "平均分", "等级分布"]
        for card, info in summary.to_dict()["scores"].items():
            grades = "、".join(f"{g} {n}" for g, n in info["grades"].items())
            yield "", [summary.card_titles.get(card, card), summary.score_counts[card], info["mean"], grades]
    yield "", []
    yield "header", ["地区", *[status.label_zh for status in ROW_STATUSES]]
    for area, counts in sorted(summary.by_area.items()):
        yield "", [area, *[counts.get(status.value, 0) for status in ROW_STATUSES]]


def _rules(title: str, rules: list[dict[str, Any]], count: str) -> Iterator[Row]:
    if not rules:
        return
    yield "", []
    yield "header", [title, "严重程度", "依据文件", "条款", count, "规则编号"]
    for r in rules:
        yield (
            "",
            [
                r.get("title") or r["rule"],
                severity_label(r.get("severity", "")),
                r.get("document"),
                r.get("clause"),
                r["count"],
                r["rule"],
            ],
        )
