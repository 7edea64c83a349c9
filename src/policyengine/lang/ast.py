"""Syntax tree of the condition language: small frozen dataclasses.

Every node carries ``start``/``end`` character offsets into the expression text, so that
every later pass (checker, compiler, trace) can point at the source.
Nodes compare and hash by identity: passes key side tables by node.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, eq=False, slots=True)
class Node:
    start: int
    end: int


@dataclass(frozen=True, eq=False, slots=True)
class Number(Node):
    value: Decimal


@dataclass(frozen=True, eq=False, slots=True)
class String(Node):
    value: str


@dataclass(frozen=True, eq=False, slots=True)
class Bool(Node):
    value: bool


@dataclass(frozen=True, eq=False, slots=True)
class Null(Node):
    pass


@dataclass(frozen=True, eq=False, slots=True)
class Path(Node):
    """``a.b.c``: a field path, a lambda variable's field, ``param.x`` or ``as_of``."""

    parts: tuple[str, ...]
    part_starts: tuple[int, ...]

    @property
    def text(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True, eq=False, slots=True)
class ListLit(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True, eq=False, slots=True)
class Neg(Node):
    operand: Node


@dataclass(frozen=True, eq=False, slots=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True, eq=False, slots=True)
class Arith(Node):
    """Left-associative ``+ - * /``: ``first (op operand)*``."""

    first: Node
    rest: tuple[tuple[str, Node], ...]


@dataclass(frozen=True, eq=False, slots=True)
class Compare(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True, eq=False, slots=True)
class In(Node):
    item: Node
    container: Node
    negated: bool


@dataclass(frozen=True, eq=False, slots=True)
class BoolOp(Node):
    op: str  # "and" | "or"
    operands: tuple[Node, ...]


@dataclass(frozen=True, eq=False, slots=True)
class Lambda(Node):
    param: str
    body: Node


@dataclass(frozen=True, eq=False, slots=True)
class Call(Node):
    name: str
    args: tuple[Node, ...]


def children(node: Node) -> tuple[Node, ...]:
    """Direct children of a node, in source order."""
    if isinstance(node, ListLit):
        return node.items
    if isinstance(node, (Neg, Not)):
        return (node.operand,)
    if isinstance(node, Arith):
        return (node.first, *(n for _, n in node.rest))
    if isinstance(node, Compare):
        return (node.left, node.right)
    if isinstance(node, In):
        return (node.item, node.container)
    if isinstance(node, BoolOp):
        return node.operands
    if isinstance(node, Lambda):
        return (node.body,)
    if isinstance(node, Call):
        return node.args
    return ()


def depth(node: Node) -> int:
    """Height of the tree below ``node`` (iterative: safe on any tree)."""
    best = 0
    stack = [(node, 1)]
    while stack:
        current, d = stack.pop()
        best = max(best, d)
        stack.extend((c, d + 1) for c in children(current))
    return best
