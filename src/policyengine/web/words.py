"""Conditions in words, for people who do not read the condition language: the one
vocabulary of the web pages (operators, functions, units, results, codes, values).

``count(staff, s -> s.professional) >= param.min_station_social_workers`` reads
``工作人员中专业社工为“是”的数量 不少于 每站最少专业社工人数(2人)``: every field by its Chinese title
(from the models), every parameter by its title and value, every code by its label, every
operator in words. The walk reads the checked syntax tree the pack compiler kept
(:class:`~policyengine.lang.checked.Checked`), so a path is resolved exactly as the engine
resolves it. English pages show the condition as written. A finding's trace is read with
the same words (:mod:`.words_trace`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from .._format import format_decimal, format_value
from ..lang import Condition, ast
from ..lang.checked import AsOfRef, FieldRef, ParamRef
from ..models.base import LabelledChoice
from ..models.introspect import TypeInfo, field_type_info
from ..packs.expressions import UNIT_KINDS
from ..packs.matrix import labelled
from ..packs.runtime import Pack

#: comparison operators in words
COMPARE_ZH = {"<=": "不超过", ">=": "不少于", "<": "少于", ">": "多于", "==": "为", "!=": "不为"}
ARITH_ZH = {"*": "×", "/": "÷", "+": "+", "-": "−"}
UNITS_ZH = {"people": "人", "m2": "平方米", "counties": "个"}
#: whether a decision held (zh, en)
RESULT_WORDS = {
    True: ("满足", "met"),
    False: ("不满足", "not met"),
    None: ("缺少数据,无法判断", "data missing"),
}
#: a value not given
ABSENT_ZH = "未填写"
#: the built-in functions in words, ``{}`` for each argument
FUNCTIONS_ZH = {
    "len": "{}的数量",
    "date": "{}",
    "add_days": "{}加{}天",
    "add_months": "{}加{}个月",
    "days_between": "{}至{}的天数",
    "months_between": "{}至{}的整月数",
    "period_days": "{}至{}的天数(含首尾)",
    "period_months": "{}至{}的月数(含首尾)",
    "period_years": "{}至{}的年数(含首尾)",
    "within_months": "{}至{}在{}个月以内",
    "within_years": "{}至{}在{}年以内",
    "year": "{}的年份",
    "month": "{}的月份",
    "abs": "{}的绝对值",
    "round": "{}四舍五入保留{}位小数",
}
#: words with a lowercase Latin run left in them are not words: the page shows none
LATIN = re.compile(r"[a-z]{2,}")


@dataclass
class Words:
    """Turns the nodes of one compiled condition into zh words."""

    cond: Condition
    subject: type[BaseModel]
    pack: Pack
    as_of: date

    def __post_init__(self) -> None:
        self.values, _ = self.pack.params_at(self.as_of)
        #: each lambda variable's item type (``s`` in ``count(staff, s -> …)``: a staff member)
        self.vars: dict[str, TypeInfo] = {}
        stack = [self.cond.checked.root]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Call) and len(node.args) == 2 and isinstance(node.args[1], ast.Lambda):
                info = self.cond.checked.types.get(node.args[0])
                self.vars[node.args[1].param] = (
                    info.item if info is not None and info.item else TypeInfo("any")
                )
            stack.extend(ast.children(node))

    def text(self, node: ast.Node | None = None) -> str:
        return self._node(node if node is not None else self.cond.checked.root, top=True)

    def _node(self, node: ast.Node, top: bool = False) -> str:
        if isinstance(node, ast.Path):
            return self._path(node, as_condition=top)
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.BoolOp):
            joiner = ",且" if node.op == "and" else ",或"
            parts = [self._operand(n) for n in node.operands]
            return joiner.join(parts)
        if isinstance(node, ast.Not):
            return f"并非「{self._node(node.operand, top=True)}」"
        if isinstance(node, ast.In):
            return self._in(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Arith):
            parts = [self._node(node.first)]
            for op, operand in node.rest:
                parts += [ARITH_ZH[op], self._node(operand)]
            return " ".join(parts)
        if isinstance(node, ast.Neg):
            return f"−{self._node(node.operand)}"
        if isinstance(node, ast.ListLit):
            return "、".join(self._node(n) for n in node.items)
        return self._literal(node)

    def _operand(self, node: ast.Node) -> str:
        text = self._node(node, top=True)
        return f"({text})" if isinstance(node, ast.BoolOp) else text

    def _literal(self, node: ast.Node, choices: TypeInfo | None = None) -> str:
        if isinstance(node, ast.String):
            return f"“{code_label(node.value, choices)}”"
        if isinstance(node, ast.Number):
            return format_decimal(node.value)
        if isinstance(node, ast.Bool):
            return "是" if node.value else "否"
        if isinstance(node, ast.Null):
            return ABSENT_ZH
        return "…"

    def _path(self, node: ast.Path, as_condition: bool = False) -> str:
        ref = self.cond.checked.refs.get(node)
        if isinstance(ref, ParamRef):
            return self._param(ref.name)
        if isinstance(ref, AsOfRef):
            return "评估基准日"
        if isinstance(ref, FieldRef):
            text = self._field(ref)
            info = self.cond.checked.types.get(node)
            if as_condition and info is not None and info.kind == "bool":
                return f"{text}为“是”"
            return text
        return node.text

    def _field(self, ref: FieldRef) -> str:
        if ref.var is None:
            model: type[BaseModel] | None = self.subject
            head: list[str] = []
        else:
            info = self.vars.get(ref.var)
            model = info.model if info is not None else None
            head = ["该项"] if model is None else []
        titles = head + _titles(model, ref.steps)
        return "/".join(titles) if titles else "该项"

    def _param(self, name: str) -> str:
        param = self.pack.parameters.get(name)
        if param is None:
            return name
        value = self.values.get(name)
        if value is None:
            return param.title.zh
        return f"{param.title.zh}({param_value(value, param.unit, 'zh')})"

    def _compare(self, node: ast.Compare) -> str:
        left_info = self.cond.checked.types.get(node.left)
        right_info = self.cond.checked.types.get(node.right)
        left = self.side(node.left, right_info)
        right = self.side(node.right, left_info)
        if node.op in ("==", "!=") and isinstance(node.right, ast.Null):
            return f"{left}{ABSENT_ZH if node.op == '==' else '已填写'}"
        if node.op in ("==", "!=") and isinstance(node.right, ast.Bool):
            return f"{left}{COMPARE_ZH[node.op]}“{right}”"  # as a yes-or-no field reads: 为“是”
        if node.op in ("==", "!="):
            return f"{left}{COMPARE_ZH[node.op]}{right}"
        return f"{left} {COMPARE_ZH.get(node.op, node.op)} {right}"

    def side(self, node: ast.Node, other: TypeInfo | None) -> str:
        if isinstance(node, (ast.String, ast.Number, ast.Bool, ast.Null)):
            return self._literal(node, other)
        return self._node(node)

    def _in(self, node: ast.In) -> str:
        container_info = self.cond.checked.types.get(node.container)
        item = self.side(node.item, container_info.item if container_info else None)
        if isinstance(node.container, ast.ListLit):
            item_info = self.cond.checked.types.get(node.item)
            options = "、".join(self.side(n, item_info) for n in node.container.items)
            return f"{item}{'不' if node.negated else ''}属于{options}之一"
        container = self._node(node.container)
        if container_info is not None and container_info.kind == "string":
            return f"{container}{'不' if node.negated else ''}含{item}"
        return f"{container}{'不' if node.negated else ''}包括{item}"

    def _call(self, node: ast.Call) -> str:
        if node.name == "exists" and node.args:
            return f"已填写{self._node(node.args[0])}"
        if node.name == "default" and len(node.args) == 2:
            return f"{self._node(node.args[0])}(未填写时按{self._node(node.args[1])})"
        if node.name in ("count", "any", "all", "sum", "min", "max", "filter") and node.args:
            return self._quantifier(node)
        form = FUNCTIONS_ZH.get(node.name)
        if form is None or form.count("{}") != len(node.args):
            raise LookupError(node.name)  # a plugin's function: no words for it
        return form.format(*(self._node(a) for a in node.args))

    def _quantifier(self, node: ast.Call) -> str:
        items = self._node(node.args[0])
        if len(node.args) < 2 or not isinstance(node.args[1], ast.Lambda):
            whole = {"count": "的数量", "sum": "之和", "min": "中最小者", "max": "中最大者"}
            return f"{items}{whole.get(node.name, '')}"
        fn = node.args[1]
        body = self._node(fn.body, top=True)
        if node.name == "all" or isinstance(fn.body, (ast.BoolOp, ast.Not)):
            body = f"满足「{body}」"
        forms = {
            "count": f"{items}中{body}的数量",
            "any": f"{items}中至少有一项{body}",
            "all": f"{items}的每一项都{body}",
            "sum": f"{items}的{body}之和",
            "min": f"{items}中{body}的最小值",
            "max": f"{items}中{body}的最大值",
            "filter": f"{items}中{body}的各项",
        }
        return forms[node.name]


@functools.cache
def _all_labels() -> dict[str, str]:
    """Every code of every labelled choice the models define → its label (the first wins)."""
    from .. import models  # noqa: F401  (every choice class defined)

    out: dict[str, str] = {}
    stack = list(LabelledChoice.__subclasses__())
    while stack:
        cls = stack.pop(0)
        for code, label in getattr(cls, "__labels__", {}).items():
            out.setdefault(code, label)
        stack.extend(cls.__subclasses__())
    return out


def code_label(code: str, info: TypeInfo | None = None) -> str:
    """A code by its Chinese label (station levels, service domains, fund kinds, …): by the
    field's own choices when ``info`` (the field's type) has them, else the first choice that
    knows the code."""
    enum = info.enum if info is not None else None
    labels = getattr(enum, "__labels__", None) if enum is not None else None
    if labels and code in labels:
        return str(labels[code])
    label = labelled([code])[0]
    return str(label) if label != code else _all_labels().get(code, code)


def _titles(model: type[BaseModel] | None, steps: tuple[str, ...]) -> list[str]:
    """The Chinese titles of a field path's steps (a step no model knows is kept)."""
    out: list[str] = []
    for step in steps:
        fi = model.model_fields.get(step) if model is not None else None
        if fi is None:
            out.append(step)
            model = None
            continue
        title = fi.title or step
        if out and title.startswith(out[-1]):
            out.pop()  # 评估等级/评估等级(A): the inner title says it all
        out.append(title)
        info = field_type_info(fi.annotation)
        while info.kind == "list" and info.item is not None:
            info = info.item
        model = info.model if info.kind == "model" else None
    return out


