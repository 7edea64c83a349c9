"""Second-sheet rows (staff, services) kept on disk until their record is read.

A ledger's staff sheet is keyed by station id and in no particular order, so its rows must
be at hand when each station is read. Held in a dict, 1.9 M staff and service rows took
1.2 GB before the first station; here they go to a temporary SQLite file, indexed by parent
id, and each record takes its items with one indexed look-up, so memory stays flat whatever
the number of rows. SQLite because it is in the standard library (no new dependency), keeps
an index on disk with a small page cache, and answers a look-up in microseconds; sorting the
sheets by id on disk would need the main sheet sorted too, which a ledger's is not.

Items are stored pickled (with their cell notes): the file is this process's own, created
private (mode 0600) in the temporary directory, and removed on :meth:`ChildStore.close`.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import tempfile
from collections.abc import Iterator
from typing import Any

from .rows import InputProblem

#: Rows inserted per transaction.
_BATCH = 5000

#: One second-sheet row: its sheet's index, line, item (as the model takes it) and cell notes.
ChildItem = tuple[int, int, dict[str, Any], list[InputProblem]]


class ChildStore:
    """Second-sheet rows by parent id, in a temporary SQLite file."""

    def __init__(self) -> None:
        fd, self.path = tempfile.mkstemp(prefix="policyengine-", suffix=".sqlite")
        os.close(fd)
        self.db = sqlite3.connect(self.path)
        self.db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE;"
            "CREATE TABLE item (parent TEXT NOT NULL, tbl INTEGER, line INTEGER, data BLOB);"
            "CREATE TABLE seen (parent TEXT PRIMARY KEY) WITHOUT ROWID;"
        )
        self._pending: list[tuple[str, int, int, bytes]] = []
        self._seen: list[tuple[str]] = []  # parents taken, written in batches
        self._indexed = False
        self.count = 0

    def add(
        self, parent: str, table: int, line: int, item: dict[str, Any], notes: list[InputProblem]
    ) -> None:
        """One second-sheet row, under its parent's id ("" when its key cell is empty)."""
        self._pending.append((parent, table, line, pickle.dumps((item, notes), protocol=5)))
        self.count += 1
        if len(self._pending) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self.db.executemany("INSERT INTO item VALUES (?, ?, ?, ?)", self._pending)
            self._pending.clear()

    def _ready(self) -> None:
        if not self._indexed:
            self._flush()
            self.db.execute("CREATE INDEX by_parent ON item (parent, tbl, line)")
            self.db.commit()
            self._indexed = True

    def take(self, parent: str) -> list[ChildItem]:
        """The rows under ``parent``, by sheet then line; ``parent`` is marked as matched."""
        self._ready()
        self._seen.append((parent,))
        if len(self._seen) >= _BATCH:
            self._flush_seen()
        rows = self.db.execute(
            "SELECT tbl, line, data FROM item WHERE parent = ? ORDER BY tbl, line", (parent,)
        ).fetchall()
        return [(tbl, line, *pickle.loads(data)) for tbl, line, data in rows]

    def _flush_seen(self) -> None:
        self.db.executemany("INSERT OR IGNORE INTO seen VALUES (?)", self._seen)
        self._seen.clear()

    def orphans(self) -> Iterator[tuple[int, str, int, list[InputProblem]]]:
        """The rows whose parent id no record had: (sheet index, parent, line, cell notes)."""
        self._ready()
        self._flush_seen()
        query = (
            "SELECT tbl, parent, line, data FROM item WHERE parent NOT IN (SELECT parent FROM seen) "
            "ORDER BY tbl, line"
        )
        for tbl, parent, line, data in self.db.execute(query):
            _, notes = pickle.loads(data)
            yield tbl, parent, line, notes

    def close(self) -> None:
        try:
            self.db.close()
        finally:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
