"""Pass 1: expression text → syntax tree (:mod:`policyengine.lang.ast`)."""

from __future__ import annotations

import functools
from decimal import Decimal
from importlib.resources import files
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..errors import ConditionLimitError, ConditionSyntaxError
from ..models.values import MAX_FRACTION_DIGITS, MAX_INTEGER_DIGITS, bounded
from . import ast

#: Longest expression accepted, in characters.
MAX_LENGTH = 4000
#: Deepest syntax tree accepted.
MAX_DEPTH = 40
#: Most digits in a number literal: at most 13 before the decimal point and 15 after, as for
#: every number in a record or a pack (:func:`policyengine.models.values.bounded`).
MAX_NUMBER_DIGITS = MAX_INTEGER_DIGITS + MAX_FRACTION_DIGITS
#: Most items in a list literal.
MAX_LIST_ITEMS = 1000

_KEYWORDS = {"and", "or", "not", "in", "true", "false", "null"}

_TOKEN_NAMES = {
    "LPAR": "`(`",
    "RPAR": "`)`",
    "LSQB": "`[`",
    "RSQB": "`]`",
    "COMMA": "`,`",
    "DOT": "`.`",
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": "a string",
    "COMP_OP": "a comparison (== != < <= > >=)",
    "ADD_OP": "`+` or `-`",
    "MUL_OP": "`*` or `/`",
    "MINUS": "`-`",
    "AND": "`and`",
    "OR": "`or`",
    "NOT": "`not`",
    "IN": "`in`",
    "TRUE": "`true`",
    "FALSE": "`false`",
    "NULL": "`null`",
    "__ANON_0": "`->`",
    "$END": "the end",
}


@functools.cache
def _lark() -> Lark:
    grammar = (files("policyengine.lang") / "grammar.lark").read_text(encoding="utf-8")
    return Lark(
        grammar,
        parser="lalr",
        propagate_positions=True,
        maybe_placeholders=True,
    )


def parse(source: str) -> ast.Node:
    """Parse one condition. Raises :class:`ConditionSyntaxError` or :class:`ConditionLimitError`."""
    if not isinstance(source, str):
        raise ConditionSyntaxError(f"a condition must be text, got {type(source).__name__}")
    if not source.strip():
        raise ConditionSyntaxError("the condition is empty", source, 0, hint="write a condition")
    if len(source) > MAX_LENGTH:
        raise ConditionLimitError(
            f"the condition is {len(source)} characters long; the limit is {MAX_LENGTH}",
            source,
            MAX_LENGTH,
            hint="split it into several rules",
        )
    _check_nesting(source)
    try:
        tree = _lark().parse(source)
    except UnexpectedInput as exc:
        raise _syntax_error(source, exc) from None
    try:
        node = _Builder(source).build(tree)
    except RecursionError:
        raise ConditionLimitError(
            f"the condition nests deeper than {MAX_DEPTH} levels",
            source,
            0,
            hint="split it into several rules",
        ) from None
    if ast.depth(node) > MAX_DEPTH:
        raise ConditionLimitError(
            f"the condition nests deeper than {MAX_DEPTH} levels",
            source,
            0,
            hint="split it into several rules",
        )
    return node


def _check_nesting(source: str) -> None:
    """Refuse deep bracket nesting before the parser sees it."""
    level = 0
    for i, ch in enumerate(source):
        if ch in "([":
            level += 1
            if level > MAX_DEPTH:
                raise ConditionLimitError(
                    f"brackets nest deeper than {MAX_DEPTH} levels",
                    source,
                    i,
                    hint="split it into several rules",
                )
        elif ch in ")]":
            level -= 1


def _syntax_error(source: str, exc: UnexpectedInput) -> ConditionSyntaxError:
    pos = getattr(exc, "pos_in_stream", None)
    if pos is None:
        pos = len(source)
    if isinstance(exc, UnexpectedCharacters):
        ch = source[pos] if pos < len(source) else ""
        hint = None
        if ch == "=":
            hint = "compare with `==`"
        elif ch == "&":
            hint = "write `and`"
        elif ch == "|":
            hint = "write `or`"
        elif ch == "!":
            hint = "write `not`, or `!=` for 'not equal'"
        elif ord(ch or "a") > 127:
            hint = "field names are English identifiers; put Chinese text inside quotes"
        return ConditionSyntaxError(f"unexpected character {ch!r}", source, pos, pos + 1, hint)
    if isinstance(exc, UnexpectedEOF):
        expected = _expected(exc.expected)
        return ConditionSyntaxError(
            f"the condition ends too early; expected {expected}",
            source,
            len(source),
            hint="is a bracket or an operand missing?",
        )
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        if tok.type == "$END":
            return ConditionSyntaxError(
                f"the condition ends too early; expected {_expected(exc.expected)}",
                source,
                len(source),
                hint="is a bracket or an operand missing?",
            )
        start = tok.start_pos if tok.start_pos is not None else pos
        end = tok.end_pos if tok.end_pos is not None else start + 1
        hint = None
        if tok.type == "COMP_OP" and "COMP_OP" not in exc.expected:
            hint = "comparisons do not chain: write `a < b and b < c`"
        return ConditionSyntaxError(
            f"unexpected {str(tok)!r}; expected {_expected(exc.expected)}", source, start, end, hint
        )
    return ConditionSyntaxError("syntax error", source, pos)


