"""The values that decided a finding, in words: each step of a rule's trace as a bureau reads it.

A trace entry holds a condition's text (``count(staff, s -> s.full_time) >= param.min_full_time``)
and the values on both sides. In zh the text is read back into words — fields by their titles,
parameters by their titles, codes by their labels, the language's functions by what they do:

    工作人员中“全职”的人数为 3,应不少于 每站最少全职社工(6):不满足

In en the condition is shown as written, with its values. A text the parser cannot read again
(it always can: it is a piece of a compiled condition) gives no line rather than raw code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from .._format import MONEY, PERCENT, format_decimal, format_value
from ..batch.writers.labels import field_title
from ..lang import ast, parse
from ..models.base import LabelledChoice

#: comparison operators in words: (what the left side must be, of the right side)
OPS_ZH = {">=": "应不少于", ">": "应多于", "<=": "应不超过", "<": "应少于", "==": "应为", "!=": "应不为"}
RESULT_ZH = {True: "满足", False: "不满足", None: "缺少数据,无法判断"}
RESULT_EN = {True: "met", False: "not met", None: "data missing"}
ARITH_ZH = {"+": "+", "-": "−", "*": "×", "/": "÷"}
#: parameter units whose values read as money or as a share
UNIT_KINDS = {"yuan": MONEY, "ratio": PERCENT}
#: the language's functions in words (``{0}``, ``{1}``: the arguments)
FUNCTIONS_ZH = {
    "len": "{0}的数量",
    "exists": "{0}已填写",
    "default": "{0}(缺失时按{1})",
    "date": "{0}",
    "year": "{0}的年份",
    "month": "{0}的月份",
    "abs": "{0}的绝对值",
    "round": "{0}(保留{1}位小数)",
    "add_days": "{0}加{1}天",
    "add_months": "{0}加{1}个月",
    "days_between": "{0}至{1}的天数",
    "months_between": "{0}至{1}的整月数",
    "period_days": "{0}至{1}的天数(含首尾)",
    "period_months": "{0}至{1}的月数",
    "period_years": "{0}至{1}的年数",
    "within_months": "{0}至{1}不超过{2}个月",
    "within_years": "{0}至{1}不超过{2}年",
}
QUANTIFIERS_ZH = {
    "count": "{list}中{body}的数量",
    "any": "{list}中有{body}的",
    "all": "{list}都{body}",
    "sum": "{list}的{body}合计",
    "min": "{list}中最小的{body}",
    "max": "{list}中最大的{body}",
    "filter": "{list}中{body}的",
}


@dataclass(frozen=True)
class TraceLine:
    """One step: what was looked at, in words, and whether it held."""

    text: str
    result: bool | None


@cache
def _code_labels() -> dict[str, str]:
    """Every coded value's zh label (``intermediate`` → 社会工作师), from the models' choices."""
    out: dict[str, str] = {}
    todo: list[type[LabelledChoice]] = list(LabelledChoice.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        for code, label in getattr(cls, "__labels__", {}).items():
            out.setdefault(str(code), str(label))
    return out


class _Words:
    """Reads one condition's syntax tree in zh words for a record of ``kind``."""

    def __init__(self, kind: str | None, params: Mapping[str, Any]) -> None:
        self.kind, self.params = kind, params

    def path_title(self, parts: Sequence[str], env: Mapping[str, str], short: bool) -> str:
        if parts[0] == "param" and len(parts) > 1:
            param = self.params.get(parts[1])
            return str(param.title.zh) if param is not None else "政策参数"
        if tuple(parts) == ("as_of",):
            return "评估基准日"
        head = env.get(parts[0])
        if head is not None and (len(parts) == 1 or not head):
            return "该项"  # the item itself (of a list of values, or a list as a whole)
        full = ".".join([head, *parts[1:]]) if head is not None else ".".join(parts)
        title = field_title(full, self.kind) or ".".join(parts[-1:])
        if head is not None:  # an item's field inside a list: its own title is enough
            return title.rsplit("/", 1)[-1] if len(parts) > 1 else title
        return title.replace("/", "") if short else title

    def node(self, n: ast.Node, env: Mapping[str, str]) -> str:
        handler: Callable[[Any, Mapping[str, str]], str] | None = getattr(self, f"_{type(n).__name__}", None)
        return handler(n, env) if handler is not None else "该项"

    def _Path(self, n: ast.Path, env: Mapping[str, str]) -> str:
        return self.path_title(n.parts, env, short=False)

    def _Number(self, n: ast.Number, env: Mapping[str, str]) -> str:
        return format_decimal(n.value)

    def _String(self, n: ast.String, env: Mapping[str, str]) -> str:
        return f"“{_code_labels().get(n.value, n.value)}”"

    def _Bool(self, n: ast.Bool, env: Mapping[str, str]) -> str:
        return "是" if n.value else "否"

    def _Null(self, n: ast.Null, env: Mapping[str, str]) -> str:
        return "空"

    def _ListLit(self, n: ast.ListLit, env: Mapping[str, str]) -> str:
        return "、".join(self.node(i, env) for i in n.items)

    def _Neg(self, n: ast.Neg, env: Mapping[str, str]) -> str:
        return f"−{self.node(n.operand, env)}"

    def _Not(self, n: ast.Not, env: Mapping[str, str]) -> str:
        return f"并非{self.node(n.operand, env)}"

    def _Arith(self, n: ast.Arith, env: Mapping[str, str]) -> str:
        text = self.node(n.first, env)
        for op, operand in n.rest:
            text += f" {ARITH_ZH.get(op, op)} {self.node(operand, env)}"
        return text

    def _Compare(self, n: ast.Compare, env: Mapping[str, str]) -> str:
        op = OPS_ZH.get(n.op, n.op).removeprefix("应")
        if n.op == "==" and isinstance(n.right, ast.Bool):
            return self.node(n.left, env) + ("" if n.right.value else "为否")
        return f"{self.node(n.left, env)}{op}{self.node(n.right, env)}"

    def _In(self, n: ast.In, env: Mapping[str, str]) -> str:
        word = "不属于" if n.negated else "属于"
        return f"{self.node(n.item, env)}{word}{self.node(n.container, env)}"

    def _BoolOp(self, n: ast.BoolOp, env: Mapping[str, str]) -> str:
        return ("且" if n.op == "and" else "或").join(self.node(o, env) for o in n.operands)

    def _Lambda(self, n: ast.Lambda, env: Mapping[str, str]) -> str:
        return self.node(n.body, env)

    def _Call(self, n: ast.Call, env: Mapping[str, str]) -> str:
        fn = n.args[-1] if n.args else None
        if n.name in QUANTIFIERS_ZH and len(n.args) == 2 and isinstance(fn, ast.Lambda):
            items = n.args[0]
            listed = self.node(items, env)
            inner = dict(env)
            inner[fn.param] = ""  # a list of values (a parameter's, a literal): the item itself
            if isinstance(items, ast.Path) and items.parts[0] != "param":
                head = env.get(items.parts[0])
                inner[fn.param] = ".".join([head, *items.parts[1:]]) if head else items.text
            body = self.node(fn.body, inner)
            return QUANTIFIERS_ZH[n.name].format(list=listed, body=f"“{body}”")
        template = FUNCTIONS_ZH.get(n.name)
        args = [self.node(a, env) for a in n.args]
        if template is None or template.count("{") > len(args):
            return "计算值"
        return template.format(*args)


