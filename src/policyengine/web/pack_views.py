"""What the pack pages show, built from a compiled pack: plain dicts of display text, in the
page's language, so that the templates only lay them out. Codes never reach a zh page: fields,
parameters and rules by their titles, kinds, severities and statuses by their labels."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import BaseModel

from ..batch.writers.labels import CJK, humanise
from ..models.base import Subject
from ..models.introspect import field_type_info
from ..packs.coverage import KIND_LABELS, coverage, summary
from ..packs.runtime import CompiledRule, Pack
from .i18n import severity_text
from .words import code_label, condition_words, param_value

#: a clause's coverage status (zh, en)
STATUS_LABELS = {
    "encoded": ("已编码", "encoded"),
    "partly": ("部分编码", "partly encoded"),
    "not_checked": ("未检查", "not checked"),
    "parameter": ("仅参数", "value only"),
}


_NAME = re.compile(r"(?<![\w.])[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
#: words of the pack format that pack texts mention (zh)
FORMAT_WORDS = {
    "not_checked": "“未检查的条款”",
    "not_assessed": "“未评估”",
    "add_months": "按月推算日期的函数",
    "add_days": "按日推算日期的函数",
}


def pack_text(text: str | None, names: Mapping[str, str], lang: str) -> str | None:
    """A text the pack's author wrote (a note, a reason) as a zh page shows it: the ids of rules
    and parameters it mentions by their titles, field paths by their titles; a note written
    only in English is left to the English page (None)."""
    if not text or lang != "zh":
        return text
    if len(CJK.findall(text)) < len(re.findall(r"[A-Za-z]", text)):
        return None  # written in English, with a few Chinese words

    def name(m: re.Match[str]) -> str:
        word = m.group(0)
        if word in names:
            return f"“{names[word]}”"
        label = code_label(word)
        if label == word and "_" in word:
            label = field_titles().get(word, word)
        before = m.string[: m.start()].rstrip().rstrip("(（").rstrip()
        if label == word and before.endswith(field_titles().get(word, "\0")):
            return ""  # a field's name after its title ("所属计划(programme)"): the title is enough
        if label != word:  # a code or a field: by its label, once ("服务内容 content" → "服务内容")
            return "" if m.string[: m.start()].rstrip().endswith(label) else label
        return FORMAT_WORDS.get(word, word)

    return humanise(re.sub(r"[(（]\s*[)）]", "", _NAME.sub(name, text)))


@functools.cache
def field_titles() -> dict[str, str]:
    """Every field name of the subject models → its Chinese title (the first model's wins)."""
    from ..plugins import default_subjects

    out: dict[str, str] = {}
    seen: set[type[BaseModel]] = set()
    stack: list[type[BaseModel]] = list(default_subjects().values())
    while stack:
        model = stack.pop(0)
        if model in seen:
            continue
        seen.add(model)
        for name, fi in model.model_fields.items():
            out.setdefault(name, fi.title or name)
            info = field_type_info(fi.annotation)
            info = info.item if info.kind == "list" and info.item is not None else info
            if info.model is not None:
                stack.append(info.model)
    return out


def bi(text: Any, lang: str) -> str:
    """A pack's two-language text in ``lang`` (the Chinese when no English is given)."""
    if text is None:
        return ""
    return str(text.en or text.zh) if lang == "en" else str(text.zh)


def kind_title(kind: str, subjects: Mapping[str, type[Subject]], lang: str) -> str:
    model = subjects.get(kind)
    title = getattr(model, "kind_title", None)
    if isinstance(title, dict):
        return str(title.get(lang) or title["zh"])
    return "记录" if lang == "zh" else kind


def region_text(pack: Pack, lang: str) -> str:
    text = "".join(str(v) for v in (pack.meta.region or {}).values() if v)
    return text or ("不限地区" if lang == "zh" else "any region")


def effective_text(pack: Pack, lang: str) -> str:
    eff = pack.meta.effective
    start = eff.from_.isoformat() if eff and eff.from_ else None
    end = eff.to.isoformat() if eff and eff.to else None
    if start is None and end is None:
        return "原文未写明" if lang == "zh" else "not stated"
    if lang == "en":
        return f"{start or '—'} to {end or 'no end date'}"
    return f"{start or '—'} 起" + (f",至 {end} 止" if end else "")


def pack_summary(pack: Pack, subjects: Mapping[str, type[Subject]], lang: str) -> dict[str, Any]:
    """One line of the pack list."""
    return {
        "id": pack.id,
        "title": bi(pack.title, lang),
        "authority": bi(pack.meta.authority, lang),
        "region": region_text(pack, lang),
        "version": pack.version,
        "kinds": [kind_title(k, subjects, lang) for k in pack.subjects()],
        "effective": effective_text(pack, lang),
        "rules": len(pack.rules),
        "parameters": len(pack.parameters),
    }


def parameters(pack: Pack, today: date, lang: str, known: Mapping[str, str]) -> list[dict[str, Any]]:
    """Each parameter with every dated value, its clause and quote; the one in force marked."""
    out = []
    for name, param in pack.parameters.items():
        dates = sorted(param.values)
        current = max((d for d in dates if d <= today), default=None)
        values = [
            {
                "from": d.isoformat(),
                "value": param_value(param.values[d].value, param.unit, lang),
                "clause": param.values[d].cite.clause,
                "quote": param.values[d].cite.quote,
                "note": pack_text(param.values[d].note, known, lang),
                "current": d == current,
            }
            for d in dates
        ]
        out.append({"name": name, "title": bi(param.title, lang), "dated": values})
    return out


def rule_view(
    rule: CompiledRule,
    pack: Pack,
    model: type[BaseModel] | None,
    today: date,
    lang: str,
    known: Mapping[str, str],
) -> dict[str, Any]:
    """A rule beside its clause: title, severity, when it applies and what it requires (in
    words on a zh page, as written on an en page), clause and quote."""
    when = require = None
    if lang == "zh" and model is not None:
        when = condition_words(rule.when, model, pack, today)
        require = condition_words(rule.require, model, pack, today)
    return {
        "id": rule.id,
        "title": rule.titles["en" if lang == "en" else "zh"],
        "severity": rule.severity,
        "severity_label": severity_text(rule.severity, lang),
        "when": when,
        "require": require,
        "when_code": rule.rule.when,
        "require_code": rule.rule.require,
        "clause": rule.citation.clause,
        "document": rule.citation.document,
        "quote": rule.citation.quote,
        "note": pack_text(rule.rule.note, known, lang),
    }


def rules_by_kind(
    pack: Pack, subjects: Mapping[str, type[Subject]], today: date, lang: str, known: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The rules grouped by the kind of record they judge, in the pack's order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for rule in pack.rules:
        view = rule_view(rule, pack, subjects.get(rule.subject), today, lang, known)
        groups.setdefault(rule.subject, []).append(view)
    return [
        {"kind": kind, "title": kind_title(kind, subjects, lang), "rules": rules}
        for kind, rules in groups.items()
    ]


def not_checked(pack: Pack, lang: str, known: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "clause": n.cite.clause,
            "quote": n.cite.quote,
            "reason": pack_text(bi(n.reason, lang), known, lang),
            "capture_loss": n.capture_loss,
        }
        for n in pack.not_checked
    ]


def item_titles(pack: Pack, lang: str) -> dict[tuple[str, str], str]:
    """(kind, id) of everything that can encode a clause → its title."""
    titles: dict[tuple[str, str], str] = {}
    for name, param in pack.parameters.items():
        titles[("parameter", name)] = bi(param.title, lang)
    for rule in pack.rules:
        titles[("rule", rule.id)] = rule.titles["en" if lang == "en" else "zh"]
    for mon in pack.monitors:
        titles[("monitor", mon.id)] = bi(mon.spec.title, lang)
    for corr in pack.correlations:
        titles[("correlation", corr.id)] = bi(corr.spec.title, lang)
    for card in pack.scorecards:
        for ci in card.indicators:
            titles[("indicator", f"{card.id}.{ci.indicator.id}")] = bi(ci.indicator.title, lang)
    return titles


def names(pack: Pack, lang: str) -> dict[str, str]:
    """The ids of the pack's rules, parameters, monitors, … → their titles."""
    return {ident: title for (_, ident), title in item_titles(pack, lang).items()}


def coverage_view(pack: Pack, lang: str, known: Mapping[str, str]) -> dict[str, Any]:
    """The coverage table (``pack coverage``) with every item by its title."""
    rows = coverage(pack)
    titles = item_titles(pack, lang)
    sources = {s.id: bi(s.title, lang) for s in pack.sources.values()}
    i = 1 if lang == "en" else 0
    table = []
    for r in rows:
        table.append(
            {
                "source": sources.get(r.source, r.source),
                "clause": r.clause,
                "status": r.status,
                "status_label": STATUS_LABELS[r.status][i],
                "encoded_as": [
                    f"{KIND_LABELS[k][i]}:{titles.get((k, ident), ident)}" for k, ident in r.items
                ],
                "reasons": [
                    {
                        "text": pack_text(n["en" if lang == "en" else "zh"], known, lang),
                        "capture_loss": n["capture_loss"],
                    }
                    for n in r.not_checked
                ],
            }
        )
    counts = summary(rows)
    return {"rows": table, "summary": counts}


def pack_detail(
    pack: Pack,
    subjects: Mapping[str, type[Subject]],
    today: date,
    lang: str,
    pack_titles: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Everything the pack page shows (``pack_titles``: the other packs' ids → titles, for the
    texts that name them)."""
    known = {**(pack_titles or {}), **names(pack, lang)}
    return {
        **pack_summary(pack, subjects, lang),
        "description": bi(pack.meta.description, lang),
        "sources": [
            {
                "title": bi(s.title, lang),
                "authority": bi(s.authority, lang),
                "number": s.number,
                "published": s.published.isoformat() if s.published else None,
                "url": s.url,
            }
            for s in pack.sources.values()
        ],
        "extends": pack.chain[1:],
        "parameters": parameters(pack, today, lang, known),
        "rule_groups": rules_by_kind(pack, subjects, today, lang, known),
        "monitors": [
            {
                "title": bi(m.spec.title, lang),
                "severity_label": severity_text(m.spec.severity, lang),
                "clause": m.citation.clause,
                "quote": m.citation.quote,
            }
            for m in pack.monitors
        ],
        "not_checked": not_checked(pack, lang, known),
        "coverage": coverage_view(pack, lang, known),
        "one_source": len(pack.sources) <= 1,
    }
