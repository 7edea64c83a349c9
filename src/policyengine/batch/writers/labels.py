"""How codes and field names read in the reports a bureau signs: every field by its Chinese
title (``operator.social_work_organization`` → 运营机构/社工机构, as a ledger's header names it),
every subject kind, severity and pack by its label, every rule by its title.

Only structured places are rewritten: a finding's ``missing`` list, the dotted field paths and
``规则 <id>`` mentions the engine writes into messages and scorecard explanations. Text from the
records (names, quoted values) is never touched.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from ...models.introspect import field_type_info
from ...outcomes import Outcome

#: 严重程度, what failing a rule of each severity means for the record
SEVERITY_ZH = {"error": "不合规", "warning": "警告", "info": "提示"}
#: the colour class of each verdict or outcome in the HTML/PDF/DOCX reports
TONES = {
    "compliant": "ok",
    "non_compliant": "bad",
    "incomplete": "warn",
    "not_assessed": "muted",
    "invalid": "muted",
    "fail": "bad",
    "unknown": "warn",
    "error": "warn",
    "pass": "ok",
}

#: a field path as the engine writes it: ``operator.social_work_organization``, ``staff[0].name``
_PATH = re.compile(r"(?<![\w.])[A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])?(?:\.[A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])?)+")
_INDEX = re.compile(r"\[(\d+)\]")
_RULE = re.compile(r"规则 ([A-Za-z_][\w.]*)")


def severity_label(code: str) -> str:
    """``error`` → 不合规, ``warning`` → 警告, ``info`` → 提示."""
    return SEVERITY_ZH.get(code, code)


def outcome_label(code: str) -> str:
    """``fail`` → 不符合, ``unknown`` → 数据不足, …"""
    try:
        return Outcome(code).label_zh
    except ValueError:
        return code


def _subjects() -> Mapping[str, type[BaseModel]]:
    from ...plugins import default_subjects  # the registry: loaded once, when a report is written

    return default_subjects()


def kind_title(kind: str | None) -> str:
    """A subject kind's Chinese name (``station`` → 社工站); 记录 when unknown."""
    model = _subjects().get(kind or "")
    title = getattr(model, "kind_title", None) if model is not None else None
    return str(title["zh"]) if title else "记录"


@functools.cache
def _titles(model: type[BaseModel]) -> dict[str, str]:
    """Every field path of ``model`` (list items' fields too) → its titles joined by ``/``."""
    out: dict[str, str] = {}

    def walk(m: type[BaseModel], path: str, title: str, depth: int) -> None:
        for name, fi in m.model_fields.items():
            p = f"{path}.{name}" if path else name
            t = f"{title}/{fi.title or name}" if title else (fi.title or name)
            out[p] = t
            info = field_type_info(fi.annotation)
            if info.kind == "list" and info.item is not None:
                info = info.item
            if info.kind == "model" and info.model is not None and depth < 5:
                walk(info.model, p, t, depth + 1)

    walk(model, "", "", 0)
    return out


def field_title(path: str, kind: str | None = None) -> str | None:
    """The Chinese title of a field path (``staff[1].name`` → 工作人员第2项/姓名), looked up in
    ``kind``'s model, else in every subject model; None when no model has the path."""
    bare = _INDEX.sub("", path)
    models = _subjects()
    first = models.get(kind or "")
    for model in [first] if first is not None else list(models.values()):
        title = _titles(model).get(bare)
        if title is not None:
            if "[" in path:  # say which item: the first index names the list's item
                m = _INDEX.search(path)
                assert m is not None
                head, _, rest = title.partition("/")
                title = f"{head}第{int(m.group(1)) + 1}项" + (f"/{rest}" if rest else "")
            return title
    return None


def field_text(path: str | None, kind: str | None = None) -> str:
    """A field as a report shows it: its title; for a path no model knows (a column the input
    added), the longest known head by its title and the rest as written
    (``staff[1].certificat`` → 工作人员第2项/certificat)."""
    if not path:
        return ""
    title = field_title(path, kind)
    if title is not None:
        return title
    head, _, tail = path.rpartition(".")
    while head:
        known = field_title(head, kind)
        if known is not None:
            return f"{known}/{tail}"
        head, _, rest = head.rpartition(".")
        tail = f"{rest}.{tail}"
    return path


def humanise(text: str, kind: str | None = None, rules: Mapping[str, str] | None = None) -> str:
    """``text`` with each dotted field path a model knows replaced by its title, and each
    ``规则 <id>`` by the rule's title (from ``rules``, id → title)."""
    if rules:
        text = _RULE.sub(lambda m: f"规则“{rules[m.group(1)]}”" if m.group(1) in rules else m.group(0), text)
    if "." not in text:
        return text
    return _PATH.sub(lambda m: field_title(m.group(0), kind) or m.group(0), text)


#: a Chinese character (CJK unified ideographs, extension A, compatibility ideographs)
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_QUOTED = re.compile(r"'[^']*'|“[^”]*”|`[^`]*`|\"[^\"]*\"")


def zh_part(text: str) -> str:
    """The Chinese half of a bilingual message (``应为数字 / is not a number(此项按缺失处理)``
    → ``应为数字(此项按缺失处理)``): the text before the first `` / `` when it holds Chinese and
    what follows does not (quoted values aside), with a trailing full-width note kept. Any other
    text is returned as it is."""
    head, sep, tail = text.partition(" / ")
    if not sep or not CJK.search(head):
        return text
    english, note = tail, ""
    cut = max(tail.rfind("("), tail.rfind("\uff08"))
    if tail.endswith((")", "\uff09")) and cut >= 0 and CJK.search(tail[cut:]):
        english, note = tail[:cut], tail[cut:]  # a Chinese note after the English half
    if CJK.search(_QUOTED.sub("", english)):
        return text
    return head + note


def finding_message(f: Mapping[str, Any], kind: str | None = None) -> str:
    """A finding's zh message as a report shows it: an undecided rule names the data it lacks
    by their titles (缺少 运营机构/社工机构), other messages with field paths as titles."""
    message = str(f["message"]["zh"])
    missing = f.get("missing") or []
    if f["outcome"] == Outcome.UNKNOWN and missing and "缺少" in message:
        head = message.split("缺少", 1)[0]
        return f"{head}缺少 " + "、".join(field_text(m, kind) for m in missing)
    return humanise(message, kind)


def citation_text(c: Mapping[str, Any]) -> str:
    """``文件 条款``: where a rule comes from."""
    return " ".join(p for p in (c.get("document") or c.get("source") or "", c.get("clause") or "") if p)


def pack_line(p: Mapping[str, Any]) -> str:
    """A pack as the reports name it: 四川省社会工作服务体系建设 1.1.0."""
    return f"{p['title']['zh']} {p['version']}"
