"""The packs the service evaluates with: compiled once at start-up, swapped whole on reload.

A :class:`Catalog` is one immutable generation: a fresh plugin manager and pack registry, every
pack compiled, the subject models, and engines built on demand (cached per combination of
packs). A request takes ``holder.current`` once, at its start, and uses that generation to its
end. :meth:`CatalogHolder.reload` compiles a whole new generation beside the one serving (in
the request's worker thread, while other requests go on), then swaps the reference — one
assignment, atomic under the GIL. Requests already running finish on the old generation, which
is dropped when the last of them lets go; none is refused or fails. A reload that cannot
compile every pack changes nothing and answers with the packs' problems.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ..errors import PackError, Problem
from ..evaluate.engine import Engine
from ..models.base import Subject
from ..packs.runtime import Pack
from ..plugins import PackRegistry, collect_subjects, make_plugin_manager
from .problems import ProblemError

#: engines kept per generation (one per combination of packs and scope setting asked for)
MAX_ENGINES = 64


@dataclass
class Catalog:
    generation: int
    packs: Mapping[str, Pack]
    subjects: Mapping[str, type[Subject]]
    loaded_at: datetime
    _engines: OrderedDict[tuple[tuple[str, ...], bool], Engine] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def pack(self, pack_id: str) -> Pack:
        pack = self.packs.get(pack_id)
        if pack is None:
            from ..errors import did_you_mean

            near = did_you_mean(pack_id, self.packs)
            hint = f"did you mean `{near}`?" if near else f"this service has: {', '.join(self.packs)}"
            raise ProblemError(
                "pack-not-found",
                f"no pack `{pack_id}`",
                [Problem(f"no pack with id `{pack_id}`", None, hint, "not-found")],
            )
        return pack

    def engine(self, ids: Sequence[str], ignore_scope: bool = False) -> Engine:
        """An engine over these packs (in this order), built once per generation."""
        key = (tuple(ids), ignore_scope)
        with self._lock:
            engine = self._engines.get(key)
            if engine is not None:
                self._engines.move_to_end(key)
                return engine
        packs = [self.pack(i) for i in ids]
        engine = Engine(packs, subjects=self.subjects, ignore_scope=ignore_scope)
        with self._lock:
            self._engines[key] = engine
            while len(self._engines) > MAX_ENGINES:
                self._engines.popitem(last=False)
        return engine


def build_catalog(specs: Sequence[str] | None, generation: int) -> Catalog:
    """Compile the packs ``specs`` names (ids or directories; None: every registered pack) with
    a fresh plugin manager. Raises :class:`PackError` with every problem of every pack."""
    pm = make_plugin_manager()
    registry = PackRegistry(pm)
    packs: dict[str, Pack] = {}
    problems: list[Problem] = []
    for spec in specs or registry.ids():
        try:
            pack = registry.load(spec)
        except PackError as exc:
            problems.extend(exc.problems)
            continue
        packs[pack.id] = pack
    if problems:
        raise PackError(problems)
    if not packs:
        raise PackError([Problem("no packs to serve", None, "install a pack or give --pack", "usage")])
    return Catalog(generation, packs, collect_subjects(pm), datetime.now())


class CatalogHolder:
    """The generation serving now, and reloading it."""

    def __init__(self, specs: Sequence[str] | None) -> None:
        self.specs = list(specs) if specs else None
        self._reload_lock = threading.Lock()
        self.current = build_catalog(self.specs, 1)

    def reload(self) -> tuple[Catalog, Catalog]:
        """Compile a new generation and serve it: ``(old, new)``. One reload at a time."""
        with self._reload_lock:
            old = self.current
            new = build_catalog(self.specs, old.generation + 1)
            self.current = new
            return old, new
