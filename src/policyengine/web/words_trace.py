"""The values that decided a finding, in words: each decision of a rule's trace as a bureau
reads it, with the vocabulary of :mod:`.words` (the same words the pack page uses for the
rule's condition):

    工作人员中专业社工为“是”的数量为 1,应不少于 每站最少专业社工人数(2人):不满足

Each trace entry is found in the rule's compiled condition by its position, so a field,
parameter or code is named exactly as the engine resolved it. In en the condition is shown as
written, with its values. An entry that cannot be put in words (a plugin's function) gives
no line rather than raw code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel

from .._format import format_value
from ..lang import Condition, ast
from ..lang.checked import ParamRef
from ..lang.runtime import TraceEntry
from ..packs.expressions import node_kind
from ..packs.runtime import CompiledRule, Pack
from .words import COMPARE_ZH, LATIN, RESULT_WORDS, Words, value_text

#: nodes whose words are their value (``3``, ``"township"``, ``true``, ``null``)
LITERALS = (ast.Number, ast.String, ast.Bool, ast.Null)


@dataclass(frozen=True)
class TraceLine:
    """One decision: what was looked at and its values, in words, and whether it held."""

    text: str
    result: bool | None
    verdict: str

    @property
    def mark(self) -> str:
        return {True: "✓", False: "✗", None: "?"}[self.result]


def trace_lines(
    entries: Iterable[TraceEntry],
    rule: CompiledRule,
    subject: type[BaseModel] | None,
    pack: Pack,
    as_of: date,
    lang: str,
) -> list[TraceLine]:
    """Each decision of a finding of ``rule`` (its ``when`` or its ``require``) as a line."""
    out: list[TraceLine] = []
    said: dict[int, Words] = {}
    for entry in entries:
        verdict = RESULT_WORDS[entry.result][1 if lang == "en" else 0]
        if lang == "en":
            out.append(TraceLine(_english(entry), entry.result, verdict))
            continue
        for cond in (rule.require, rule.when):
            if subject is None or cond is None or cond.source[entry.start : entry.end] != entry.text:
                continue
            words = said.setdefault(id(cond), Words(cond, subject, pack, as_of))
            text = _zh_line(entry, cond, words)
            if text is not None:
                out.append(TraceLine(text, entry.result, verdict))
            break
    return out


def _zh_line(entry: TraceEntry, cond: Condition, words: Words) -> str | None:
    node = _node_at(cond.checked.root, entry.start, entry.end)
    if node is None:
        return None
    try:
        if isinstance(node, ast.Compare):
            text = _compare(entry, node, words)
        elif isinstance(node, ast.In):
            text = _membership(entry, node, words)
        else:  # a yes-or-no field or function: its words say what holds
            text = words.text(node)
    except Exception:  # words are a courtesy: never break a page
        return None
    return None if LATIN.search(text) else text


def _compare(entry: TraceEntry, node: ast.Compare, words: Words) -> str:
    """``left`` with its value, then what it should be: the right side in words, its value
    beside it unless the words already hold it (a literal, a parameter)."""
    cond, types = words.cond, words.cond.checked.types
    units = {name: p.unit for name, p in words.pack.parameters.items()}
    left_info, right_info = types.get(node.left), types.get(node.right)
    left = words.side(node.left, right_info)
    lv = value_text(entry.left, node_kind(node.left, cond, words.subject, units), left_info or right_info)
    if node.op in ("==", "!=") and isinstance(node.right, ast.Null):
        want = "应未填写" if node.op == "==" else "应已填写"
        return f"{left}{want}" if entry.left is None else f"{left}为 {lv},{want}"
    should = "应" + COMPARE_ZH[node.op]
    if isinstance(node.right, LITERALS):
        right = words.side(node.right, left_info)
    elif isinstance(node.right, ast.Path) and isinstance(cond.checked.refs.get(node.right), ParamRef):
        right = words.text(node.right)  # the parameter's title and value
    else:
        kind = node_kind(node.right, cond, words.subject, units)
        right = f"{words.text(node.right)},即 {value_text(entry.right, kind, right_info or left_info)}"
    return f"{left}为 {lv},{should} {right}"


def _membership(entry: TraceEntry, node: ast.In, words: Words) -> str:
    types = words.cond.checked.types
    container_info, item_info = types.get(node.container), types.get(node.item)
    member_info = container_info.item if container_info is not None else None
    negated = "不" if node.negated else ""
    container = words.text(node.container)
    if isinstance(node.item, LITERALS) or (container_info is not None and container_info.kind == "string"):
        # a list or a text of the record, asked whether it holds a given value
        verb = "含" if container_info is not None and container_info.kind == "string" else "包括"
        shown = value_text(entry.right, None, container_info)
        return f"{container}为 {shown},应{negated}{verb}{words.side(node.item, member_info)}"
    item = words.side(node.item, member_info)
    shown = value_text(entry.left, None, item_info or member_info)
    if isinstance(node.container, ast.ListLit):
        options = "、".join(words.side(n, item_info) for n in node.container.items)
        return f"{item}为 {shown},应{negated}属于{options}之一"
    return f"{item}为 {shown},应{negated}属于 {container}"


def _node_at(root: ast.Node, start: int, end: int) -> ast.Node | None:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.start == start and node.end == end and not isinstance(node, ast.Lambda):
            return node
        stack.extend(ast.children(node))
    return None


def _english(e: TraceEntry) -> str:
    if e.op == "is":
        return f"{e.text} = {format_value(e.left, 'en')}"
    return f"{e.text}, here {format_value(e.left, 'en')} {e.op} {format_value(e.right, 'en')}"
