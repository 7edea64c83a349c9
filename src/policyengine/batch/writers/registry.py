"""Opening a batch output by its file's suffix, from the writers the plugins register."""

from __future__ import annotations

from pathlib import Path

from ...errors import Location, PolicyEngineError, Problem
from ...plugins import default_batch_writers
from .atomic import AtomicWriter, partial_path, remove_stale_partials
from .base import Writer


def open_writer(path: Path) -> Writer:
    """The writer registered for ``path``'s suffix (case-insensitive), opened on a partial
    file beside ``path`` that replaces it only when the run finishes (:mod:`.atomic`)."""
    suffix = path.suffix.lower()
    factories = default_batch_writers()
    factory = factories.get(suffix)
    if factory is None:
        raise PolicyEngineError(
            [
                Problem(
                    f"cannot write {suffix or 'this kind of'} files",
                    Location(str(path)),
                    f"give --out a name ending in one of {', '.join(factories)} (.xml is JUnit)",
                    "usage",
                )
            ]
        )
    remove_stale_partials(path)
    return AtomicWriter(path, factory(partial_path(path)))
