"""Report renderings: JSON, Markdown, and a terminal table. Chinese by default."""

from __future__ import annotations

import io
import json

from .._format import format_value
from .._text import markup_text, terminal_text
from ..outcomes import Outcome, Verdict
from .report import Finding, Report, jsonable

_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "report": "政策符合性评估报告",
        "subject": "评估对象",
        "as_of": "评估基准日",
        "packs": "政策包",
        "verdict": "结论",
        "rule": "规则",
        "outcome": "结果",
        "severity": "级别",
        "message": "说明",
        "citation": "依据",
        "trace": "判断过程",
        "summary": "统计",
        "findings": "逐条结果",
        "error": "错误",
        "warning": "警告",
        "info": "提示",
        "missing": "缺少数据",
        "scores": "评分",
        "indicator": "指标",
        "grade": "等级",
        "points": "得分",
        "incomplete_score": "评分不完整:有指标缺少数据",
        "weights_from": "权重来源",
        "evaluated": "已评估规则 {n} 条",
        "evaluated_monitor": "监测结论 {n} 条",
        "evaluated_correlation": "跨记录核查 {n} 条",
        "monitoring": "监测窗口 {start} 至 {until},本对象事件 {events} 条,监测规则来自 {packs}",
        "monitoring_none": "监测窗口 {start} 至 {until},本对象事件 {events} 条;尚无可判断的监测期间",
        "no_start": "(未给出起始日)",
        "out_of_scope": "不适用本政策",
        "region_not_stated": "地区未写明",
        "nothing_checked": "所选政策包没有适用于此对象的规则,未作评估",
    },
    "en": {
        "report": "Policy compliance report",
        "subject": "Subject",
        "as_of": "As of",
        "packs": "Packs",
        "verdict": "Verdict",
        "rule": "Rule",
        "outcome": "Outcome",
        "severity": "Severity",
        "message": "Message",
        "citation": "Citation",
        "trace": "Trace",
        "summary": "Counts",
        "findings": "Findings",
        "error": "error",
        "warning": "warning",
        "info": "info",
        "missing": "Missing data",
        "scores": "Scores",
        "indicator": "Indicator",
        "grade": "Grade",
        "points": "Points",
        "incomplete_score": "incomplete: an indicator lacks data",
        "weights_from": "Weights set by",
        "evaluated": "{n} rules evaluated",
        "evaluated_monitor": "{n} monitor findings",
        "evaluated_correlation": "{n} cross-record checks",
        "monitoring": "monitors observed {start} to {until}: {events} events of this subject, "
        "monitors of {packs}",
        "monitoring_none": "monitors observed {start} to {until}: {events} events of this subject; "
        "no period to judge yet",
        "no_start": "(no start given)",
        "out_of_scope": "out of scope",
        "region_not_stated": "region not stated",
        "nothing_checked": "no rule of the chosen packs applies to this subject: nothing was checked",
    },
}


def _l(lang: str) -> dict[str, str]:
    return _LABELS["en" if lang == "en" else "zh"]


def outcome_label(outcome: Outcome, lang: str) -> str:
    return outcome.label_zh if lang != "en" else outcome.value


def verdict_label(report: Report, lang: str) -> str:
    v = report.verdict
    return v.label_zh if lang != "en" else v.value


def scope_lines(report: Report, lang: str) -> list[str]:
    """A line for each pack that did not plainly cover the record: out of scope, or judged
    although the record does not state its region."""
    lab = _l(lang)
    judged = {f.pack for f in report.findings}
    anyway = "(judged anyway, as asked)" if lang == "en" else "(按要求仍作评估)"
    return [
        f"{lab[s.status.value]}: {s.pack}({s.reason['en' if lang == 'en' else 'zh']})"
        + (anyway if s.status.value == "out_of_scope" and s.pack in judged else "")
        for s in report.scope
        if s.status.value != "in_scope"
    ]


def finding_label(f: Finding) -> str:
    """The rule or monitor id, with a monitor finding's period (``… 2023-01``)."""
    return f"{f.rule} {f.period}" if f.period else f.rule


