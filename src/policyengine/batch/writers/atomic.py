"""Outputs that are never half-written: every writer writes to a partial file beside its
target, and only a finished run renames it into place.

- **success**: the partial file replaces the target in one rename (``os.replace``, atomic on
  one file system), so a reader of the target sees the previous file or the whole new one;
- **failure or interrupt** (an exception, Ctrl-C, SIGTERM): the partial file is removed and the
  previous target is left exactly as it was;
- **SIGKILL** (nothing can run): the partial file stays, named ``.NAME.partial-PID.SUFFIX``;
  the next run writing that target removes partial files whose process is gone (and partial
  directories, ``.NAME.partial-PID``, of ``--station-reports``: :mod:`.records`).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from ..rows import ResultRow
from ..summary import Summary
from .base import Writer

_PARTIAL = re.compile(r"^\.(?P<name>.+)\.partial-(?P<pid>\d+)(?P<suffix>\.[^.]*)?$")


def partial_path(target: Path) -> Path:
    """Where ``target`` is written until the run finishes (same directory, same suffix)."""
    return target.with_name(f".{target.name}.partial-{os.getpid()}{target.suffix}")


def remove_stale_partials(target: Path) -> list[Path]:
    """Remove partial files of ``target`` left by runs that were killed; the ones removed."""
    removed: list[Path] = []
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        m = _PARTIAL.match(entry.name)
        if m and m["name"] == target.name and not _alive(int(m["pid"])):
            try:
                if entry.is_dir() and not entry.is_symlink():  # --station-reports' directory
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
                removed.append(entry)
            except OSError:
                pass
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    except OSError:
        return False
    return True


class AtomicWriter(Writer):
    """``inner`` writes ``partial_path(target)``; :meth:`close` renames it to ``target``."""

    def __init__(self, target: Path, inner: Writer) -> None:
        self.path = target
        self.inner = inner

    def write(self, row: ResultRow) -> None:
        self.inner.write(row)

    def close(self, summary: Summary) -> None:
        self.inner.close(summary)
        changes = summary.changes.pop(str(self.inner.path), None)
        if changes is not None:
            summary.changes[str(self.path)] = changes
        os.replace(self.inner.path, self.path)

    def abort(self) -> None:
        try:
            self.inner.abort()
        finally:
            self.inner.path.unlink(missing_ok=True)

    def release(self) -> None:
        self.inner.release()