def param_value(value: Any, unit: str | None, lang: str) -> str:
    """A parameter's value as a bureau writes it: 3%, 20万元, 2人, codes by their labels."""
    kind = UNIT_KINDS.get(unit or "")
    if lang == "zh" and isinstance(value, list):
        value = [code_label(v) if isinstance(v, str) else v for v in value]
    text = format_value(value, lang, kind)
    if lang == "zh" and unit in UNITS_ZH and isinstance(value, (int, Decimal)):
        text += UNITS_ZH[unit]
    return text


def condition_words(cond: Condition | None, subject: type[BaseModel], pack: Pack, as_of: date) -> str | None:
    """The condition in zh words (None: no condition)."""
    if cond is None:
        return None
    try:
        text = Words(cond, subject, pack, as_of).text()
    except Exception:  # words are a courtesy: never break a page
        return None
    return None if LATIN.search(text) else text


def value_text(value: Any, kind: str | None = None, info: TypeInfo | None = None) -> str:
    """A value as the pages show it in zh: a code by its label (by the field's own choices
    when ``info`` knows them), an absent value as 未填写, money and shares as a bureau writes them."""
    if value is None:
        return ABSENT_ZH
    if isinstance(value, str) and not isinstance(value, LabelledChoice):
        return code_label(value, info)
    if isinstance(value, list):
        item = info.item if info is not None else None
        return "、".join(value_text(v, kind, item) for v in value) or "(无)"
    return format_value(value, "zh", kind)