def _value(value: Any, kind: str | None = None) -> str:
    """A value in zh, a code by its label (``public_tender`` → 公开招标)."""
    if isinstance(value, str) and not isinstance(value, LabelledChoice):
        return _code_labels().get(value, value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "、".join(_value(v) for v in value) or "(无)"
    return format_value(value, "zh", kind)


def _value_kind(node: ast.Node, params: Mapping[str, Any]) -> str | None:
    if isinstance(node, ast.Path) and node.parts[0] == "param" and len(node.parts) > 1:
        param = params.get(node.parts[1])
        return UNIT_KINDS.get(getattr(param, "unit", None) or "")
    return None


def trace_in_words(
    entries: Sequence[Any], kind: str | None, params: Mapping[str, Any], lang: str
) -> list[TraceLine]:
    """Each trace entry (``text``, ``op``, ``left``, ``right``, ``result``) as a line."""
    out: list[TraceLine] = []
    for e in entries:
        if lang == "en":
            out.append(TraceLine(_english(e), e.result))
            continue
        try:
            tree = parse(e.text)
        except Exception:  # a piece of a compiled condition always parses; never show code
            continue
        out.append(TraceLine(_zh_line(tree, e, kind, params), e.result))
    return out


def _zh_line(tree: ast.Node, e: Any, kind: str | None, params: Mapping[str, Any]) -> str:
    words = _Words(kind, params)
    verdict = RESULT_ZH[e.result]
    if isinstance(tree, ast.Compare) and e.op == tree.op:
        left = words.node(tree.left, {})
        lv = _value(e.left, _value_kind(tree.left, params))
        rv = _value(e.right, _value_kind(tree.right, params))
        if isinstance(tree.right, (ast.Number, ast.String, ast.Bool)):
            right = rv if not isinstance(tree.right, ast.String) else words.node(tree.right, {})
        else:
            right = f"{words.node(tree.right, {})}({rv})"
        return f"{left}为 {lv},{OPS_ZH.get(tree.op, tree.op)} {right}:{verdict}"
    if isinstance(tree, ast.In):
        item = words.node(tree.item, {})
        word = "不应属于" if tree.negated else "应属于"
        return f"{item}为 {_value(e.left)},{word} {words.node(tree.container, {})}:{verdict}"
    return f"{words.node(tree, {})}:{_value(e.left)}"


def _english(e: Any) -> str:
    mark = RESULT_EN[e.result]
    if e.op == "is":
        return f"{e.text} = {format_value(e.left, 'en')} ({mark})"
    return f"{e.text}: {format_value(e.left, 'en')} {e.op} {format_value(e.right, 'en')} ({mark})"