def _expected(names: Any) -> str:
    shown = sorted({_TOKEN_NAMES.get(n, n.lower()) for n in names})
    if len(shown) > 6:
        shown = [*shown[:6], "..."]
    return ", ".join(shown) if shown else "something else"


def _unquote(text: str) -> str:
    body = text[1:-1]
    if "\\" not in body:
        return body
    out = []
    it = iter(body)
    for ch in it:
        if ch == "\\":
            nxt = next(it, "")
            out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
        else:
            out.append(ch)
    return "".join(out)


class _Builder:
    def __init__(self, source: str) -> None:
        self.source = source

    def build(self, item: Tree[Token] | Token) -> ast.Node:
        if isinstance(item, Token):
            return self.token(item)
        meta = item.meta
        start = getattr(meta, "start_pos", 0)
        end = getattr(meta, "end_pos", start)
        kind = item.data
        ch = item.children
        if kind in ("or_", "and_", "arith") and len(ch) == 1:
            return self.build(ch[0])
        if kind == "or_" or kind == "and_":
            return ast.BoolOp(start, end, kind[:-1], tuple(self.build(c) for c in ch))
        if kind == "not_":
            return ast.Not(start, end, self.build(ch[0]))
        if kind == "compare":
            left, op, right = ch
            return ast.Compare(start, end, str(op), self.build(left), self.build(right))
        if kind in ("in_", "not_in"):
            return ast.In(start, end, self.build(ch[0]), self.build(ch[1]), kind == "not_in")
        if kind == "arith":
            first = self.build(ch[0])
            rest = tuple((str(ch[i]), self.build(ch[i + 1])) for i in range(1, len(ch), 2))
            return ast.Arith(start, end, first, rest)
        if kind == "neg":
            return ast.Neg(start, end, self.build(ch[0]))
        if kind == "true":
            return ast.Bool(start, end, True)
        if kind == "false":
            return ast.Bool(start, end, False)
        if kind == "null":
            return ast.Null(start, end)
        if kind in ("number", "string"):
            tok = ch[0]
            assert isinstance(tok, Token)
            return self.token(tok)
        if kind == "list_":
            items = tuple(self.build(c) for c in ch if c is not None)
            if len(items) > MAX_LIST_ITEMS:
                raise ConditionLimitError(
                    f"a list literal of {len(items)} items; the limit is {MAX_LIST_ITEMS}",
                    self.source,
                    start,
                    end,
                    hint="put long lists in a parameter",
                )
            return ast.ListLit(start, end, items)
        if kind == "path":
            names = [c for c in ch if isinstance(c, Token)]
            for tok in names:
                if str(tok) in _KEYWORDS:
                    raise ConditionSyntaxError(
                        f"{str(tok)!r} is a reserved word", self.source, tok.start_pos or start
                    )
            return ast.Path(
                start,
                end,
                tuple(str(t) for t in names),
                tuple(t.start_pos or 0 for t in names),
            )
        if kind == "call":
            name_tok, args_tree = ch
            args: tuple[ast.Node, ...] = ()
            if isinstance(args_tree, Tree):
                args = tuple(self.build(c) for c in args_tree.children)
            return ast.Call(start, end, str(name_tok), args)
        if kind == "lambda_":
            param_tok, body = ch
            return ast.Lambda(start, end, str(param_tok), self.build(body))
        raise ConditionSyntaxError(f"unsupported construct {kind}", self.source, start, end)

    def token(self, tok: Token) -> ast.Node:
        start = tok.start_pos or 0
        end = tok.end_pos or start
        if tok.type == "NUMBER":
            try:
                return ast.Number(start, end, bounded(Decimal(str(tok))))
            except ValueError as exc:
                raise ConditionLimitError(str(exc), self.source, start, end) from None
        if tok.type == "STRING":
            return ast.String(start, end, _unquote(str(tok)))
        if tok.type == "NAME":
            return ast.Path(start, end, (str(tok),), (start,))
        raise ConditionSyntaxError(f"unexpected {str(tok)!r}", self.source, start, end)
