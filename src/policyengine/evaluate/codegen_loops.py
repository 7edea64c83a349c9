"""Generated row code, the quantifiers' loops: ``count any all sum filter min max``.

Each writes the loop over ``items`` (the list's local, present) binding ``x``, the lambda's body
(written by ``body`` inside the loop) decided as the closures of
:mod:`policyengine.lang.quantifiers` decide it, and the result into ``r``.
"""

from __future__ import annotations

from collections.abc import Callable

from .codegen_source import Source


def _unless_absent(o: Source, b: str, unknown: str) -> str:
    """An item's value: if absent, note it in ``unknown`` and go on to the next item.
    (Every loop below treats an absent item's value as not counted, not kept, not added.)"""
    if b in o.sure:
        return b
    o.emit(f"if {b} is _M:")
    o.emit(f"    {unknown} = True")
    o.emit("    continue")
    return b


Body = Callable[[], str]


def _count(o: Source, items: str, x: str, r: str, body: Body) -> None:
    n, u = o.fresh("n"), o.fresh("u")
    o.emit(f"{n} = 0")
    o.emit(f"{u} = False")
    with o.block(f"for {x} in {items}:", loop=True):
        b = _unless_absent(o, body(), u)
        o.emit(f"if {b}:")
        o.emit(f"    {n} += 1")
    o.emit(f"{r} = _M if {u} else _D({n})")


def _any_all(found: bool) -> Callable[[Source, str, str, str, Body], None]:
    """``any`` stops at the first true item, ``all`` at the first false one."""

    def loop(o: Source, items: str, x: str, r: str, body: Body) -> None:
        u = o.fresh("u")
        o.emit(f"{r} = {not found}")
        o.emit(f"{u} = False")
        with o.block(f"for {x} in {items}:", loop=True):
            b = _unless_absent(o, body(), u)
            with o.block(f"if {'' if found else 'not '}{b}:"):
                o.emit(f"{r} = {found}")
                o.emit("break")
        o.emit(f"if {u} and {r} is {not found}:")
        o.emit(f"    {r} = _M")

    return loop


def _sum(o: Source, items: str, x: str, r: str, body: Body) -> None:
    u = o.fresh("u")
    o.emit(f"{r} = _ZERO")
    o.emit(f"{u} = False")
    with o.block(f"for {x} in {items}:", loop=True):
        b = _unless_absent(o, body(), u)
        o.emit(f"if not {u}:")
        o.emit(f"    {r} += {b}")
    o.emit(f"if {u}:")
    o.emit(f"    {r} = _M")


def _filter(o: Source, items: str, x: str, r: str, body: Body) -> None:
    u, kept = o.fresh("u"), o.fresh("k")
    o.emit(f"{kept} = []")
    o.emit(f"{u} = False")
    with o.block(f"for {x} in {items}:", loop=True):
        b = _unless_absent(o, body(), u)
        o.emit(f"if {b}:")
        o.emit(f"    {kept}.append({x})")
    o.emit(f"{r} = _M if {u} else {kept}")


def _min_max(pick: str) -> Callable[[Source, str, str, str, Body], None]:
    """The smallest or largest value; absent for an empty list or at the first absent value
    (the items after it are not evaluated, as in the closures)."""

    def loop(o: Source, items: str, x: str, r: str, body: Body) -> None:
        seen = o.fresh("v")
        o.emit(f"{r} = _M")
        with o.block(f"if {items}:"):
            o.emit(f"{seen} = []")
            with o.block(f"for {x} in {items}:", loop=True):
                b = body()
                o.emit(f"if {b} is _M:")
                o.emit("    break")
                o.emit(f"{seen}.append({b})")
            o.emit("else:")
            o.emit(f"    {r} = {pick}({seen})")

    return loop


LOOPS: dict[str, Callable[[Source, str, str, str, Body], None]] = {
    "count": _count,
    "any": _any_all(True),
    "all": _any_all(False),
    "sum": _sum,
    "filter": _filter,
    "min": _min_max("min"),
    "max": _min_max("max"),
}
