"""Opening the batch outputs: each ``--out`` file by its suffix, from the writers the plugins
register, and the directory of per-record reports (``--station-reports``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ...errors import Location, PolicyEngineError, Problem
from ...plugins import default_batch_writers
from .atomic import AtomicWriter, partial_path, remove_stale_partials
from .base import Writer
from .options import DEFAULT_OPTIONS, OutputOptions


def open_writer(path: Path, options: OutputOptions = DEFAULT_OPTIONS) -> Writer:
    """The writer registered for ``path``'s suffix (case-insensitive), opened on a partial
    file beside ``path`` that replaces it only when the run finishes (:mod:`.atomic`). A
    writer class with ``accepts_options`` gets ``options`` too."""
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
    partial = partial_path(path)
    if getattr(factory, "accepts_options", False):
        return AtomicWriter(path, factory(partial, options))  # type: ignore[call-arg]
    return AtomicWriter(path, factory(partial))


def open_writers(outs: Sequence[Path], options: OutputOptions = DEFAULT_OPTIONS) -> list[Writer]:
    """Every output of a run: the ``--out`` files, then the per-record reports' directory when
    ``options.record_reports`` names one. If one cannot be opened, those opened are aborted."""
    writers: list[Writer] = []
    try:
        for out in outs:
            writers.append(open_writer(out, options))
        if options.record_reports is not None:
            from .records import open_record_reports  # python-docx, Chromium: only when asked

            writers.append(open_record_reports(options.record_reports, options))
    except BaseException:
        for w in writers:
            w.abort()
        raise
    return writers
