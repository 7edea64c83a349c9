"""Generated row code, the writing: the function's lines, names and constants.

:class:`Source` is what :mod:`.codegen_expr` writes a condition into and :mod:`.codegen`
writes a pack's rules into; :class:`Unsupported` is what either raises for a condition it
does not express (that rule then runs on its closures).
"""

from __future__ import annotations

import keyword
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

#: Deepest indentation and loop/try nesting a rule's code may reach (CPython's limits are 100
#: and 20); beyond, the rule runs on its closures.
MAX_DEPTH = 80
MAX_BLOCKS = 16


class Unsupported(Exception):
    """A condition the generator does not express (the reason is the message)."""


@dataclass
class Source:
    """The function being written: its lines, fresh local names, and the constants its
    namespace binds (numbers, dates, constant lists, function implementations)."""

    lines: list[str] = field(default_factory=list)
    names: dict[str, Any] = field(default_factory=dict)
    depth: int = 1
    blocks: int = 0
    #: locals and constants known never to hold MISSING (no absence test needed)
    sure: set[str] = field(default_factory=lambda: {"True", "False", "as_of"})
    #: record paths walked once, at the top of the function (pure: attribute reads only)
    hoisted: dict[tuple[str, ...], str] = field(default_factory=dict)
    header: list[str] = field(default_factory=list)
    _count: int = 0
    _keys: dict[tuple[str, str], str] = field(default_factory=dict)

    def emit(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)

    def fresh(self, stem: str = "t") -> str:
        self._count += 1
        return f"_{stem}{self._count}"

    def const(self, value: Any, stem: str = "c") -> str:
        """A namespace name bound to ``value`` (numbers, dates and text shared by repr)."""
        key = (type(value).__name__, repr(value)) if isinstance(value, (Decimal, date, str)) else None
        if key is not None and key in self._keys:
            return self._keys[key]
        name = self.fresh(stem)
        self.names[name] = value
        self.sure.add(name)
        if key is not None:
            self._keys[key] = name
        return name

    def absent(self, *codes: str) -> str:
        """The test that one of ``codes`` is MISSING ("" when none can be)."""
        return " or ".join(f"{c} is _M" for c in codes if c not in self.sure)

    def hoist(self, steps: tuple[str, ...]) -> str:
        """A local holding ``rec.<steps>`` (None if a step is None), walked once per call."""
        found = self.hoisted.get(steps)
        if found is not None:
            return found
        base = "rec" if len(steps) == 1 else self.hoist(steps[:-1])
        name = self.hoisted[steps] = f"h_{len(self.hoisted)}"
        if len(steps) == 1:
            self.header.append(f"    {name} = {attr(base, steps[0])}")
        else:
            self.header.append(f"    {name} = None if {base} is None else {attr(base, steps[-1])}")
        return name

    @contextmanager
    def block(self, header: str, loop: bool = False) -> Iterator[None]:
        """``header:`` and the lines emitted inside it, one level deeper."""
        self.emit(header)
        self.depth += 1
        self.blocks += loop
        if self.depth > MAX_DEPTH or self.blocks > MAX_BLOCKS:
            raise Unsupported("nested too deeply for one Python function")
        try:
            yield
        finally:
            self.depth -= 1
            self.blocks -= loop


def attr(base: str, step: str) -> str:
    if step.isidentifier() and not keyword.iskeyword(step):
        return f"{base}.{step}"
    return f"getattr({base}, {step!r})"


@contextmanager
def same_level() -> Iterator[None]:
    yield