def evaluated_text(report: Report, lang: str) -> str:
    """How many rules were evaluated, and (when any) monitor and cross-record findings."""
    lab = _l(lang)
    judged = [f for f in report.findings if f.outcome is not Outcome.NOT_APPLICABLE]
    parts = [lab["evaluated"].format(n=sum(1 for f in judged if f.origin == "rule"))]
    for origin in ("monitor", "correlation"):
        n = sum(1 for f in judged if f.origin == origin)
        if n or (origin == "monitor" and report.monitoring):
            parts.append(lab[f"evaluated_{origin}"].format(n=n))
    return ("; " if lang == "en" else "、").join(parts)


def monitoring_line(report: Report, lang: str) -> str | None:
    """The monitors' window and events, when the report combines the record with its events."""
    m = report.monitoring
    if m is None:
        return None
    lab = _l(lang)
    values = {
        "start": m.start.isoformat() if m.start else lab["no_start"],
        "until": m.until.isoformat(),
        "events": m.events,
        "packs": ", ".join(m.packs),
    }
    return lab["monitoring" if m.packs else "monitoring_none"].format(**values)


def trace_lines(finding: Finding, lang: str) -> list[str]:
    """Each decision as ``text: left op right → result``."""
    out = []
    for t in finding.trace:
        result = {True: "✓", False: "✗", None: "?"}[t.result]
        if t.op == "is":
            out.append(f"{t.text} = {format_value(t.left, lang)} {result}")
        else:
            out.append(
                f"{t.text}: {format_value(t.left, lang)} {t.op} {format_value(t.right, lang)} {result}"
            )
    return out


def render_json(report: Report, lang: str = "zh") -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=jsonable)


def render_markdown(report: Report, lang: str = "zh") -> str:
    lab = _l(lang)
    lines = [f"# {lab['report']}", ""]
    subj = report.subject
    lines.append(f"- **{lab['subject']}**: {subj.label()} ({subj.kind}{', ' + subj.id if subj.id else ''})")
    lines.append(f"- **{lab['as_of']}**: {report.as_of.isoformat()}")
    for p in report.packs:
        title = p.title.get("en" if lang == "en" else "zh", p.id)
        lines.append(f"- **{lab['packs']}**: {title} — `{p.id}` {p.version} (`{p.content_hash[:19]}`)")
    lines.append(f"- **{lab['verdict']}**: **{verdict_label(report, lang)}**")
    lines.append(f"- {evaluated_text(report, lang)}")
    watched = monitoring_line(report, lang)
    if watched:
        lines.append(f"- {watched}")
    lines.extend(f"- {line}" for line in scope_lines(report, lang))
    if report.verdict is Verdict.NOT_ASSESSED:
        lines.append(f"- {lab['nothing_checked']}")
    counts = report.counts()
    lines.append(
        f"- **{lab['summary']}**: "
        + ", ".join(f"{outcome_label(Outcome(k), lang)} {v}" for k, v in counts.items() if v)
    )
    for sc in report.scores:
        lines += ["", f"## {lab['scores']}: {sc.title.get(lang, sc.title['zh'])}", ""]
        grade = sc.grade.get(lang, sc.grade["zh"]) if sc.grade else "—"
        lines.append(
            f"**{format_value(sc.score, lang)} / {format_value(sc.total, lang)}** — "
            f"{lab['grade']} **{grade}**" + ("" if sc.complete else f"({lab['incomplete_score']})")
        )
        lines.append(f"{lab['weights_from']}: {sc.weights_from.get(lang, sc.weights_from['zh'])}")
        lines.append("")
        lines.append(f"| {lab['indicator']} | {lab['points']} | {lab['message']} |")
        lines.append("|---|---|---|")
        for ind in sc.indicators:
            lines.append(
                f"| {_md(ind.title.get(lang, ind.title['zh']))} | "
                f"{format_value(ind.points, lang)} / {format_value(ind.max_points, lang)} | "
                f"{_md(ind.why.get(lang, ind.why['zh']))} |"
            )
    lines += ["", f"## {lab['findings']}", ""]
    lines.append(
        f"| {lab['rule']} | {lab['outcome']} | {lab['severity']} | {lab['message']} | {lab['citation']} |"
    )
    lines.append("|---|---|---|---|---|")
    for f in report.findings:
        msg = f.message.get(lang) or f.message["zh"]
        title = _md(f.title.get(lang, f.title["zh"]))
        lines.append(
            f"| `{finding_label(f)}` {title} | {outcome_label(f.outcome, lang)} "
            f"| {lab.get(f.severity, f.severity)} | {_md(msg)} | {_md(f.citation.short())} |"
        )
    details = [f for f in report.findings if f.outcome not in (Outcome.PASS, Outcome.NOT_APPLICABLE)]
    if details:
        lines += ["", f"## {lab['trace']}", ""]
        for f in details:
            lines.append(f"### `{finding_label(f)}` — {outcome_label(f.outcome, lang)}")
            lines.append("")
            lines.append(f.message.get(lang) or f.message["zh"])
            lines.append("")
            if f.citation.quote:
                lines.append(f"> {f.citation.short()}:{f.citation.quote}")
                lines.append("")
            for t in trace_lines(f, lang):
                lines.append(f"- `{t}`")
            if f.missing:
                lines.append(f"- {lab['missing']}: " + ", ".join(f"`{m}`" for m in f.missing))
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


_STYLE = {
    Outcome.PASS: "green",
    Outcome.FAIL: "bold red",
    Outcome.UNKNOWN: "yellow",
    Outcome.NOT_APPLICABLE: "dim",
    Outcome.ERROR: "magenta",
}


def render_table(report: Report, lang: str = "zh", width: int = 120, color: bool = False) -> str:
    """A terminal table (rich); plain text unless ``color``. Text from the record and the packs
    is shown as written: rich markup in it is escaped, and control characters (ESC, C1, …)
    become U+FFFD (:func:`policyengine._text.terminal_text`)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    lab = _l(lang)
    console = Console(  # rendering goes to the recorder only
        width=width,
        record=True,
        force_terminal=color,
        color_system="standard" if color else None,
        file=io.StringIO(),
        emoji=False,  # `:warning:` in a record stays those characters
    )
    subj = report.subject
    head = (
        f"{lab['subject']}: {subj.label()}  {lab['as_of']}: {report.as_of.isoformat()}  "
        f"{lab['packs']}: " + ", ".join(f"{p.id} {p.version}" for p in report.packs)
    )
    console.print(terminal_text(head), markup=False)
    table = Table(show_lines=False, expand=True)
    table.add_column(lab["rule"], overflow="fold", ratio=3)
    table.add_column(lab["outcome"], no_wrap=True)
    table.add_column(lab["message"], overflow="fold", ratio=5)
    table.add_column(lab["citation"], overflow="fold", ratio=2)
    for f in report.findings:
        table.add_row(
            markup_text(finding_label(f)),
            Text(outcome_label(f.outcome, lang), style=_STYLE[f.outcome]),
            markup_text(f.message.get(lang) or f.message["zh"]),
            markup_text(f.citation.clause),
        )
    console.print(table)
    for sc in report.scores:
        grade = sc.grade.get(lang, sc.grade["zh"]) if sc.grade else "—"
        console.print(
            terminal_text(
                f"{lab['scores']} {sc.title.get(lang, sc.title['zh'])}: "
                f"{format_value(sc.score, lang)}/{format_value(sc.total, lang)} {grade}"
                + ("" if sc.complete else f"  ({lab['incomplete_score']})")
            ),
            markup=False,
        )
    console.print(
        f"{lab['verdict']}: {verdict_label(report, lang)}  {evaluated_text(report, lang)}  "
        + "  ".join(f"{outcome_label(Outcome(k), lang)} {v}" for k, v in report.counts().items() if v),
        markup=False,
    )
    for line in scope_lines(report, lang):
        console.print(terminal_text(line), markup=False)
    watched = monitoring_line(report, lang)
    if watched:
        console.print(terminal_text(watched), markup=False)
    if report.verdict is Verdict.NOT_ASSESSED:
        console.print(lab["nothing_checked"])
    return console.export_text(styles=color)
